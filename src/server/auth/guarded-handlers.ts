import { create, type Message } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorInfoSchema } from "../../../gen/ts/google/rpc/error_details_pb.js";
import {
  BatchTransitionResponseSchema,
  type BatchTransitionResult,
  StatusService,
} from "../../../gen/ts/pynenc/status/v1/status_pb.js";
import { rpcStatusFromConnectError } from "../../service/rpc-status.js";
import type { RpcContext } from "../../service/service-handlers.js";
import type { StatusServiceHandlers } from "../../service/status-service.js";
import { batchItems } from "../../service/validate-request.js";
import type { Logger } from "../logger.js";
import { ACCESS_RULES, type AccessRule, transitionDenial } from "./access-rules.js";
import type { Authenticator } from "./authenticator.js";
import type { Caller } from "./caller.js";

type Handler = (request: Message, context: RpcContext) => Promise<Message> | AsyncIterable<Message>;

/**
 * The handlers behind access control: each call is authenticated (its port put the credentials in
 * its RpcContext), checked against ACCESS_RULES, and only then reaches the handler, with the
 * caller's name as its principal; a refusal changes nothing and is logged with the principal, the
 * method and the peer. A BatchTransition item the caller may not make is that item's
 * PERMISSION_DENIED; the other items go on. `authenticator()` is read per call, so a reload
 * applies to the next call.
 */
export function guardHandlers(
  handlers: StatusServiceHandlers,
  authenticator: () => Authenticator,
  logger: Logger,
): StatusServiceHandlers {
  const refused = (context: RpcContext, method: string, caller: Caller | undefined, error: ConnectError) => {
    logger.warn("refused", {
      method,
      principal: caller?.name ?? null,
      peer: context.credentials?.peerAddress() ?? null,
      code: Code[error.code],
      reason: error.findDetails(ErrorInfoSchema)[0]?.reason,
      message: error.rawMessage,
    });
  };

  const authenticate = async (context: RpcContext, method: string): Promise<Caller> => {
    // A port always sends credentials; a call without them is refused like one with none.
    const credentials = context.credentials ?? {
      bearerToken: () => undefined,
      peerCommonName: () => undefined,
      peerAddress: () => "unknown",
    };
    try {
      return await authenticator().authenticate(credentials);
    } catch (error) {
      if (error instanceof ConnectError) refused(context, method, undefined, error);
      throw error;
    }
  };

  /** The caller, once allowed by `rule`; a refusal is logged and thrown. */
  const admit = async (request: Message, context: RpcContext, method: string, rule: AccessRule<Message>) => {
    const caller = await authenticate(context, method);
    const denial = rule(request, caller, method);
    if (denial !== undefined) {
      refused(context, method, caller, denial);
      throw denial;
    }
    return caller;
  };

  const guarded: Record<string, Handler> = {};
  for (const method of StatusService.methods) {
    const name = method.localName as keyof StatusServiceHandlers;
    const inner = handlers[name] as Handler;
    const rule = ACCESS_RULES[name] as AccessRule<Message>;
    guarded[name] =
      method.methodKind === "server_streaming"
        ? async function* (request, context) {
            const caller = await admit(request, context, method.name, rule);
            yield* inner(request, { ...context, principal: caller.name }) as AsyncIterable<Message>;
          }
        : async (request, context) => {
            const caller = await admit(request, context, method.name, rule);
            return inner(request, { ...context, principal: caller.name }) as Promise<Message>;
          };
  }

  const batchTransition: StatusServiceHandlers["batchTransition"] = async (request, context) => {
    const method = StatusService.method.batchTransition.name;
    const caller = await authenticate(context, method);
    const denials = batchItems("requests", request.requests).map((item) => transitionDenial(item, caller, method));
    const inner = { ...context, principal: caller.name };
    const refusedItems = denials.flatMap((denial, i) => (denial === undefined ? [] : [i]));
    if (refusedItems.length === 0) return handlers.batchTransition(request, inner);
    logger.warn("refused", {
      method,
      principal: caller.name,
      peer: context.credentials?.peerAddress() ?? null,
      items: refusedItems,
    });
    const allowed = request.requests.filter((_, i) => denials[i] === undefined);
    const done =
      allowed.length === 0 ? [] : (await handlers.batchTransition({ ...request, requests: allowed }, inner)).results;
    let next = 0;
    const results = denials.map(
      (denial): BatchTransitionResult =>
        denial === undefined
          ? done[next++]!
          : {
              $typeName: "pynenc.status.v1.BatchTransitionResult",
              result: { case: "error", value: rpcStatusFromConnectError(denial) },
            },
    );
    return create(BatchTransitionResponseSchema, { results });
  };
  guarded.batchTransition = batchTransition as unknown as Handler;
  // One guarded function per method of the descriptor, with the handler map's own signatures.
  return guarded as unknown as StatusServiceHandlers;
}

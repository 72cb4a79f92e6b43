import type { IncomingMessage } from "node:http";
import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorInfoSchema } from "../../../gen/ts/google/rpc/error_details_pb.js";
import { HttpCallCredentials } from "../call-credentials.js";
import type { PageRefusal } from "../http-pages.js";
import type { Logger } from "../logger.js";
import { METRICS_METHOD, metricsDenial } from "./access-rules.js";
import type { Authenticator } from "./authenticator.js";
import type { Caller } from "./caller.js";

/** Checks a request for `/metrics`: undefined when it may be answered, else the refusal to send. */
export type MetricsGuard = (request: IncomingMessage) => Promise<PageRefusal | undefined>;

/** The credentials of a plain HTTP request: its Authorization header and its TLS socket. */
function credentialsOf(request: IncomingMessage): HttpCallCredentials {
  const header = new Headers();
  const { authorization } = request.headers;
  if (authorization !== undefined) header.set("authorization", authorization);
  return new HttpCallCredentials(header, request);
}

/**
 * Guard `GET /metrics` as the RPCs are guarded: the request's bearer token (or, under mutual TLS,
 * its client certificate's CN) is resolved by the same authenticator, read per request so a
 * reload applies to the next scrape, and the caller must pass metricsDenial. No, unknown or
 * expired credentials are 401 with `www-authenticate: Bearer`; a principal without the role is
 * 403. A refusal is logged with the principal (when known), the request and the peer, never the
 * token. An authenticator's own failure (not a refusal) is thrown.
 */
export function createMetricsGuard(authenticator: () => Authenticator, logger: Logger): MetricsGuard {
  const refused = (credentials: HttpCallCredentials, caller: Caller | undefined, error: ConnectError) => {
    logger.warn("refused", {
      method: METRICS_METHOD,
      principal: caller?.name ?? null,
      peer: credentials.peerAddress(),
      code: Code[error.code],
      reason: error.findDetails(ErrorInfoSchema)[0]?.reason,
      message: error.rawMessage,
    });
  };
  return async (request): Promise<PageRefusal | undefined> => {
    const credentials = credentialsOf(request);
    let caller: Caller;
    try {
      caller = await authenticator().authenticate(credentials);
    } catch (error) {
      if (!(error instanceof ConnectError)) throw error;
      refused(credentials, undefined, error);
      return { status: 401, headers: { "www-authenticate": "Bearer" }, message: error.rawMessage };
    }
    const denial = metricsDenial(caller);
    if (denial === undefined) return undefined;
    refused(credentials, caller, denial);
    return { status: 403, headers: {}, message: denial.rawMessage };
  };
}

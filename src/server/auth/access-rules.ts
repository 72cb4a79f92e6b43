import type { MessageShape } from "@bufbuild/protobuf";
import { Code, type ConnectError } from "@connectrpc/connect";
import type { StatusService, TransitionRequest } from "../../../gen/ts/pynenc/status/v1/status_pb.js";
import { statusError } from "../../service/errors.js";
import { type Caller, matchesAnyPattern, type Role } from "./caller.js";

type Methods = (typeof StatusService)["method"];
type RequestOf<K extends keyof Methods> = MessageShape<Methods[K]["input"]>;

/** What a caller may do with one request: undefined when allowed, else the refusal to send. */
export type AccessRule<R> = (request: R, caller: Caller, method: string) => ConnectError | undefined;

function permissionDenied(caller: Caller, method: string, why: string, facts: Record<string, string> = {}) {
  return statusError(Code.PermissionDenied, "PERMISSION_DENIED", `principal ${caller.name} ${why}`, {
    method,
    principal: caller.name,
    ...facts,
  });
}

function runnerIdNotAllowed(caller: Caller, method: string, runnerId: string) {
  return statusError(
    Code.PermissionDenied,
    "RUNNER_ID_NOT_ALLOWED",
    `principal ${caller.name} may not act as runner ${runnerId}`,
    { runnerId, method, principal: caller.name },
  );
}

function namespaceDenial(caller: Caller, method: string, namespace: string): ConnectError | undefined {
  if (caller.namespaces === undefined || matchesAnyPattern(caller.namespaces, namespace)) return undefined;
  return permissionDenied(caller, method, `may not reach namespace ${JSON.stringify(namespace)}`, { namespace });
}

function roleDenial(caller: Caller, method: string, role: Role): ConnectError | undefined {
  if (caller.roles.has(role) || caller.roles.has("admin")) return undefined;
  return permissionDenied(caller, method, `may not call ${method} (it needs the ${role} role)`);
}

/** The first runner id the caller may not act as, as its refusal; checks the runner role first. */
function runnerIdsDenial(caller: Caller, method: string, runnerIds: readonly string[]): ConnectError | undefined {
  if (caller.roles.has("admin")) return undefined;
  const denial = roleDenial(caller, method, "runner");
  if (denial !== undefined) return denial;
  const other = runnerIds.find((id) => !matchesAnyPattern(caller.runnerIds, id));
  return other === undefined ? undefined : runnerIdNotAllowed(caller, method, other);
}

/**
 * Whether the caller may make this transition: a producer without a runner_id (registrations and
 * moves whose target needs no runner; the state machine refuses the others), a runner with a
 * runner_id its patterns match, an admin anything; always in a namespace it may reach.
 */
export function transitionDenial(request: TransitionRequest, caller: Caller, method: string): ConnectError | undefined {
  const outside = namespaceDenial(caller, method, request.namespace);
  if (outside !== undefined || caller.roles.has("admin")) return outside;
  const runnerId = request.runnerId ?? "";
  if (runnerId === "") {
    return caller.roles.has("producer")
      ? undefined
      : permissionDenied(caller, method, "may not move an invocation without a runner_id (it needs the producer role)");
  }
  return runnerIdsDenial(caller, method, [runnerId]);
}

/** The HTTP request that METRICS_RULE guards, as refusals and logs name it. */
export const METRICS_METHOD = "GET /metrics";

/**
 * Whether the caller may scrape `GET /metrics`: it needs the reader role (or admin), as the RPCs
 * that read do, and every namespace, since the metrics count the invocations of each by name.
 */
export function metricsDenial(caller: Caller): ConnectError | undefined {
  const denial = roleDenial(caller, METRICS_METHOD, "reader");
  if (denial !== undefined || caller.namespaces === undefined || caller.namespaces.includes("*")) return denial;
  return permissionDenied(caller, METRICS_METHOD, "may not read the metrics (they count every namespace)");
}

const read: AccessRule<{ readonly namespace: string }> = (request, caller, method) =>
  namespaceDenial(caller, method, request.namespace) ?? roleDenial(caller, method, "reader");

/**
 * Who may call each RPC (README, "Securing the service"). A new RPC is a compile error here until
 * it has a rule. BatchTransition's rule is for the whole call; each item is then checked as a
 * Transition (guardHandlers).
 */
export const ACCESS_RULES: { readonly [K in keyof Methods]: AccessRule<RequestOf<K>> } = {
  get: read,
  getHistory: read,
  listAvailableForRun: read,
  watchStatus: read,
  batchGet: read,
  listInvocations: read,
  countInvocations: read,
  listRunners: read,
  listRecoveryCandidates: read,
  watchCounts: read,
  describeStateMachine: (_request, caller, method) => roleDenial(caller, method, "reader"),
  transition: transitionDenial,
  batchTransition: () => undefined,
  claimAvailable: (request, caller, method) =>
    namespaceDenial(caller, method, request.namespace) ?? runnerIdsDenial(caller, method, [request.runnerId]),
  heartbeat: (request, caller, method) =>
    namespaceDenial(caller, method, request.namespace) ??
    runnerIdsDenial(caller, method, [...(request.runnerId === "" ? [] : [request.runnerId]), ...request.runnerIds]),
  purgeNamespace: (request, caller, method) =>
    namespaceDenial(caller, method, request.namespace) ?? roleDenial(caller, method, "admin"),
};

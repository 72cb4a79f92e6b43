import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  connectErrorFromRpcStatus,
  ErrorInfoSchema,
  InvocationStatus,
  RecoveryRule,
  type StatusClient,
} from "../../src/client/index.js";
import { type SecuredServer, startSecuredServer, TEST_PRINCIPALS } from "../helpers/secured-server.js";

let secured: SecuredServer;
beforeAll(async () => {
  secured = await startSecuredServer({ allowPurge: true });
  const ops = secured.client("grpc", { token: "token-ops" });
  await ops.transition({ invocationId: "seed-1", status: InvocationStatus.REGISTERED });
  await ops.transition({ invocationId: "seed-1", status: InvocationStatus.REGISTERED, namespace: "team-x" });
});
afterAll(() => secured?.close());

/** What a call ended with: "ok", or the code and ErrorInfo reason of its error. */
async function outcome(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return "ok";
  } catch (error) {
    const e = ConnectError.from(error);
    return `${Code[e.code]} ${e.findDetails(ErrorInfoSchema)[0]?.reason ?? ""}`.trim();
  }
}

/** The first message of a stream, then the stream is ended. */
async function firstOf(stream: AsyncIterable<unknown>, controller: AbortController): Promise<void> {
  for await (const _ of stream) break;
  controller.abort();
}

type Rpc = { name: string; call: (client: StatusClient) => Promise<unknown>; allowed: readonly string[] };

const READ = ["ops", "producer", "reader"];
const streamed =
  (open: (client: StatusClient, signal: AbortSignal) => AsyncIterable<unknown>) => (client: StatusClient) => {
    const controller = new AbortController();
    return firstOf(open(client, controller.signal), controller);
  };

// Every RPC, a request that succeeds for whoever may make it, and who may.
const RPCS: Rpc[] = [
  { name: "Get", call: (c) => c.get({ invocationId: "seed-1" }), allowed: READ },
  { name: "GetHistory", call: (c) => c.getHistory({ invocationId: "seed-1" }), allowed: READ },
  { name: "ListAvailableForRun", call: (c) => c.listAvailableForRun({}), allowed: READ },
  {
    name: "WatchStatus",
    call: streamed((c, signal) => c.watchStatus({}, { signal })),
    allowed: READ,
  },
  { name: "DescribeStateMachine", call: (c) => c.describeStateMachine({}), allowed: [...READ, "team"] },
  { name: "BatchGet", call: (c) => c.batchGet({ invocationIds: ["seed-1"] }), allowed: READ },
  { name: "ListInvocations", call: (c) => c.listInvocations({}), allowed: READ },
  { name: "CountInvocations", call: (c) => c.countInvocations({}), allowed: READ },
  { name: "ListRunners", call: (c) => c.listRunners({}), allowed: READ },
  {
    name: "ListRecoveryCandidates",
    call: (c) =>
      c.listRecoveryCandidates({ rule: RecoveryRule.PENDING_TIMEOUT, threshold: { seconds: 60n, nanos: 0 } }),
    allowed: READ,
  },
  { name: "WatchCounts", call: streamed((c, signal) => c.watchCounts({}, { signal })), allowed: READ },
  {
    name: "Transition (register, no runner)",
    call: (c) => c.transition({ invocationId: "new-1", status: InvocationStatus.REGISTERED, validateOnly: true }),
    allowed: ["ops", "producer"],
  },
  {
    name: "Transition (to PENDING as runner-a)",
    call: (c) =>
      c.transition({
        invocationId: "seed-1",
        status: InvocationStatus.PENDING,
        runnerId: "runner-a-1",
        validateOnly: true,
      }),
    allowed: ["ops", "runner-a"],
  },
  {
    name: "ClaimAvailable (as runner-a)",
    call: (c) => c.claimAvailable({ runnerId: "runner-a", namespace: "nothing-here" }),
    allowed: ["ops", "runner-a"],
  },
  { name: "Heartbeat (as runner-a)", call: (c) => c.heartbeat({ runnerId: "runner-a" }), allowed: ["ops", "runner-a"] },
  { name: "PurgeNamespace", call: (c) => c.purgeNamespace({ namespace: "scratch" }), allowed: ["ops"] },
];

const PORTS = ["grpc", "connect"] as const;
const CALLERS = [...TEST_PRINCIPALS.map((p) => p.name), "anonymous", "unknown-token"];

/** The refusal a caller gets when it may not call (its namespace limit is checked first for team). */
function expectedRefusal(caller: string, rpc: Rpc): string {
  if (caller === "anonymous" || caller === "unknown-token") return "Unauthenticated UNAUTHENTICATED";
  if (rpc.allowed.includes(caller)) return "ok";
  if (caller === "runner-a" && rpc.name.includes("as runner-a")) return "ok";
  return "PermissionDenied PERMISSION_DENIED";
}

function clientAs(port: (typeof PORTS)[number], caller: string): StatusClient {
  if (caller === "anonymous") return secured.client(port);
  if (caller === "unknown-token") return secured.client(port, { token: "not-a-known-token" });
  return secured.client(port, { token: `token-${caller}` });
}

describe.each(PORTS)("every role against every RPC, on the %s port", (port) => {
  const cases = RPCS.flatMap((rpc) => CALLERS.map((caller) => ({ name: `${caller} -> ${rpc.name}`, rpc, caller })));
  test.each(cases)("$name", async ({ rpc, caller }) => {
    expect(await outcome(rpc.call(clientAs(port, caller)))).toBe(expectedRefusal(caller, rpc));
  });
});

describe.each(PORTS)("runner ids are bound to the credentials (%s port)", (port) => {
  const runnerA = () => secured.client(port, { token: "token-runner-a" });
  const cases = [
    {
      name: "Transition",
      call: (c: StatusClient) =>
        c.transition({ invocationId: "seed-1", status: InvocationStatus.PENDING, runnerId: "runner-b" }),
    },
    { name: "ClaimAvailable", call: (c: StatusClient) => c.claimAvailable({ runnerId: "runner-b" }) },
    { name: "Heartbeat", call: (c: StatusClient) => c.heartbeat({ runnerId: "runner-b" }) },
    {
      name: "Heartbeat (runner_ids)",
      call: (c: StatusClient) => c.heartbeat({ runnerId: "runner-a", runnerIds: ["runner-a-2", "runner-b"] }),
    },
  ];
  test.each(cases)("runner-a's token cannot $name as runner-b", async ({ call }) => {
    const error = await call(runnerA()).then(
      () => undefined,
      (e: unknown) => ConnectError.from(e),
    );
    expect(error?.code).toBe(Code.PermissionDenied);
    const info = error!.findDetails(ErrorInfoSchema)[0];
    expect(info?.reason).toBe("RUNNER_ID_NOT_ALLOWED");
    expect(info?.metadata.runnerId).toBe("runner-b");
  });
});

describe("a refusal changes nothing", () => {
  test("GetHistory and a watch see no change from refused calls, then the next allowed one", async () => {
    const ops = secured.client("grpc", { token: "token-ops" });
    await ops.transition({ invocationId: "kept-1", status: InvocationStatus.REGISTERED });
    const before = await ops.getHistory({ invocationId: "kept-1" });
    // From the next revision: a watch that connects late still misses nothing.
    const startRevision = (await ops.countInvocations({})).revision + 1n;
    const controller = new AbortController();
    const watched: string[] = [];
    const watching = (async () => {
      for await (const event of ops.watchStatus({ startRevision }, { signal: controller.signal })) {
        if (event.event.case !== "change") continue;
        watched.push(`${event.event.value.record?.invocationId} ${InvocationStatus[event.event.value.record!.status]}`);
        if (event.event.value.record?.invocationId === "marker") break;
      }
    })();
    const refused = await Promise.all(
      [
        secured
          .client("grpc", { token: "token-reader" })
          .transition({ invocationId: "kept-1", status: InvocationStatus.PENDING, runnerId: "runner-a" }),
        secured
          .client("connect", { token: "token-runner-a" })
          .transition({ invocationId: "kept-1", status: InvocationStatus.PENDING, runnerId: "runner-b" }),
        secured.client("grpc", { token: "token-runner-a" }).claimAvailable({ runnerId: "runner-b", maxCount: 10 }),
        secured.client("grpc").transition({ invocationId: "kept-1", status: InvocationStatus.CONCURRENCY_CONTROLLED }),
        secured
          .client("grpc", { token: "token-team" })
          .transition({ invocationId: "kept-2", status: InvocationStatus.REGISTERED }),
        secured.client("connect", { token: "token-producer" }).purgeNamespace({ namespace: "" }),
      ].map(outcome),
    );
    for (const result of refused) expect(result).toMatch(/^(PermissionDenied|Unauthenticated)/);
    await ops.transition({ invocationId: "marker", status: InvocationStatus.REGISTERED });
    await watching;
    controller.abort();
    expect(watched).toEqual(["marker REGISTERED"]);
    expect(await ops.getHistory({ invocationId: "kept-1" })).toEqual(before);
    expect(await outcome(ops.get({ invocationId: "kept-2" }))).toBe("NotFound INVOCATION_NOT_FOUND");
  });
});

describe("BatchTransition", () => {
  test("an item the caller may not make is that item's PERMISSION_DENIED; the others go on", async () => {
    const ops = secured.client("grpc", { token: "token-ops" });
    await ops.transition({ invocationId: "batch-1", status: InvocationStatus.REGISTERED });
    const response = await secured.client("connect", { token: "token-runner-a" }).batchTransition({
      requests: [
        { invocationId: "batch-1", status: InvocationStatus.PENDING, runnerId: "runner-b" },
        { invocationId: "batch-2", status: InvocationStatus.REGISTERED },
        { invocationId: "batch-1", status: InvocationStatus.PENDING, runnerId: "runner-a" },
      ],
    });
    const reasons = response.results.map((r) =>
      r.result.case === "error"
        ? connectErrorFromRpcStatus(r.result.value).findDetails(ErrorInfoSchema)[0]?.reason
        : InvocationStatus[r.result.value!.record!.status],
    );
    expect(reasons).toEqual(["RUNNER_ID_NOT_ALLOWED", "PERMISSION_DENIED", "PENDING"]);
    const history = await ops.getHistory({ invocationId: "batch-1" });
    expect(history.entries.map((e) => e.principal)).toEqual(["ops", "runner-a"]);
  });
});

describe("namespaces", () => {
  const team = () => secured.client("grpc", { token: "token-team" });

  test("a principal limited to team-* reads and writes there", async () => {
    expect(await outcome(team().get({ invocationId: "seed-1", namespace: "team-x" }))).toBe("ok");
    expect(
      await outcome(
        team().transition({ invocationId: "t-1", status: InvocationStatus.REGISTERED, namespace: "team-x" }),
      ),
    ).toBe("ok");
  });

  test.each([
    { name: "Get", call: (c: StatusClient) => c.get({ invocationId: "seed-1", namespace: "" }) },
    { name: "ListInvocations", call: (c: StatusClient) => c.listInvocations({ namespace: "other" }) },
    { name: "CountInvocations", call: (c: StatusClient) => c.countInvocations({ namespace: "other" }) },
    { name: "WatchStatus", call: streamed((c, signal) => c.watchStatus({ namespace: "" }, { signal })) },
  ])("$name in another namespace is PERMISSION_DENIED naming it", async ({ call }) => {
    const error = await call(team()).then(
      () => undefined,
      (e: unknown) => ConnectError.from(e),
    );
    expect(error?.code).toBe(Code.PermissionDenied);
    expect(error?.findDetails(ErrorInfoSchema)[0]?.metadata).toMatchObject({ principal: "team" });
  });
});

describe("the principal of every change", () => {
  test("GetHistory and watch events name who made each change", async () => {
    const ops = secured.client("grpc", { token: "token-ops" });
    const controller = new AbortController();
    const principals: string[] = [];
    const watching = (async () => {
      const watch = ops.watchStatus({ invocationIds: ["audit-1"], startRevision: 1n }, { signal: controller.signal });
      for await (const event of watch) {
        if (event.event.case === "change") principals.push(event.event.value.principal);
        if (principals.length === 3) break;
      }
    })();
    await secured
      .client("connect", { token: "token-producer" })
      .transition({ invocationId: "audit-1", status: InvocationStatus.REGISTERED });
    await secured
      .client("grpc", { certificate: "host-7" })
      .transition({ invocationId: "audit-1", status: InvocationStatus.PENDING, runnerId: "host-7-1" });
    const jwt = await secured.jwt({ sub: "ci-bot", roles: ["admin"] });
    await secured
      .client("grpc", { token: jwt })
      .transition({ invocationId: "audit-1", status: InvocationStatus.KILLED, runnerId: "host-7-1" });
    await watching;
    controller.abort();
    expect(principals).toEqual(["producer", "host-7", "ci-bot"]);
    const history = await ops.getHistory({ invocationId: "audit-1" });
    expect(history.entries.map((e) => e.principal)).toEqual(["producer", "host-7", "ci-bot"]);
  });

  test("with both a token and a client certificate, the token's principal acts", async () => {
    await secured
      .client("grpc", { certificate: "host-7", token: "token-producer" })
      .transition({ invocationId: "both-1", status: InvocationStatus.REGISTERED });
    const history = await secured.client("grpc", { token: "token-ops" }).getHistory({ invocationId: "both-1" });
    expect(history.entries.map((e) => e.principal)).toEqual(["producer"]);
  });

  test("a client certificate whose CN names no principal is UNAUTHENTICATED", async () => {
    expect(await outcome(secured.client("grpc").get({ invocationId: "seed-1" }))).toBe(
      "Unauthenticated UNAUTHENTICATED",
    );
  });
});

describe("JWTs", () => {
  test("a valid one acts with its claims' roles and runner ids", async () => {
    const jwt = await secured.jwt({ sub: "jwt-runner", roles: ["runner"], runner_ids: ["jwt-*"] });
    const client = secured.client("connect", { token: jwt });
    expect(await outcome(client.heartbeat({ runnerId: "jwt-1" }))).toBe("ok");
    expect(await outcome(client.heartbeat({ runnerId: "other" }))).toBe("PermissionDenied RUNNER_ID_NOT_ALLOWED");
    expect(await outcome(client.get({ invocationId: "seed-1" }))).toBe("PermissionDenied PERMISSION_DENIED");
  });

  const refused = [
    {
      name: "expired",
      token: () => secured.jwt({ sub: "x", roles: ["admin"] }, { expiresIn: Math.floor(Date.now() / 1000) - 60 }),
      reason: "TOKEN_EXPIRED",
    },
    {
      name: "not yet valid",
      token: () => secured.jwt({ sub: "x", roles: ["admin"] }, { notBefore: "1h" }),
      reason: "UNAUTHENTICATED",
    },
    {
      name: "forged (signed by an unknown key)",
      token: () => secured.jwt({ sub: "x", roles: ["admin"] }, { forged: true }),
      reason: "UNAUTHENTICATED",
    },
    {
      name: "from another issuer",
      token: () => secured.jwt({ sub: "x", roles: ["admin"], iss: "https://elsewhere.test" }),
      reason: "UNAUTHENTICATED",
    },
    {
      name: "for another audience",
      token: () => secured.jwt({ sub: "x", roles: ["admin"], aud: "someone-else" }),
      reason: "UNAUTHENTICATED",
    },
    {
      name: "with an unknown role",
      token: () => secured.jwt({ sub: "x", roles: ["superuser"] }),
      reason: "UNAUTHENTICATED",
    },
  ];
  describe.each(PORTS)("on the %s port", (port) => {
    test.each(refused)("an $name one is refused ($reason)", async ({ token, reason }) => {
      const client = secured.client(port, { token: await token() });
      expect(await outcome(client.get({ invocationId: "seed-1" }))).toBe(`Unauthenticated ${reason}`);
    });
  });
});

describe("refusals in the log", () => {
  test("name the principal, the method and the peer, never a token or its hash", async () => {
    await outcome(secured.client("grpc", { token: "token-reader" }).heartbeat({ runnerId: "r" }));
    const refusals = secured.logs.filter((line) => line.includes('"refused"')).map((line) => JSON.parse(line));
    expect(refusals).toContainEqual(
      expect.objectContaining({
        method: "Heartbeat",
        principal: "reader",
        peer: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
      }),
    );
    const all = secured.logs.join("\n");
    for (const name of [...TEST_PRINCIPALS.map((p) => p.name), "ops"]) {
      expect(all).not.toContain(`token-${name}`);
    }
    expect(all).not.toMatch(/[0-9a-f]{64}/);
  });
});

describe("health needs no credentials", () => {
  test("DescribeStateMachine needs them, health Check does not (see tls.test.ts)", async () => {
    expect(await outcome(secured.client("grpc").describeStateMachine({}))).toBe("Unauthenticated UNAUTHENTICATED");
  });
});

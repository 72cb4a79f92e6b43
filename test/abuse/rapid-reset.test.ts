import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import type { ClientHttp2Session } from "node:http2";
import { Code, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, describe, expect, test } from "vitest";
import { StatusService } from "../../gen/ts/pynenc/status/v1/status_pb.js";
import { expectRpcError } from "../e2e/rpc-errors.js";
import { waitUntil } from "../helpers/child-processes.js";
import { rapidReset } from "../helpers/http2-abuse.js";
import { type ServerProcess, startServerProcess } from "../helpers/server-process.js";

// Descriptors left to the server beyond those it holds when idle, and connections more than that.
const SPARE_DESCRIPTORS = 20;
const CONNECTIONS = 40;
const PARALLEL = 10;
let server: ServerProcess | undefined;
afterAll(() => server?.kill());

/** A Get of an unknown invocation on each port, each over a connection of its own that is closed after. */
async function bothPortsAnswer(target: ServerProcess): Promise<void> {
  const grpc = createGrpcTransport({ baseUrl: `http://${target.grpcAddress}`, idleConnectionTimeoutMs: 100 });
  const connect = createConnectTransport({ baseUrl: `http://${target.httpAddress}`, httpVersion: "1.1" });
  for (const transport of [grpc, connect]) {
    const client = createClient(StatusService, transport);
    await expectRpcError(client.get({ invocationId: "nobody" }), Code.NotFound, "INVOCATION_NOT_FOUND");
  }
}

describe("a rapid-reset flood (CVE-2023-44487) under a low descriptor limit", () => {
  test(`${CONNECTIONS} attacking connections, ${SPARE_DESCRIPTORS} descriptors to spare: every one is closed, and both ports still answer`, async () => {
    // The pings, here every 2 s, are what find a connection nghttp2 stopped reading after its GOAWAY.
    server = await startServerProcess([
      "--store",
      "memory",
      "--keepalive-seconds",
      "2",
      "--keepalive-timeout-seconds",
      "2",
    ]);
    const pid = server.child.pid!;
    const descriptors = () => readdirSync(`/proc/${pid}/fd`).length;
    await bothPortsAnswer(server);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const baseline = descriptors();
    // As `ulimit -n` would, once the server has started: fewer descriptors than the attack needs.
    const limit = baseline + SPARE_DESCRIPTORS;
    execFileSync("prlimit", ["--pid", String(pid), `--nofile=${limit}:${limit}`]);

    const attackers: ClientHttp2Session[] = [];
    let refused = 0;
    for (let opened = 0; opened < CONNECTIONS; opened += PARALLEL) {
      const round = await Promise.allSettled(
        Array.from({ length: PARALLEL }, () => rapidReset(server!.grpcAddress, 2_000)),
      );
      for (const r of round) {
        if (r.status === "fulfilled") attackers.push(r.value);
        else refused++;
      }
    }
    try {
      // Each attacker got its GOAWAY (or was closed) and keeps its side open; the server closes its own.
      await waitUntil(
        () => descriptors() <= baseline,
        30_000,
        () => `descriptors back to ${baseline} (now ${descriptors()})`,
        200,
      );
      await bothPortsAnswer(server);
      // How many attackers found no descriptor free while the pings closed the others depends on
      // the machine's load (none on a quiet machine, up to 19 of 40 beside other suites), so it is
      // reported, not asserted. Before the keepalive, the descriptors never came back (the wait
      // above) and neither port accepted anything again.
      console.info(`rapid reset: ${refused} of ${CONNECTIONS} attacking connections found no descriptor free`);
    } finally {
      for (const session of attackers) session.destroy();
    }
    expect(await server.stop()).toBe(0);
  }, 180_000);
});

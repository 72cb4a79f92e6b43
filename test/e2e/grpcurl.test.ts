import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ServerReflection as ReflectionV1 } from "../../gen/ts/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ReflectionV1alpha } from "../../gen/ts/grpc/reflection/v1alpha/reflection_pb.js";
import { startTestServer, type TestServer } from "../helpers/in-process-server.js";
import { readmeBlock } from "../helpers/readme.js";
import { REPO_ROOT } from "../helpers/server-process.js";
import { GRPCURL, run as runCommand, toolAvailable } from "../helpers/toolchain.js";

/** The commands of the README's grpcurl tour, one per line. */
function readmeCommands(): string[] {
  return readmeBlock("grpcurl")
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.startsWith("#"));
}

function shell(command: string) {
  return runCommand("bash", ["-c", command]);
}

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ store: "memory" });
});
afterAll(() => server.close());

describe.runIf(toolAvailable(GRPCURL, "grpcurl"))("grpcurl, with no proto file (reflection)", () => {
  const run = (command: string) =>
    shell(command.replaceAll("127.0.0.1:50051", server.server.grpcAddress).replace(/^grpcurl /, `${GRPCURL} `));

  test("every command of the README's grpcurl tour works, in order", async () => {
    const outputs: string[] = [];
    for (const command of readmeCommands()) {
      const result = await run(command);
      // -max-time ends the watch stream: grpcurl reports DeadlineExceeded after printing it.
      const expectedCode = command.includes("-max-time") ? 68 : 0;
      expect(result.code, `${command}\n${result.stderr}`).toBe(expectedCode);
      outputs.push(result.stdout);
    }
    const [
      list,
      describeOut,
      health,
      registered,
      pending,
      ,
      got,
      dry,
      done,
      history,
      ,
      available,
      claimed,
      heartbeat,
      machine,
      batch,
      listed,
      counted,
      runners,
      candidates,
      watch,
    ] = outputs;
    expect(list!.split("\n")).toEqual(
      expect.arrayContaining(["pynenc.status.v1.StatusService", "grpc.health.v1.Health"]),
    );
    expect(describeOut).toContain("rpc Transition ( .pynenc.status.v1.TransitionRequest )");
    expect(JSON.parse(health!)).toEqual({ status: "SERVING" });
    expect(JSON.parse(registered!).record).toMatchObject({
      invocationId: "inv-1",
      status: "INVOCATION_STATUS_REGISTERED",
      revision: "1",
    });
    expect(JSON.parse(pending!).record.runnerId).toBe("runner-a");
    expect(JSON.parse(got!).record.status).toBe("INVOCATION_STATUS_RUNNING");
    expect(JSON.parse(dry!).record.status).toBe("INVOCATION_STATUS_SUCCESS");
    expect(JSON.parse(done!).record).toMatchObject({ status: "INVOCATION_STATUS_SUCCESS", revision: "4" });
    expect(JSON.parse(history!).entries).toHaveLength(4);
    expect(JSON.parse(available!)).toMatchObject({ revision: "5", records: [{ invocationId: "inv-2" }] });
    expect(JSON.parse(claimed!).records).toMatchObject([
      { invocationId: "inv-2", status: "INVOCATION_STATUS_PENDING", runnerId: "runner-a" },
    ]);
    expect(JSON.parse(heartbeat!).serverTime).toMatch(/^\d{4}-/);
    expect(JSON.parse(machine!)).toMatchObject({ profile: "pynenc-0.2" });
    expect(JSON.parse(machine!).definitions).toHaveLength(14);
    expect(JSON.parse(batch!).results).toMatchObject([
      { response: { record: { invocationId: "inv-4", status: "INVOCATION_STATUS_REGISTERED" } } },
      {
        error: {
          code: 9, // FAILED_PRECONDITION, with the details grpcurl decodes as it does a call's
          details: expect.arrayContaining([
            expect.objectContaining({
              "@type": "type.googleapis.com/google.rpc.ErrorInfo",
              reason: "INVALID_TRANSITION",
            }),
          ]),
        },
      },
    ]);
    expect(JSON.parse(listed!).records).toMatchObject([{ invocationId: "inv-1", status: "INVOCATION_STATUS_SUCCESS" }]);
    const counts = JSON.parse(counted!);
    expect(counts.total).toBe("2");
    expect(counts.counts).toHaveLength(14);
    expect(JSON.parse(runners!).runners).toMatchObject([{ runnerId: "runner-a", alive: true }]);
    expect(JSON.parse(candidates!).records).toMatchObject([
      { invocationId: "inv-2", status: "INVOCATION_STATUS_PENDING" },
    ]);
    const watched = [...watch!.matchAll(/"revision": "(\d+)"/g)].map((m) => m[1]);
    expect(watched.slice(0, 4)).toEqual(["1", "2", "3", "4"]);
  });

  test("an error shows its code and decoded ErrorInfo and PreconditionFailure", async () => {
    await server.grpc.transition({ invocationId: "inv-err", status: 1 });
    const result = await run(
      `grpcurl -plaintext -d '{"invocation_id": "inv-err", "status": "INVOCATION_STATUS_SUCCESS"}' 127.0.0.1:50051 pynenc.status.v1.StatusService/Transition`,
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("Code: FailedPrecondition");
    expect(result.stderr).toContain('"@type": "type.googleapis.com/google.rpc.ErrorInfo"');
    expect(result.stderr).toContain('"reason": "INVALID_TRANSITION"');
    expect(result.stderr).toContain('"@type": "type.googleapis.com/google.rpc.PreconditionFailure"');
  });

  test("bad input is InvalidArgument", async () => {
    const result = await run(
      `grpcurl -plaintext -d '{"invocation_id": ""}' 127.0.0.1:50051 pynenc.status.v1.StatusService/Get`,
    );
    expect(result.stderr).toContain("Code: InvalidArgument");
  });

  test("examples/README's step 2 registers N invocations, from the repository root", async () => {
    const fresh = await startTestServer({ store: "memory" });
    try {
      const block = readmeBlock("register", readFileSync(join(REPO_ROOT, "examples/README.md"), "utf8"));
      const port = fresh.server.grpcAddress.split(":").at(-1)!;
      expect(block).toMatch(/^N=200 /);
      // Verbatim, but for the server's port and a smaller N.
      const result = await shell(block.replace(/^N=200 /, "N=12 ").replaceAll("GRPC_PORT", port));
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout.trim()).toBe("12");
      const page = await fresh.grpc.listAvailableForRun({ pageSize: 100 });
      expect(page.records.map((r) => [r.invocationId, r.taskId])).toEqual(
        Array.from({ length: 12 }, (_, i) => [`e2e-${String(i + 1).padStart(2, "0")}`, "e2e.task"]),
      );
    } finally {
      await fresh.close();
    }
  });
});

describe("server reflection", () => {
  test.each([
    ["v1", ReflectionV1],
    ["v1alpha", ReflectionV1alpha],
  ] as const)("%s lists the services", async (_version, service) => {
    const client = createClient(service, createGrpcTransport({ baseUrl: `http://${server.server.grpcAddress}` }));
    async function* request() {
      yield { messageRequest: { case: "listServices" as const, value: "*" } };
    }
    const names: string[] = [];
    for await (const response of client.serverReflectionInfo(request())) {
      if (response.messageResponse.case === "listServicesResponse") {
        names.push(...response.messageResponse.value.service.map((s) => s.name));
      }
    }
    expect(names).toEqual(expect.arrayContaining(["pynenc.status.v1.StatusService", "grpc.health.v1.Health"]));
  });
});

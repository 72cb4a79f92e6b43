import { existsSync } from "node:fs";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { InvocationStatus as S, StatusService } from "../../gen/ts/pynenc/status/v1/status_pb.js";
import { type RedisServer, redisServerAvailable, startRedisServer } from "../helpers/redis-server.js";
import { REPO_ROOT, startServerProcess } from "../helpers/server-process.js";
import { run } from "../helpers/toolchain.js";

// The other suites run the sources through tsx; these run what `npm start` and the bin run.
const redisAvailable = redisServerAvailable();

describe("the compiled build (dist/, bin/pynenc-status.js)", () => {
  let redis: RedisServer | undefined;
  beforeAll(async () => {
    if (!existsSync(join(REPO_ROOT, "dist/src/cli/main.js"))) {
      throw new Error("dist/ is missing: run npm run build (npm install and npm test do)");
    }
    if (redisAvailable) redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  test("the bin prints its usage", async () => {
    const result = await run(process.execPath, ["bin/pynenc-status.js", "--help"], { cwd: REPO_ROOT });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: pynenc-status/);
  });

  const stores = [
    { name: "memory", flags: () => ["--store", "memory"] },
    // The Redis store reads its Lua scripts from beside the compiled store-scripts.js.
    { name: "redis", flags: () => ["--store", redis!.url(), "--redis-prefix", `compiled-${process.pid}`] },
  ];
  for (const c of stores) {
    test.runIf(c.name !== "redis" || redisAvailable)(`serves a transition on the ${c.name} store`, async () => {
      const server = await startServerProcess(c.flags(), { compiled: true });
      try {
        const client = createClient(StatusService, createGrpcTransport({ baseUrl: `http://${server.grpcAddress}` }));
        const registered = await client.transition({ invocationId: "compiled-1", status: S.REGISTERED });
        expect(registered.record).toMatchObject({ invocationId: "compiled-1", status: S.REGISTERED, revision: 1n });
      } finally {
        expect(await server.stop()).toBe(0);
      }
    });
  }
});

import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
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

  const entries = [
    { name: "pynenc-status", conditions: [], file: "dist/src/index.js", exports: ["serve", "createSqliteStore"] },
    { name: "pynenc-status/client", conditions: [], file: "dist/src/client/index.js", exports: ["createStatusClient"] },
    {
      name: "pynenc-status/client",
      conditions: ["--conditions=browser"],
      file: "dist/src/client/browser.js",
      exports: ["createStatusClient"],
    },
  ];
  for (const c of entries) {
    const under = c.conditions.length > 0 ? ` (${c.conditions.join(" ")})` : "";
    test(`${c.name}${under} resolves through the exports map to ${c.file}`, async () => {
      // The package refers to itself by name, as a project that installed it would.
      const script = `const m = await import(${JSON.stringify(c.name)});
        console.log(JSON.stringify({ url: import.meta.resolve(${JSON.stringify(c.name)}),
          kinds: ${JSON.stringify(c.exports)}.map((name) => typeof m[name]), running: m.InvocationStatus?.RUNNING }));`;
      const result = await run(process.execPath, [...c.conditions, "--input-type=module", "-e", script], {
        cwd: REPO_ROOT,
      });
      expect(result.stderr).toBe("");
      const seen = JSON.parse(result.stdout) as { url: string; kinds: string[]; running: unknown };
      expect(seen.url).toBe(pathToFileURL(join(REPO_ROOT, c.file)).href);
      expect(seen.kinds).toEqual(c.exports.map(() => "function"));
      expect(seen.running).toBe(c.name === "pynenc-status" ? "running" : 7);
    });
  }

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
        // The HTTP port serves the dashboard bundled into dist/dashboard, and the metrics.
        const page = await fetch(`http://${server.httpAddress}/`);
        expect(page.headers.get("content-type")).toContain("text/html");
        expect(await page.text()).toContain('src="dashboard.js"');
        expect((await fetch(`http://${server.httpAddress}/dashboard.js`)).status).toBe(200);
        expect(await (await fetch(`http://${server.httpAddress}/metrics`)).text()).toContain(
          'pynenc_status_transitions_total{from="none",to="registered"} 1',
        );
      } finally {
        expect(await server.stop()).toBe(0);
      }
    });
  }
});

// What `pynenc-status serve` says when it cannot start: one line naming what is wrong and where,
// exit code 1, as a new user meets it.

import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { freePort } from "../helpers/server-process.js";
import { run } from "../helpers/toolchain.js";

function serve(flags: string[]) {
  return run(process.execPath, ["--import", "tsx", "src/cli/main.ts", "serve", ...flags]);
}

let dir: string;
/** A loopback port something else already listens on. */
let busy: { server: Server; address: string };
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pynenc-status-start-"));
  mkdirSync(join(dir, "a-folder"));
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  busy = { server, address: `127.0.0.1:${(server.address() as { port: number }).port}` };
});
afterAll(async () => {
  await new Promise((resolve) => busy.server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe("serve that cannot start says what and where, in one line, exit 1", () => {
  const anyPorts = ["--listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0"];
  const cases: { name: string; flags: () => Promise<string[]>; says: () => string[]; never?: string }[] = [
    {
      name: "--store sqlite: naming a directory",
      flags: async () => [...anyPorts, "--store", `sqlite:${join(dir, "a-folder")}`],
      says: () => [join(dir, "a-folder"), "is a directory"],
      never: "unable to open database file",
    },
    {
      name: "--store sqlite: in a folder that does not exist",
      flags: async () => [...anyPorts, "--store", `sqlite:${join(dir, "no-such-folder", "s.db")}`],
      says: () => [join(dir, "no-such-folder"), "does not exist"],
    },
    {
      name: "--store redis:// where no Redis listens",
      flags: async () => {
        const port = await freePort();
        return [...anyPorts, "--store", `redis://127.0.0.1:${port}/0`];
      },
      says: () => ["cannot connect to Redis at 127.0.0.1:", "ECONNREFUSED"],
      never: "Connection is closed",
    },
    {
      name: "--listen on a port in use",
      flags: async () => ["--store", "memory", "--listen", busy.address, "--http-listen", "127.0.0.1:0"],
      says: () => [`gRPC port ${busy.address} (--listen) is in use`],
      never: "No address added",
    },
    {
      name: "--http-listen on a port in use",
      flags: async () => ["--store", "memory", "--listen", "127.0.0.1:0", "--http-listen", busy.address],
      says: () => [`HTTP port ${busy.address} (--http-listen) is in use`],
      never: "EADDRINUSE: address already in use",
    },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const result = await serve(await c.flags());
      expect(result.code, result.stderr).toBe(1);
      expect(result.stdout).not.toContain("listening on");
      const lines = result.stderr.trim().split("\n");
      expect(lines, result.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(/^error: /);
      for (const part of c.says()) expect(lines[0]).toContain(part);
      if (c.never !== undefined) expect(lines[0]).not.toContain(c.never);
    });
  }
});

import { type ChildProcess, execFileSync } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, unlinkSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import Database from "better-sqlite3";
import { Redis } from "ioredis";
import { afterAll, describe, expect, test } from "vitest";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { Health, HealthCheckResponse_ServingStatus } from "../../gen/ts/health/v1/health_pb.js";
import { InvocationStatus as S, StatusService } from "../../gen/ts/pynenc/status/v1/status_pb.js";
import { InvocationStatus as CoreStatus } from "../../src/core/index.js";
import { createSqliteStore } from "../../src/store/index.js";
import { expectRpcError } from "../e2e/rpc-errors.js";
import { jsonLines, killRunning, startCollectedProcess } from "../helpers/child-processes.js";
import { startTestServer } from "../helpers/in-process-server.js";
import { type RedisServer, redisServerAvailable, startRedisServer } from "../helpers/redis-server.js";
import { type ServerProcess, startServerProcess } from "../helpers/server-process.js";

const dir = mkdtempSync(join(tmpdir(), "pynenc-status-abuse-store-"));
const servers: ServerProcess[] = [];
const children: ChildProcess[] = [];
afterAll(async () => {
  killRunning(children);
  await Promise.all(servers.map((s) => s.kill()));
  rmSync(dir, { recursive: true, force: true });
});

function clientFor(address: string) {
  return createClient(StatusService, createGrpcTransport({ baseUrl: `http://${address}` }));
}

/** The ErrorInfo reason of a failed call (undefined for a broken connection). */
function reasonOf(error: unknown): string | undefined {
  return ConnectError.from(error).findDetails(ErrorInfoSchema)[0]?.reason;
}

describe("the SQLite file deleted while the server runs", () => {
  test("in process: writes are refused with UNAVAILABLE (STORE_FILE_GONE), health is NOT_SERVING, and `failed` resolves", async () => {
    const path = join(dir, "gone-in-process.db");
    const server = await startTestServer({ store: `sqlite:${path}` });
    try {
      await server.grpc.transition({ invocationId: "before", status: S.REGISTERED });
      unlinkSync(path);
      await expectRpcError(
        server.grpc.transition({ invocationId: "after", status: S.REGISTERED }),
        Code.Unavailable,
        "STORE_FILE_GONE",
      );
      await expectRpcError(
        server.connect.transition({ invocationId: "after", status: S.REGISTERED }),
        Code.Unavailable,
        "STORE_FILE_GONE",
      );
      expect((await server.server.failed).name).toBe("StoreFileGoneError");
      const health = createClient(Health, createGrpcTransport({ baseUrl: `http://${server.server.grpcAddress}` }));
      expect((await health.check({ service: "" })).status).toBe(HealthCheckResponse_ServingStatus.NOT_SERVING);
      // Reads still answer from what the store had: only writes could be lost.
      expect((await server.grpc.get({ invocationId: "before" })).record?.revision).toBe(1n);
    } finally {
      await server.close();
    }
  });

  test("a server process refuses every write sent after the deletion and exits with code 1", async () => {
    const path = join(dir, "gone.db");
    const server = await startServerProcess(["--store", `sqlite:${path}`]);
    servers.push(server);
    const client = clientFor(server.grpcAddress);
    let deleted = false;
    const acknowledgedAfter: string[] = [];
    const refusedReasons = new Set<string | undefined>();
    let acknowledgedBefore = 0;
    // 8 writers, each sending its next write only after the previous answer.
    const writers = Array.from({ length: 8 }, async (_, w) => {
      for (let i = 0; ; i++) {
        const sentAfterDeletion = deleted;
        try {
          await client.transition({ invocationId: `w${w}-${i}`, status: S.REGISTERED });
          if (sentAfterDeletion) acknowledgedAfter.push(`w${w}-${i}`);
          else acknowledgedBefore++;
        } catch (error) {
          // Writes in flight at the deletion are refused too; the server is going down after them.
          if (deleted) refusedReasons.add(reasonOf(error));
          if (ConnectError.from(error).code === Code.Unavailable && reasonOf(error) === undefined) return;
        }
        if (deleted && server.child.exitCode !== null) return;
      }
    });
    while (acknowledgedBefore < 200) await new Promise((resolve) => setTimeout(resolve, 10));
    unlinkSync(path);
    deleted = true;
    expect(await server.exited).toBe(1);
    await Promise.all(writers);
    expect(acknowledgedAfter).toEqual([]);
    expect([...refusedReasons]).toContain("STORE_FILE_GONE");
    const log = jsonLines<{ level: string; msg: string }>(server.log());
    expect(log.some((l) => l.level === "error" && l.msg.startsWith("store failed"))).toBe(true);
  }, 60_000);
});

/** A SQLite store file with `count` registrations, closed; returns its path. */
async function filledStore(name: string, count: number): Promise<string> {
  const path = join(dir, name);
  const store = createSqliteStore(path);
  for (let i = 0; i < count; i += 1_000) {
    await Promise.all(
      Array.from({ length: 1_000 }, (_, k) =>
        store.transition({
          namespace: "",
          invocationId: `inv-${i + k}`,
          status: CoreStatus.REGISTERED,
          runnerId: null,
          taskId: "task",
        }),
      ),
    );
  }
  await store.close();
  return path;
}

/** Overwrite one leaf page of the `changes` table (a replay from revision 1 reads it) with random bytes. */
function corruptChangesPage(path: string): void {
  const db = new Database(path, { readonly: true });
  const pageSize = db.pragma("page_size", { simple: true }) as number;
  const leaves = db
    .prepare<[], { pageno: number }>(
      "SELECT pageno FROM dbstat WHERE name = 'changes' AND pagetype = 'leaf' ORDER BY pageno",
    )
    .all();
  db.close();
  const page = leaves[Math.floor(leaves.length / 2)]!.pageno;
  const fd = openSync(path, "r+");
  const garbage = Buffer.alloc(pageSize);
  for (let i = 0; i < pageSize; i++) garbage[i] = (i * 151 + 7) & 0xff;
  writeSync(fd, garbage, 0, pageSize, (page - 1) * pageSize);
  closeSync(fd);
}

describe("a corrupted SQLite file", () => {
  test("is refused at start with one line that says how to recover, exit code 1", async () => {
    const path = await filledStore("corrupt.db", 20_000);
    corruptChangesPage(path);
    const serve = startCollectedProcess(
      process.execPath,
      ["--import", "tsx", "src/cli/main.ts", "serve", "--listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0"].concat(
        ["--store", `sqlite:${path}`],
      ),
      children,
    );
    expect(await serve.exited).toBe(1);
    expect(serve.stdout()).toBe("");
    const lines = serve.stderr().trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: .*corrupt.*\.recover.*backup/);
  }, 60_000);

  test("with --sqlite-skip-quick-check it serves, and a replay reaching the damage is DATA_LOSS (STORE_CORRUPT), logged as an error", async () => {
    const path = await filledStore("corrupt-skipped.db", 20_000);
    corruptChangesPage(path);
    const server = await startServerProcess(["--store", `sqlite:${path}`, "--sqlite-skip-quick-check"]);
    servers.push(server);
    const client = clientFor(server.grpcAddress);
    const replay = (async () => {
      for await (const _ of client.watchStatus({ startRevision: 1n })) {
        // Read on until the replay reaches the damaged page.
      }
    })();
    await expectRpcError(replay, Code.DataLoss, "STORE_CORRUPT");
    const log = jsonLines<{ level: string; msg: string }>(server.log());
    expect(log.some((l) => l.level === "error" && l.msg === "store corrupt")).toBe(true);
  }, 60_000);
});

/**
 * How to run a command in a mount namespace of its own (where a small tmpfs can be mounted), or
 * undefined where the machine allows none: as root, `unshare --mount`; otherwise a user namespace
 * that maps the user to root inside it.
 */
function mountNamespaceLauncher(): string[] | undefined {
  const candidates = [
    ["unshare", "--mount", "--propagation", "private"],
    ["unshare", "--user", "--map-root-user", "--mount", "--propagation", "private"],
  ];
  return candidates.find((c) => {
    try {
      execFileSync(c[0]!, [...c.slice(1), "true"], { stdio: "ignore" });
      return true;
    } catch {
      return false;
    }
  });
}

const namespaceLauncher = mountNamespaceLauncher();
if (namespaceLauncher === undefined) {
  const message = "unshare cannot make a mount namespace here: the disk-full test cannot mount its small tmpfs";
  if (process.env.CI === "true") throw new Error(message);
  console.warn(`\n!!! SKIPPING: ${message}\n`);
}

describe.runIf(namespaceLauncher !== undefined)("a full disk under the SQLite store", () => {
  test("a write that does not fit is RESOURCE_EXHAUSTED (STORE_FULL) and changes nothing; with room again, writes go on", async () => {
    const disk = join(dir, "small-disk");
    mkdirSync(disk);
    // A 2 MiB tmpfs, mounted in the server's own mount namespace (gone with it).
    const mountThenRun = 'mount -t tmpfs -o size=2m tmpfs "$0" && exec "$@"';
    const server = await startServerProcess(["--store", `sqlite:${join(disk, "full.db")}`], {
      launcher: [...namespaceLauncher!, "sh", "-c", mountThenRun, disk],
    });
    servers.push(server);
    const client = clientFor(server.grpcAddress);
    // The server's view of its tmpfs; fill it but for a little room.
    const inside = `/proc/${server.child.pid}/root${disk}`;
    const filler = join(inside, "filler");
    const fd = openSync(filler, "w");
    try {
      for (let i = 0; i < 1_600; i++) writeSync(fd, Buffer.alloc(1024, 1));
    } catch {
      // ENOSPC: full already.
    } finally {
      closeSync(fd);
    }
    let acknowledged = 0;
    let full: unknown;
    for (let i = 0; full === undefined && i < 10_000; i++) {
      const id = `d-${i}-${"x".repeat(400)}`;
      await client.transition({ invocationId: id, status: S.REGISTERED, taskId: "t".repeat(400) }).then(
        () => acknowledged++,
        (error: unknown) => (full = { error, id }),
      );
    }
    const { error, id } = full as { error: unknown; id: string };
    expect(Code[ConnectError.from(error).code]).toBe(Code[Code.ResourceExhausted]);
    expect(reasonOf(error)).toBe("STORE_FULL");
    expect(acknowledged).toBeGreaterThan(0);
    await expectRpcError(client.get({ invocationId: id }), Code.NotFound, "INVOCATION_NOT_FOUND");
    rmSync(filler);
    const next = await client.transition({ invocationId: id, status: S.REGISTERED, taskId: "t" });
    expect(Number(next.record!.revision)).toBe(acknowledged + 1);
    expect((await client.get({ invocationId: "d-0-".padEnd(404, "x") })).record?.revision).toBe(1n);
    expect(await server.stop()).toBe(0);
  }, 60_000);
});

const redisAvailable = redisServerAvailable();

describe.runIf(redisAvailable)("Redis faults", () => {
  let redis: RedisServer;
  let admin: Redis;
  let server: ServerProcess;
  afterAll(async () => {
    admin?.disconnect();
    await server?.stop();
    await redis?.stop();
  });

  test("Redis at its maxmemory (noeviction) is RESOURCE_EXHAUSTED (STORE_FULL); with memory again, writes go on", async () => {
    redis = await startRedisServer();
    admin = new Redis(redis.url());
    server = await startServerProcess(["--store", redis.url()]);
    const client = clientFor(server.grpcAddress);
    await client.transition({ invocationId: "first", status: S.REGISTERED });
    const used = Number(/used_memory:(\d+)/.exec(await admin.info("memory"))![1]);
    await admin.config("SET", "maxmemory", String(used + 256 * 1024));
    let full: unknown;
    for (let i = 0; full === undefined && i < 10_000; i++) {
      await client
        .transition({ invocationId: `m-${i}-${"x".repeat(400)}`, status: S.REGISTERED })
        .catch((error: unknown) => (full = error));
    }
    expect(Code[ConnectError.from(full).code]).toBe(Code[Code.ResourceExhausted]);
    expect(reasonOf(full)).toBe("STORE_FULL");
    await admin.config("SET", "maxmemory", "0");
    await client.transition({ invocationId: "after-full", status: S.REGISTERED });
  });

  test("the connection to Redis lost after a write was sent is UNKNOWN (OUTCOME_UNKNOWN); retried with its request_id it applies once", async () => {
    const client = clientFor(server.grpcAddress);
    await client.transition({ invocationId: "lost", status: S.REGISTERED });
    // Redis holds the write (CLIENT PAUSE WRITE) while the server's connections are killed under it.
    await admin.call("CLIENT", "PAUSE", "10000", "WRITE");
    const request = { invocationId: "lost", status: S.PENDING, runnerId: "r1", requestId: "req-lost" };
    const outcome = expectRpcError(client.transition(request), Code.Unknown, "OUTCOME_UNKNOWN");
    await new Promise((resolve) => setTimeout(resolve, 300));
    await admin.call("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes");
    expect((await outcome).rawMessage).toMatch(/request_id/);
    await admin.call("CLIENT", "UNPAUSE");
    // The same request again, once the server has reconnected (UNAVAILABLE until then): applied once,
    // whether or not the first attempt was.
    let retried: Awaited<ReturnType<typeof client.transition>> | undefined;
    while (retried === undefined) {
      retried = await client.transition(request).catch(async (error: unknown) => {
        if (ConnectError.from(error).code !== Code.Unavailable) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
        return undefined;
      });
    }
    expect(retried.record).toMatchObject({ status: S.PENDING, runnerId: "r1" });
    const history = await client.getHistory({ invocationId: "lost" });
    expect(history.entries.map((e) => e.record!.status)).toEqual([S.REGISTERED, S.PENDING]);
  });

  test("Redis unreachable is UNAVAILABLE (reason UNAVAILABLE): the call was not sent", async () => {
    const client = clientFor(server.grpcAddress);
    await redis.kill();
    await expectRpcError(
      client.transition({ invocationId: "down", status: S.REGISTERED }),
      Code.Unavailable,
      "UNAVAILABLE",
    );
    await expectRpcError(client.get({ invocationId: "down" }), Code.Unavailable, "UNAVAILABLE");
  });
});

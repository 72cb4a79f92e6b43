import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** `redis-server` on PATH, or undefined. */
export const REDIS_SERVER = (process.env.PATH ?? "")
  .split(":")
  .map((dir) => join(dir, "redis-server"))
  .find((path) => path !== "redis-server" && existsSync(path));

/**
 * Whether the Redis suites can run. In CI a missing redis-server fails them (nothing may be
 * skipped there; .ci/run installs it); locally they are skipped with a loud warning.
 */
export function redisServerAvailable(): boolean {
  if (REDIS_SERVER !== undefined) return true;
  const message = "redis-server is not on PATH; install it (`apt-get install -y redis-server`; .ci/run does).";
  if (process.env.CI === "true") throw new Error(message);
  console.warn(`\n!!! SKIPPING: ${message}\n`);
  return false;
}

/** How the server persists: nothing, or an append-only file fsynced every second or on every write. */
export type RedisPersistence = "none" | "everysec" | "always";

/** A redis-server child process on a free loopback port, with its data in a temporary folder. */
export interface RedisServer {
  readonly port: number;
  /** The running redis-server's process id. */
  pid(): number;
  /** `redis://127.0.0.1:PORT/DB`. */
  url(db?: number): string;
  /** SIGKILL, and wait: nothing it had not written is kept. */
  kill(): Promise<void>;
  /** Start it again on the same port and folder (after kill). */
  restart(): Promise<void>;
  /** Stop it and remove its folder. */
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, "close");
  return port;
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    socket.setTimeout(500);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.once("data", (data) => done(data.toString().startsWith("+PONG")));
    socket.once("error", () => done(false));
    socket.once("timeout", () => done(false));
  });
}

/** Start redis-server and wait until it answers PING. */
export async function startRedisServer(persistence: RedisPersistence = "none"): Promise<RedisServer> {
  if (REDIS_SERVER === undefined) throw new Error("redis-server is not on PATH");
  const dir = mkdtempSync(join(tmpdir(), "pynenc-status-redis-"));
  const port = await freePort();
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--dir", dir, "--daemonize", "no"];
  if (persistence === "none") args.push("--appendonly", "no");
  else args.push("--appendonly", "yes", "--appendfsync", persistence);
  let child: ChildProcess;
  let log = "";

  // A test that times out never reaches stop(): the server goes when the test process does.
  const reap = () => {
    child?.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", reap);

  async function launch(): Promise<void> {
    log = "";
    child = spawn(REDIS_SERVER!, args, { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout!.on("data", (chunk: Buffer) => (log += chunk.toString()));
    child.stderr!.on("data", (chunk: Buffer) => (log += chunk.toString()));
    const deadline = Date.now() + 10_000;
    while (!(await ping(port))) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`redis-server did not start: ${log}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async function signal(name: NodeJS.Signals): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, "exit");
    child.kill(name);
    await exited;
  }

  await launch();
  return {
    port,
    pid: () => child.pid!,
    url: (db = 0) => `redis://127.0.0.1:${port}/${db}`,
    kill: () => signal("SIGKILL"),
    restart: launch,
    async stop() {
      process.off("exit", reap);
      await signal("SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

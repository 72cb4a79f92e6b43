import { parseArgs } from "node:util";
import { createLogger, LOG_LEVELS, type LogLevel } from "../server/logger.js";
import { serve } from "../server/serve.js";
import { UsageError } from "./cli-error.js";
import { parseDurationArgument, parseRetainArgument } from "./duration-argument.js";

/** `pynenc-status serve --help`. */
export const SERVE_HELP = `Usage: pynenc-status serve [flags]

Serve pynenc.status.v1.StatusService over gRPC (with health and reflection) and over
Connect and gRPC-Web. Prints "listening on HOST:PORT" per port (gRPC first), then JSON logs.

Flags:
  --listen HOST:PORT             gRPC port (default 127.0.0.1:50051; port 0 picks a free one)
  --http-listen HOST:PORT        Connect and gRPC-Web port (default 127.0.0.1:8080)
  --store memory|sqlite:PATH|redis://HOST:PORT/DB
                                 where statuses live (default sqlite:./pynenc-status.db);
                                 servers on one Redis share every invocation and every watch
  --redis-prefix PREFIX          prefix of every Redis key (default pynenc-status); replicas
                                 sharing a state use the same one
  --sqlite-synchronous normal|full
                                 normal: answer once the commit is in the WAL (survives kill -9
                                 of the server, not a crash of the machine); full: once it is on
                                 disk (survives a power cut; an fsync per commit); default normal
  --log-level debug|info|warn|error
                                 least severe log line written to stderr (default info)
  --max-message-bytes N          largest request or response (default 4194304)
  --watch-buffer N               changes held for one live watcher before it is cut off
                                 with RESOURCE_EXHAUSTED (default 10000)
  --watch-progress-seconds S     an idle watch gets a progress mark this often (default 10)
  --shutdown-grace-seconds S     how long SIGINT/SIGTERM waits for calls in flight (default 5)
  --max-pending-seconds S        PENDING longer than this is recovered: PENDING_RECOVERY, then
                                 REROUTED (default 5, pynenc's max_pending_seconds)
  --runner-dead-after-seconds S  RUNNING owned by a runner without a heartbeat for this long is
                                 recovered: RUNNING_RECOVERY, then REROUTED (default 600)
  --recovery-interval-seconds S  how often recovery and retention run (default 1)
  --retain-changes N|DURATION    keep the last N changes, or those younger than DURATION such
                                 as 24h (default 24h); older watch revisions are OUT_OF_RANGE
  --purge-final-after DURATION   forget final invocations after this long (default 24h)
  -h, --help                     this text
`;

function positiveNumber(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new UsageError(`${flag} must be a positive number, got ${JSON.stringify(value)}`);
  return n;
}

/** Run `serve` until SIGINT or SIGTERM. */
export async function runServe(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      listen: { type: "string" },
      "http-listen": { type: "string" },
      store: { type: "string" },
      "redis-prefix": { type: "string" },
      "log-level": { type: "string" },
      "sqlite-synchronous": { type: "string" },
      "max-message-bytes": { type: "string" },
      "watch-buffer": { type: "string" },
      "watch-progress-seconds": { type: "string" },
      "shutdown-grace-seconds": { type: "string" },
      "max-pending-seconds": { type: "string" },
      "runner-dead-after-seconds": { type: "string" },
      "recovery-interval-seconds": { type: "string" },
      "retain-changes": { type: "string" },
      "purge-final-after": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(SERVE_HELP);
    return 0;
  }
  const level = (values["log-level"] ?? "info") as LogLevel;
  if (!LOG_LEVELS.includes(level)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(", ")}`);
  const logger = createLogger(level);
  const sqliteSynchronous = values["sqlite-synchronous"] ?? "normal";
  if (sqliteSynchronous !== "full" && sqliteSynchronous !== "normal") {
    throw new UsageError("--sqlite-synchronous must be full or normal");
  }
  const server = await serve({
    listen: values.listen,
    httpListen: values["http-listen"],
    store: values.store,
    redisPrefix: values["redis-prefix"],
    sqliteSynchronous,
    logger,
    maxMessageBytes: positiveNumber("--max-message-bytes", values["max-message-bytes"], 4 * 1024 * 1024),
    watchBufferLimit: positiveNumber("--watch-buffer", values["watch-buffer"], 10_000),
    watchProgressIntervalMs: positiveNumber("--watch-progress-seconds", values["watch-progress-seconds"], 10) * 1000,
    shutdownGraceMs: positiveNumber("--shutdown-grace-seconds", values["shutdown-grace-seconds"], 5) * 1000,
    recovery: {
      maxPendingMs: positiveNumber("--max-pending-seconds", values["max-pending-seconds"], 5) * 1000,
      runnerDeadAfterMs: positiveNumber("--runner-dead-after-seconds", values["runner-dead-after-seconds"], 600) * 1000,
    },
    maintenanceIntervalMs: positiveNumber("--recovery-interval-seconds", values["recovery-interval-seconds"], 1) * 1000,
    retention: {
      ...parseRetainArgument("--retain-changes", values["retain-changes"] ?? "24h"),
      purgeFinalAfterMs: parseDurationArgument("--purge-final-after", values["purge-final-after"] ?? "24h"),
    },
  });
  process.stdout.write(`listening on ${server.grpcAddress}\nlistening on ${server.httpAddress}\n`);
  logger.info("started", {
    grpc: server.grpcAddress,
    http: server.httpAddress,
    store: values.store ?? "sqlite:./pynenc-status.db",
    pid: process.pid,
  });
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info("stopping", { signal });
      resolve();
    };
    process.once("SIGINT", () => stop("SIGINT"));
    process.once("SIGTERM", () => stop("SIGTERM"));
  });
  await server.close();
  return 0;
}

import { parseArgs } from "node:util";
import { SERVE_DEFAULTS } from "../server/defaults.js";
import { sendGrpcLogsTo } from "../server/grpc-log.js";
import { createLogger, LOG_LEVELS, type LogLevel } from "../server/logger.js";
import { serve } from "../server/serve.js";
import { UsageError } from "./cli-error.js";
import { formatDurationArgument, parseDurationArgument, parseRetainArgument } from "./duration-argument.js";
import { parseStateMachineArgument, STATE_MACHINE_CHOICES } from "./state-machine-argument.js";

const D = SERVE_DEFAULTS;
const seconds = (ms: number) => String(ms / 1000);

/** A duration default as the help shows it (`24h`); none when the default keeps everything. */
function durationDefault(ms: number | undefined): string {
  return ms === undefined ? "none" : formatDurationArgument(ms);
}

/** The default of every `serve` flag that has one, as its help and the README show it. */
export const SERVE_FLAG_DEFAULTS = {
  "--listen": D.listen,
  "--http-listen": D.httpListen,
  "--store": D.store,
  "--redis-prefix": D.redisPrefix,
  "--sqlite-synchronous": D.sqliteSynchronous,
  "--log-level": D.logLevel,
  "--max-message-bytes": String(D.maxMessageBytes),
  "--watch-buffer": String(D.watchBufferLimit),
  "--watch-progress-seconds": seconds(D.watchProgressIntervalMs),
  "--watch-cutoff-grace-seconds": seconds(D.watchCutOffGraceMs),
  "--shutdown-grace-seconds": seconds(D.shutdownGraceMs),
  "--state-machine": D.stateMachine,
  "--recovery": D.recoveryEnabled ? "on" : "off",
  "--max-pending-seconds": seconds(D.recovery.maxPendingMs),
  "--runner-dead-after-seconds": seconds(D.recovery.runnerDeadAfterMs),
  "--recovery-interval-seconds": seconds(D.maintenanceIntervalMs),
  "--retain-changes":
    D.retention.maxChanges !== undefined ? String(D.retention.maxChanges) : durationDefault(D.retention.maxAgeMs),
  "--purge-final-after": durationDefault(D.retention.purgeFinalAfterMs),
  "--allow-purge": D.allowPurge ? "on" : "off",
  "--insecure": D.insecure ? "on" : "off",
  "--metrics-public": D.metricsPublic ? "on" : "off",
  "--max-watchers": String(D.maxWatchers),
  "--request-timeout-seconds": seconds(D.requestTimeoutMs),
  "--keepalive-seconds": seconds(D.keepaliveMs),
  "--keepalive-timeout-seconds": seconds(D.keepaliveTimeoutMs),
  "--max-connection-idle-seconds": seconds(D.maxConnectionIdleMs),
  "--max-connection-age-seconds": seconds(D.maxConnectionAgeMs),
  "--max-connection-age-grace-seconds": seconds(D.maxConnectionAgeGraceMs),
  "--max-concurrent-streams": String(D.maxConcurrentStreams),
  "--http-headers-timeout-seconds": seconds(D.httpHeadersTimeoutMs),
  "--http-keepalive-timeout-seconds": seconds(D.httpKeepAliveTimeoutMs),
  "--http-idle-timeout-seconds": seconds(D.httpIdleTimeoutMs),
  "--stats-interval-seconds": seconds(D.statsIntervalMs),
} as const;
const F = SERVE_FLAG_DEFAULTS;

/** `pynenc-status serve --help`, its defaults read from SERVE_DEFAULTS. */
export const SERVE_HELP = `Usage: pynenc-status serve [flags]

Serve pynenc.status.v1.StatusService over gRPC (with health and reflection) and over
Connect and gRPC-Web. Prints "listening on HOST:PORT" per port (gRPC first), then JSON logs.

Flags:
  --listen HOST:PORT             gRPC port (default ${F["--listen"]}; port 0 picks a free one)
  --http-listen HOST:PORT        Connect and gRPC-Web port (default ${F["--http-listen"]})
  --store memory|sqlite:PATH|redis://HOST:PORT/DB
                                 where statuses live (default ${F["--store"]});
                                 servers on one Redis share every invocation and every watch
  --redis-prefix PREFIX          prefix of every Redis key (default ${F["--redis-prefix"]}); replicas
                                 sharing a state use the same one
  --sqlite-synchronous normal|full
                                 normal: answer once the commit is in the WAL (survives kill -9
                                 of the server, not a crash of the machine); full: once it is on
                                 disk (survives a power cut; an fsync per commit); default ${F["--sqlite-synchronous"]}
  --log-level debug|info|warn|error
                                 least severe log line written to stderr (default ${F["--log-level"]})
  --stats-interval-seconds S     at debug level, log a "stats" line (memory, event-loop delay) this
                                 often (default ${F["--stats-interval-seconds"]})
  --max-message-bytes N          largest request or response (default ${F["--max-message-bytes"]})
  --watch-buffer N               changes held for one live watcher before it is cut off
                                 with RESOURCE_EXHAUSTED (default ${F["--watch-buffer"]})
  --watch-progress-seconds S     an idle watch gets a progress mark this often (default ${F["--watch-progress-seconds"]})
  --watch-cutoff-grace-seconds S a watch cut off as too slow whose client has not read up to the
                                 error this long later has its stream reset (default ${F["--watch-cutoff-grace-seconds"]})
  --shutdown-grace-seconds S     how long SIGINT/SIGTERM waits for calls in flight (default ${F["--shutdown-grace-seconds"]})
  --state-machine ${STATE_MACHINE_CHOICES}
                                 the state machine served: pynenc-0.2 for pynenc 0.2.x,
                                 pynenc-0.3 for pynenc 0.3.0 to 0.4.x (no RESUMED); a store keeps
                                 the one it was created with (default ${F["--state-machine"]})
  --recovery on|off              off: the server does not recover abandoned invocations (pynenc
                                 recovers them, through ListRecoveryCandidates); retention still
                                 runs (default ${F["--recovery"]})
  --max-pending-seconds S        PENDING longer than this is recovered: PENDING_RECOVERY, then
                                 REROUTED (default ${F["--max-pending-seconds"]}, pynenc's max_pending_seconds)
  --runner-dead-after-seconds S  RUNNING owned by a runner without a heartbeat for this long is
                                 recovered: RUNNING_RECOVERY, then REROUTED (default ${F["--runner-dead-after-seconds"]})
  --recovery-interval-seconds S  how often recovery and retention run (default ${F["--recovery-interval-seconds"]})
  --retain-changes N|DURATION    keep the last N changes, or those younger than DURATION such
                                 as 24h (default ${F["--retain-changes"]}); older watch revisions are OUT_OF_RANGE
  --purge-final-after DURATION   forget final invocations after this long (default ${F["--purge-final-after"]})
  --sqlite-skip-quick-check      open the SQLite file without PRAGMA quick_check, which reads every
                                 page (for huge files); a damaged file is then found only when a
                                 call reaches the damage (DATA_LOSS)
  --max-watchers N               watches open at once over both ports; one more is RESOURCE_EXHAUSTED
                                 (default ${F["--max-watchers"]}; about 20 KB each)
  --request-timeout-seconds S    a request must arrive in full within this long of its headers, on
                                 both ports (default ${F["--request-timeout-seconds"]}); responses may take longer
  --keepalive-seconds S          gRPC port: ping each connection this often (default ${F["--keepalive-seconds"]})...
  --keepalive-timeout-seconds S  ...and close it when the answer takes longer (default ${F["--keepalive-timeout-seconds"]})
  --max-connection-idle-seconds S
                                 gRPC port: close a connection with no call open for this long (default ${F["--max-connection-idle-seconds"]})
  --max-connection-age-seconds S gRPC port: ask a connection to go away after this long, ±10% (default
                                 ${F["--max-connection-age-seconds"]}); its watches end with UNAVAILABLE and resume on a new one
  --max-connection-age-grace-seconds S
                                 ...and close it this long after that (default ${F["--max-connection-age-grace-seconds"]})
  --max-concurrent-streams N     gRPC port: calls open at once on one connection (default ${F["--max-concurrent-streams"]})
  --http-headers-timeout-seconds S
                                 HTTP port: request headers must arrive within this long (default ${F["--http-headers-timeout-seconds"]})
  --http-keepalive-timeout-seconds S
                                 HTTP port: how long a kept-alive connection waits for its next
                                 request (default ${F["--http-keepalive-timeout-seconds"]})
  --http-idle-timeout-seconds S  HTTP port: close a connection with nothing sent either way for this
                                 long (default ${F["--http-idle-timeout-seconds"]}; must exceed --watch-progress-seconds)
  --allow-purge                  let PurgeNamespace delete a namespace's data (default ${F["--allow-purge"]}:
                                 it fails with FAILED_PRECONDITION PURGE_DISABLED)
  --tls-cert FILE                PEM certificate (chain) of both ports; with --tls-key, TLS on both
  --tls-key FILE                 PEM private key of --tls-cert
  --tls-client-ca FILE           PEM CA: both ports require a client certificate it signed (mutual TLS)
  --auth-principals FILE         JSON principals (token sha256 or client certificate CN, roles,
                                 runner ids, namespaces); every call must authenticate
  --auth-jwks FILE               JSON Web Key Set: accept JWTs signed by its keys (roles,
                                 runner_ids and namespaces claims; sub names the principal)
  --auth-jwt-issuer ISS          the iss every JWT must carry (required with --auth-jwks)
  --auth-jwt-audience AUD        the aud every JWT must carry (required with --auth-jwks)
  --metrics-public               with authentication on, leave GET /metrics open to anyone (default
                                 ${F["--metrics-public"]}: it needs a principal with the reader role)
  --cors-allow-origin ORIGIN     let browser pages from ORIGIN call the HTTP port (repeatable; *
                                 for any, without credentials); default none
  --insecure                     serve a non-loopback address without TLS and authentication
                                 (default ${F["--insecure"]}: serve refuses to)
  SIGHUP re-reads the TLS and authentication files; open connections and watches stay.
  -h, --help                     this text
`;

function positiveNumber(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) {
    throw new UsageError(`${flag} must be a positive number, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** A flag that takes a positive number, or its default when it is not given. */
function numberFlag(flag: string, value: string | undefined, fallback: number): number {
  return value === undefined ? fallback : positiveNumber(flag, value);
}

/** The value of an `on|off` flag, or its default when it is not given. */
function onOffFlag(flag: string, value: string | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (value !== "on" && value !== "off") throw new UsageError(`${flag} must be on or off`);
  return value === "on";
}

/** A flag in seconds, in milliseconds, or its default (in milliseconds) when it is not given. */
function secondsFlag(flag: string, value: string | undefined, defaultMs: number): number {
  return value === undefined ? defaultMs : positiveNumber(flag, value) * 1000;
}

/** The TLS files of `--tls-cert`, `--tls-key` and `--tls-client-ca`, which go together. */
function tlsFlags(certFile: string | undefined, keyFile: string | undefined, clientCaFile: string | undefined) {
  if (certFile === undefined && keyFile === undefined) {
    if (clientCaFile !== undefined) throw new UsageError("--tls-client-ca needs --tls-cert and --tls-key");
    return undefined;
  }
  if (certFile === undefined || keyFile === undefined) throw new UsageError("--tls-cert and --tls-key go together");
  return { certFile, keyFile, clientCaFile };
}

/** The JWT settings of `--auth-jwks`, `--auth-jwt-issuer` and `--auth-jwt-audience`, which go together. */
function jwtFlags(jwksFile: string | undefined, issuer: string | undefined, audience: string | undefined) {
  if (jwksFile === undefined && issuer === undefined && audience === undefined) return undefined;
  if (jwksFile === undefined || issuer === undefined || audience === undefined) {
    throw new UsageError("--auth-jwks, --auth-jwt-issuer and --auth-jwt-audience go together");
  }
  return { jwksFile, issuer, audience };
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
      "watch-cutoff-grace-seconds": { type: "string" },
      "shutdown-grace-seconds": { type: "string" },
      "state-machine": { type: "string" },
      recovery: { type: "string" },
      "allow-purge": { type: "boolean" },
      "max-pending-seconds": { type: "string" },
      "runner-dead-after-seconds": { type: "string" },
      "recovery-interval-seconds": { type: "string" },
      "retain-changes": { type: "string" },
      "purge-final-after": { type: "string" },
      "tls-cert": { type: "string" },
      "tls-key": { type: "string" },
      "tls-client-ca": { type: "string" },
      "auth-principals": { type: "string" },
      "auth-jwks": { type: "string" },
      "auth-jwt-issuer": { type: "string" },
      "auth-jwt-audience": { type: "string" },
      "cors-allow-origin": { type: "string", multiple: true },
      insecure: { type: "boolean" },
      "metrics-public": { type: "boolean" },
      "sqlite-skip-quick-check": { type: "boolean" },
      "max-watchers": { type: "string" },
      "request-timeout-seconds": { type: "string" },
      "keepalive-seconds": { type: "string" },
      "keepalive-timeout-seconds": { type: "string" },
      "max-connection-idle-seconds": { type: "string" },
      "max-connection-age-seconds": { type: "string" },
      "max-connection-age-grace-seconds": { type: "string" },
      "max-concurrent-streams": { type: "string" },
      "http-headers-timeout-seconds": { type: "string" },
      "http-keepalive-timeout-seconds": { type: "string" },
      "http-idle-timeout-seconds": { type: "string" },
      "stats-interval-seconds": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(SERVE_HELP);
    return 0;
  }
  const level = (values["log-level"] ?? D.logLevel) as LogLevel;
  if (!LOG_LEVELS.includes(level)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(", ")}`);
  const logger = createLogger(level);
  sendGrpcLogsTo(logger);
  const sqliteSynchronous = values["sqlite-synchronous"] ?? D.sqliteSynchronous;
  if (sqliteSynchronous !== "full" && sqliteSynchronous !== "normal") {
    throw new UsageError("--sqlite-synchronous must be full or normal");
  }
  const config = parseStateMachineArgument(values["state-machine"] ?? D.stateMachine);
  const recoveryEnabled = onOffFlag("--recovery", values.recovery, D.recoveryEnabled);
  const watchProgressIntervalMs = secondsFlag(
    "--watch-progress-seconds",
    values["watch-progress-seconds"],
    D.watchProgressIntervalMs,
  );
  const httpIdleTimeoutMs = secondsFlag(
    "--http-idle-timeout-seconds",
    values["http-idle-timeout-seconds"],
    D.httpIdleTimeoutMs,
  );
  const requestTimeoutMs = secondsFlag(
    "--request-timeout-seconds",
    values["request-timeout-seconds"],
    D.requestTimeoutMs,
  );
  if (httpIdleTimeoutMs <= watchProgressIntervalMs) {
    // Progress marks are what keeps an idle watch's connection busy on the HTTP port.
    throw new UsageError("--http-idle-timeout-seconds must be longer than --watch-progress-seconds");
  }
  const server = await serve({
    tls: tlsFlags(values["tls-cert"], values["tls-key"], values["tls-client-ca"]),
    auth: {
      principalsFile: values["auth-principals"],
      jwt: jwtFlags(values["auth-jwks"], values["auth-jwt-issuer"], values["auth-jwt-audience"]),
    },
    metricsPublic: values["metrics-public"] ?? D.metricsPublic,
    corsAllowOrigins: values["cors-allow-origin"] ?? [],
    insecure: values.insecure ?? D.insecure,
    config,
    recoveryEnabled,
    allowPurge: values["allow-purge"] ?? D.allowPurge,
    listen: values.listen,
    httpListen: values["http-listen"],
    store: values.store,
    redisPrefix: values["redis-prefix"],
    sqliteSynchronous,
    logger,
    maxMessageBytes: numberFlag("--max-message-bytes", values["max-message-bytes"], D.maxMessageBytes),
    watchBufferLimit: numberFlag("--watch-buffer", values["watch-buffer"], D.watchBufferLimit),
    watchProgressIntervalMs,
    watchCutOffGraceMs: secondsFlag(
      "--watch-cutoff-grace-seconds",
      values["watch-cutoff-grace-seconds"],
      D.watchCutOffGraceMs,
    ),
    shutdownGraceMs: secondsFlag("--shutdown-grace-seconds", values["shutdown-grace-seconds"], D.shutdownGraceMs),
    recovery: {
      maxPendingMs: secondsFlag("--max-pending-seconds", values["max-pending-seconds"], D.recovery.maxPendingMs),
      runnerDeadAfterMs: secondsFlag(
        "--runner-dead-after-seconds",
        values["runner-dead-after-seconds"],
        D.recovery.runnerDeadAfterMs,
      ),
    },
    maintenanceIntervalMs: secondsFlag(
      "--recovery-interval-seconds",
      values["recovery-interval-seconds"],
      D.maintenanceIntervalMs,
    ),
    retention: {
      ...(values["retain-changes"] === undefined
        ? { maxChanges: D.retention.maxChanges, maxAgeMs: D.retention.maxAgeMs }
        : parseRetainArgument("--retain-changes", values["retain-changes"])),
      purgeFinalAfterMs:
        values["purge-final-after"] === undefined
          ? D.retention.purgeFinalAfterMs
          : parseDurationArgument("--purge-final-after", values["purge-final-after"]),
    },
    sqliteSkipQuickCheck: values["sqlite-skip-quick-check"] ?? D.sqliteSkipQuickCheck,
    statsIntervalMs:
      level === "debug"
        ? secondsFlag("--stats-interval-seconds", values["stats-interval-seconds"], D.statsIntervalMs)
        : undefined,
    maxWatchers: numberFlag("--max-watchers", values["max-watchers"], D.maxWatchers),
    grpc: {
      requestTimeoutMs,
      keepaliveMs: secondsFlag("--keepalive-seconds", values["keepalive-seconds"], D.keepaliveMs),
      keepaliveTimeoutMs: secondsFlag(
        "--keepalive-timeout-seconds",
        values["keepalive-timeout-seconds"],
        D.keepaliveTimeoutMs,
      ),
      maxConnectionIdleMs: secondsFlag(
        "--max-connection-idle-seconds",
        values["max-connection-idle-seconds"],
        D.maxConnectionIdleMs,
      ),
      maxConnectionAgeMs: secondsFlag(
        "--max-connection-age-seconds",
        values["max-connection-age-seconds"],
        D.maxConnectionAgeMs,
      ),
      maxConnectionAgeGraceMs: secondsFlag(
        "--max-connection-age-grace-seconds",
        values["max-connection-age-grace-seconds"],
        D.maxConnectionAgeGraceMs,
      ),
      maxConcurrentStreams: numberFlag(
        "--max-concurrent-streams",
        values["max-concurrent-streams"],
        D.maxConcurrentStreams,
      ),
    },
    http: {
      requestTimeoutMs,
      headersTimeoutMs: secondsFlag(
        "--http-headers-timeout-seconds",
        values["http-headers-timeout-seconds"],
        D.httpHeadersTimeoutMs,
      ),
      keepAliveTimeoutMs: secondsFlag(
        "--http-keepalive-timeout-seconds",
        values["http-keepalive-timeout-seconds"],
        D.httpKeepAliveTimeoutMs,
      ),
      idleTimeoutMs: httpIdleTimeoutMs,
    },
  });
  // The signal handlers come first: whoever reads "listening on" may send a signal at once, and
  // a SIGTERM or SIGHUP before its handler would kill the process.
  const stopped = new Promise<Error | undefined>((resolve) => {
    const stop = (signal: string) => {
      logger.info("stopping", { signal });
      resolve(undefined);
    };
    process.once("SIGINT", () => stop("SIGINT"));
    process.once("SIGTERM", () => stop("SIGTERM"));
    // A failed reload is logged by the server, which keeps serving with the files it had.
    process.on("SIGHUP", () => void server.reload().catch(() => {}));
    // A store that failed for good (its file deleted) stops the server too.
    void server.failed.then(resolve);
  });
  process.stdout.write(`listening on ${server.grpcAddress}\nlistening on ${server.httpAddress}\n`);
  logger.info("started", {
    grpc: server.grpcAddress,
    http: server.httpAddress,
    store: values.store ?? D.store,
    stateMachine: config.profile,
    recovery: recoveryEnabled ? "on" : "off",
    pid: process.pid,
  });
  const failure = await stopped;
  await server.close();
  // A store that failed for good (its file deleted): exit non-zero, for a supervisor to restart it.
  return failure === undefined ? 0 : 1;
}

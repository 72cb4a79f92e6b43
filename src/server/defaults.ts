import type { RecoveryPolicy, RetentionPolicy } from "../store/index.js";
import type { LogLevel } from "./logger.js";

/** Every option of a server, as `pynenc-status serve` runs it when a flag is not given. */
export interface ServeDefaults {
  /** The gRPC port's address (also where the command-line clients look for a server). */
  readonly listen: string;
  /** The Connect and gRPC-Web port's address. */
  readonly httpListen: string;
  readonly store: string;
  readonly redisPrefix: string;
  readonly sqliteSynchronous: "full" | "normal";
  readonly logLevel: LogLevel;
  readonly maxMessageBytes: number;
  readonly watchBufferLimit: number;
  readonly watchProgressIntervalMs: number;
  readonly shutdownGraceMs: number;
  /** The state machine's profile (a key of STATE_MACHINE_PROFILES). */
  readonly stateMachine: string;
  /** Whether the server recovers abandoned invocations itself (`--recovery on`). */
  readonly recoveryEnabled: boolean;
  readonly recovery: RecoveryPolicy;
  readonly maintenanceIntervalMs: number;
  readonly retention: RetentionPolicy;
  /** Whether PurgeNamespace may delete a namespace (`--allow-purge`). */
  readonly allowPurge: boolean;
  /** Whether a non-loopback address may be served without TLS and authentication (`--insecure`). */
  readonly insecure: boolean;
  /** Whether `GET /metrics` stays open under authentication (`--metrics-public`); else it needs the reader role. */
  readonly metricsPublic: boolean;
  readonly sqliteSkipQuickCheck: boolean;
  /** Watches open at once, over both ports. */
  readonly maxWatchers: number;
  /** How long a watcher cut off as too slow gets to read up to its error before its stream is dropped. */
  readonly watchCutOffGraceMs: number;
  /** Both ports: a request must arrive in full within this long of its headers. */
  readonly requestTimeoutMs: number;
  /** gRPC port: keepalive ping interval, and how long its answer may take. */
  readonly keepaliveMs: number;
  readonly keepaliveTimeoutMs: number;
  /** gRPC port: connections with no call open for this long are closed. */
  readonly maxConnectionIdleMs: number;
  /** gRPC port: connections are asked to go away after this long, and closed after the grace. */
  readonly maxConnectionAgeMs: number;
  readonly maxConnectionAgeGraceMs: number;
  /** gRPC port: calls open at once on one connection. */
  readonly maxConcurrentStreams: number;
  /** HTTP port: the request headers must arrive within this long. */
  readonly httpHeadersTimeoutMs: number;
  /** HTTP port: a kept-alive connection waits this long for its next request. */
  readonly httpKeepAliveTimeoutMs: number;
  /** HTTP port: a connection with nothing read or written for this long is closed. */
  readonly httpIdleTimeoutMs: number;
  /** At debug level, how often a `stats` line (memory, event-loop delay) is logged. */
  readonly statsIntervalMs: number;
}

const DAY_MS = 86_400_000;

/**
 * The defaults of serve(), the `serve` command and its help, in one place. The state machine is
 * pynenc 0.2's (the seed's); recovery and retention are pynenc's: max_pending_seconds 5, a runner
 * dead after 10 minutes of silence, final invocations purged after 24 hours.
 */
export const SERVE_DEFAULTS: ServeDefaults = Object.freeze({
  listen: "127.0.0.1:50051",
  httpListen: "127.0.0.1:8080",
  store: "sqlite:./pynenc-status.db",
  redisPrefix: "pynenc-status",
  sqliteSynchronous: "normal",
  logLevel: "info",
  // gRPC's own default limit.
  maxMessageBytes: 4 * 1024 * 1024,
  watchBufferLimit: 10_000,
  watchProgressIntervalMs: 10_000,
  shutdownGraceMs: 5_000,
  stateMachine: "pynenc-0.2",
  recoveryEnabled: true,
  recovery: Object.freeze({ maxPendingMs: 5_000, runnerDeadAfterMs: 600_000 }),
  maintenanceIntervalMs: 1_000,
  retention: Object.freeze({ maxAgeMs: DAY_MS, purgeFinalAfterMs: DAY_MS }),
  allowPurge: false,
  insecure: false,
  metricsPublic: false,
  sqliteSkipQuickCheck: false,
  // About 20 KB each: 10,000 watchers are about 200 MB.
  maxWatchers: 10_000,
  // Its buffer is dropped at once; what the transport still holds for it is small (a flow-control
  // window, a few messages), so a client paused for a few seconds still gets its error.
  watchCutOffGraceMs: 10_000,
  // A 4 MiB message needs about 1 Mbit/s to arrive in time.
  requestTimeoutMs: 30_000,
  // gRPC's guidance for servers: keepalive, idle and age limits. The pings find a dead peer (and a
  // connection nghttp2 stopped reading) within 50 s; runners that heartbeat keep theirs open; an
  // aged connection's watches end cleanly with UNAVAILABLE and resume on a new connection.
  keepaliveMs: 30_000,
  keepaliveTimeoutMs: 20_000,
  maxConnectionIdleMs: 300_000,
  maxConnectionAgeMs: 1_800_000,
  maxConnectionAgeGraceMs: 30_000,
  // Rather than HTTP/2's unlimited default. Not lower: gRPC clients (grpc-js, connect-node) do not
  // open another connection for calls past it, they wait, so a client with more watches open than
  // this on one channel would wait for good. Each stream may hold a request of up to
  // --max-message-bytes while it arrives, for at most --request-timeout-seconds.
  maxConcurrentStreams: 1_000,
  httpHeadersTimeoutMs: 10_000,
  // Node's own default.
  httpKeepAliveTimeoutMs: 5_000,
  // Longer than the watch progress interval, which keeps an open watch busy.
  httpIdleTimeoutMs: 60_000,
  statsIntervalMs: 10_000,
});

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
});

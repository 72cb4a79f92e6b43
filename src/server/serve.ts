import { StatusService } from "../../gen/ts/pynenc/status/v1/status_pb.js";
import type { StatusConfiguration } from "../core/index.js";
import { createStatusService } from "../service/status-service.js";
import { openStore, type RecoveryPolicy, type RetentionPolicy, type StatusStore } from "../store/index.js";
import { formatAddress, parseListenAddress } from "./address.js";
import { createGrpcServer } from "./grpc-server.js";
import { createHttpServer } from "./http-server.js";
import type { Logger } from "./logger.js";
import { startMaintenance } from "./maintenance.js";

/** Options of a running server (the flags of `pynenc-status serve`). */
export interface ServeOptions {
  /** gRPC address, default 127.0.0.1:50051. */
  readonly listen?: string;
  /** Connect and gRPC-Web address, default 127.0.0.1:8080. */
  readonly httpListen?: string;
  /** `memory`, `sqlite:PATH` or `redis://HOST:PORT/DB`, default sqlite:./pynenc-status.db. */
  readonly store?: string;
  /** Key prefix in Redis. */
  readonly redisPrefix?: string;
  /** SQLite durability: `normal` (default, survives kill -9) or `full` (survives a power cut). */
  readonly sqliteSynchronous?: "full" | "normal";
  /** The state machine and the server's own transitions (default: pynenc's). */
  readonly config?: StatusConfiguration;
  readonly logger: Logger;
  readonly maxMessageBytes?: number;
  readonly watchBufferLimit?: number;
  readonly watchProgressIntervalMs?: number;
  /** How long shutdown waits for calls in flight before cutting them off. */
  readonly shutdownGraceMs?: number;
  /** When invocations count as abandoned; default pynenc's (5 s pending, 10 min silent runner). */
  readonly recovery?: RecoveryPolicy;
  /** What the store keeps; default 24 hours of changes, final invocations purged after 24 hours. */
  readonly retention?: RetentionPolicy;
  /** How often recovery and retention run (default 1 s). */
  readonly maintenanceIntervalMs?: number;
}

/** pynenc's defaults: max_pending_seconds 5, a runner is dead after 10 minutes of silence. */
export const DEFAULT_RECOVERY: RecoveryPolicy = { maxPendingMs: 5_000, runnerDeadAfterMs: 600_000 };
/** A day of changes and of final invocations (pynenc purges final invocations after 24 hours). */
export const DEFAULT_RETENTION: RetentionPolicy = { maxAgeMs: 86_400_000, purgeFinalAfterMs: 86_400_000 };

/** A server that is accepting calls on both ports. */
export interface RunningServer {
  readonly grpcAddress: string;
  readonly httpAddress: string;
  readonly store: StatusStore;
  /** Stop cleanly: NOT_SERVING, no new calls, watches end with UNAVAILABLE, the store closed. */
  close(): Promise<void>;
}

/** Open the store and serve it on the gRPC and HTTP ports. */
export async function serve(options: ServeOptions): Promise<RunningServer> {
  const { logger } = options;
  const grpcListen = parseListenAddress(options.listen ?? "127.0.0.1:50051");
  const httpListen = parseListenAddress(options.httpListen ?? "127.0.0.1:8080");
  const storeSpec = options.store ?? "sqlite:./pynenc-status.db";
  const store = await openStore(storeSpec, {
    redisPrefix: options.redisPrefix,
    sqliteSynchronous: options.sqliteSynchronous,
    config: options.config,
  });
  const shutdown = new AbortController();
  const handlers = createStatusService({
    store,
    config: options.config,
    shutdownSignal: shutdown.signal,
    watchBufferLimit: options.watchBufferLimit,
    watchProgressIntervalMs: options.watchProgressIntervalMs,
  });
  const grpcServer = createGrpcServer(handlers, logger, { maxMessageBytes: options.maxMessageBytes });
  const httpServer = createHttpServer(handlers, { maxMessageBytes: options.maxMessageBytes });
  let grpcPort: number;
  let httpPort: number;
  try {
    grpcPort = await grpcServer.listen(grpcListen.host, grpcListen.port);
    httpPort = await httpServer.listen(httpListen.host, httpListen.port);
  } catch (error) {
    grpcServer.server.forceShutdown();
    await httpServer.close();
    await store.close();
    throw error;
  }
  const maintenance = startMaintenance(
    store,
    {
      recovery: options.recovery ?? DEFAULT_RECOVERY,
      retention: options.retention ?? DEFAULT_RETENTION,
      intervalMs: options.maintenanceIntervalMs ?? 1_000,
    },
    logger,
  );
  for (const service of ["", StatusService.typeName]) grpcServer.health.setStatus(service, "SERVING");
  const grpcAddress = formatAddress(grpcListen.host, grpcPort);
  const httpAddress = formatAddress(httpListen.host, httpPort);

  let closing: Promise<void> | undefined;
  return {
    grpcAddress,
    httpAddress,
    store,
    close() {
      closing ??= (async () => {
        for (const service of ["", StatusService.typeName]) grpcServer.health.setStatus(service, "NOT_SERVING");
        shutdown.abort();
        const grace = options.shutdownGraceMs ?? 5_000;
        await Promise.all([
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => grpcServer.server.forceShutdown(), grace);
            grpcServer.server.tryShutdown(() => {
              clearTimeout(timer);
              resolve();
            });
          }),
          httpServer.close(grace),
        ]);
        await maintenance.stop();
        await store.close();
        logger.info("stopped", { grpc: grpcAddress, http: httpAddress });
      })();
      return closing;
    },
  };
}

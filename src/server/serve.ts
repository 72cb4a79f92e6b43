import { StatusService } from "../../gen/ts/pynenc/status/v1/status_pb.js";
import { STATE_MACHINE_PROFILES, type StatusConfiguration } from "../core/index.js";
import { createStatusService } from "../service/status-service.js";
import { openStore, type RecoveryPolicy, type RetentionPolicy, type StatusStore } from "../store/index.js";
import { formatAddress, parseListenAddress } from "./address.js";
import { type AuthFiles, authenticationEnabled, loadAuthSettings } from "./auth/auth-settings.js";
import { type Authenticator, createAuthenticator } from "./auth/authenticator.js";
import { guardHandlers } from "./auth/guarded-handlers.js";
import { createMetricsGuard } from "./auth/metrics-guard.js";
import type { CorsAllowOrigins } from "./cors-policy.js";
import { SERVE_DEFAULTS } from "./defaults.js";
import { createGrpcServer, type GrpcServerOptions } from "./grpc-server.js";
import { createHttpPages } from "./http-pages.js";
import { createHttpServer, type HttpServerOptions } from "./http-server.js";
import { checkBindIsSafe } from "./insecure-bind.js";
import { instrumentHandlers } from "./instrument-handlers.js";
import { instrumentStore } from "./instrumented-store.js";
import { listenErrorFrom } from "./listen-error.js";
import type { Logger } from "./logger.js";
import { startMaintenance } from "./maintenance.js";
import { createServerMetrics, type ServerMetrics } from "./server-metrics.js";
import { startStatsLog } from "./stats-log.js";
import { createReloadableGrpcCredentials } from "./tls/grpc-tls-credentials.js";
import { loadTlsMaterial, type TlsFiles } from "./tls/tls-material.js";

/** Options of a running server (the flags of `pynenc-status serve`); each defaults to SERVE_DEFAULTS. */
export interface ServeOptions {
  /** gRPC address. */
  readonly listen?: string;
  /** Connect and gRPC-Web address. */
  readonly httpListen?: string;
  /** `memory`, `sqlite:PATH` or `redis://HOST:PORT/DB`. */
  readonly store?: string;
  /** Key prefix in Redis. */
  readonly redisPrefix?: string;
  /** SQLite durability: `normal` (survives kill -9) or `full` (survives a power cut). */
  readonly sqliteSynchronous?: "full" | "normal";
  /**
   * The state machine and the server's own transitions (default: the profile
   * SERVE_DEFAULTS.stateMachine); a persistent store pins it and refuses another one.
   */
  readonly config?: StatusConfiguration;
  readonly logger: Logger;
  readonly maxMessageBytes?: number;
  readonly watchBufferLimit?: number;
  readonly watchProgressIntervalMs?: number;
  /** How long a watch cut off as too slow has to read up to its error before its stream is dropped. */
  readonly watchCutOffGraceMs?: number;
  /** How long shutdown waits for calls in flight before cutting them off. */
  readonly shutdownGraceMs?: number;
  /** When invocations count as abandoned (also ListRunners' default for a dead runner). */
  readonly recovery?: RecoveryPolicy;
  /** Whether the server recovers abandoned invocations itself; retention runs either way. */
  readonly recoveryEnabled?: boolean;
  /** Whether PurgeNamespace may delete a namespace. */
  readonly allowPurge?: boolean;
  /** What the store keeps. */
  readonly retention?: RetentionPolicy;
  /** How often recovery and retention run. */
  readonly maintenanceIntervalMs?: number;
  /** Where the built dashboard is (default: dist/dashboard of this package). */
  readonly dashboardDir?: string;
  /** TLS on both ports (mutual TLS with a client CA); re-read by reload(). */
  readonly tls?: TlsFiles;
  /** Authentication (principals file, JWTs) and role-based access; re-read by reload(). */
  readonly auth?: AuthFiles;
  /** Under authentication, leave `GET /metrics` open (`--metrics-public`); else it needs the reader role. */
  readonly metricsPublic?: boolean;
  /** Origins browsers may call the HTTP port from; none by default. */
  readonly corsAllowOrigins?: CorsAllowOrigins;
  /** Serve a non-loopback address without TLS and authentication all the same (`--insecure`). */
  readonly insecure?: boolean;
  /** Open a SQLite file without `PRAGMA quick_check` (huge files). */
  readonly sqliteSkipQuickCheck?: boolean;
  /** Watches open at once, over both ports. */
  readonly maxWatchers?: number;
  /** The gRPC port's connection limits. */
  readonly grpc?: Omit<GrpcServerOptions, "maxMessageBytes" | "watchCutOffGraceMs">;
  /** The HTTP port's connection limits. */
  readonly http?: Pick<
    HttpServerOptions,
    "headersTimeoutMs" | "requestTimeoutMs" | "keepAliveTimeoutMs" | "idleTimeoutMs"
  >;
  /** Log a `stats` line (memory, event-loop delay) this often at debug level; none when unset. */
  readonly statsIntervalMs?: number;
}

/** A server that is accepting calls on both ports. */
export interface RunningServer {
  readonly grpcAddress: string;
  readonly httpAddress: string;
  /** The store, as the server uses it (counted in the metrics). */
  readonly store: StatusStore;
  readonly metrics: ServerMetrics;
  /**
   * Re-read the TLS and authentication files (SIGHUP): new connections get the new certificate,
   * the next call the new principals; nothing is closed. On an error (logged) the server keeps
   * the files it had, and the promise rejects.
   */
  reload(): Promise<void>;
  /**
   * Resolves with the error that made the store refuse every write for good (its file deleted or
   * replaced): the server then reports NOT_SERVING and has logged it; close it and exit non-zero,
   * for a supervisor to restart it. Never resolves otherwise.
   */
  readonly failed: Promise<Error>;
  /** Stop cleanly: NOT_SERVING, no new calls, watches end with UNAVAILABLE, the store closed. */
  close(): Promise<void>;
}

/** Open the store and serve it on the gRPC and HTTP ports. */
export async function serve(options: ServeOptions): Promise<RunningServer> {
  const { logger } = options;
  const grpcListen = parseListenAddress(options.listen ?? SERVE_DEFAULTS.listen);
  const httpListen = parseListenAddress(options.httpListen ?? SERVE_DEFAULTS.httpListen);
  const maxMessageBytes = options.maxMessageBytes ?? SERVE_DEFAULTS.maxMessageBytes;
  const recovery = options.recovery ?? SERVE_DEFAULTS.recovery;
  const config = options.config ?? STATE_MACHINE_PROFILES.get(SERVE_DEFAULTS.stateMachine)!;
  const authFiles = authenticationEnabled(options.auth) ? options.auth : undefined;
  checkBindIsSafe(
    [
      { flag: "--listen", address: grpcListen },
      { flag: "--http-listen", address: httpListen },
    ],
    { tls: options.tls !== undefined, authentication: authFiles !== undefined, insecure: options.insecure === true },
  );
  // Every file is read and checked before anything opens: a bad one stops serve, naming it.
  const tlsMaterial = options.tls === undefined ? undefined : loadTlsMaterial(options.tls);
  let authenticator: Authenticator | undefined =
    authFiles === undefined ? undefined : createAuthenticator(loadAuthSettings(authFiles));
  const grpcTls = tlsMaterial === undefined ? undefined : createReloadableGrpcCredentials(tlsMaterial);
  const metrics = createServerMetrics();
  const openedStore = await openStore(options.store ?? SERVE_DEFAULTS.store, {
    redisPrefix: options.redisPrefix ?? SERVE_DEFAULTS.redisPrefix,
    sqliteSynchronous: options.sqliteSynchronous ?? SERVE_DEFAULTS.sqliteSynchronous,
    config,
    observer: metrics.storeObserver,
    sqliteSkipQuickCheck: options.sqliteSkipQuickCheck ?? SERVE_DEFAULTS.sqliteSkipQuickCheck,
  });
  const store = instrumentStore(openedStore, metrics);
  metrics.bindStore(store);
  const shutdown = new AbortController();
  const service = createStatusService({
    store,
    shutdownSignal: shutdown.signal,
    watchBufferLimit: options.watchBufferLimit ?? SERVE_DEFAULTS.watchBufferLimit,
    watchProgressIntervalMs: options.watchProgressIntervalMs ?? SERVE_DEFAULTS.watchProgressIntervalMs,
    runnerDeadAfterMs: recovery.runnerDeadAfterMs,
    allowPurge: options.allowPurge ?? SERVE_DEFAULTS.allowPurge,
    onInternalError: (error) => logger.error("internal error", { error }),
    onLargePage: (thread) => metrics.largePages.inc({ thread }),
    maxWatchers: options.maxWatchers ?? SERVE_DEFAULTS.maxWatchers,
  });
  const watchCutOffGraceMs = options.watchCutOffGraceMs ?? SERVE_DEFAULTS.watchCutOffGraceMs;
  // Access control inside, metrics outside: the metrics count the calls it refuses too.
  const guarded = authenticator === undefined ? service : guardHandlers(service, () => authenticator!, logger);
  const handlers = instrumentHandlers(StatusService, guarded, metrics);
  const grpcServer = createGrpcServer(handlers, logger, {
    ...options.grpc,
    maxMessageBytes,
    watchCutOffGraceMs,
    credentials: grpcTls?.credentials,
  });
  const metricsOpen = authenticator === undefined || (options.metricsPublic ?? SERVE_DEFAULTS.metricsPublic);
  const pages = createHttpPages({
    metrics: {
      contentType: metrics.registry.contentType,
      scrape: metrics.scrape,
      admit: metricsOpen ? undefined : createMetricsGuard(() => authenticator!, logger),
    },
    dashboardDir: options.dashboardDir,
  });
  const httpServer = createHttpServer(handlers, {
    ...options.http,
    maxMessageBytes,
    watchCutOffGraceMs,
    logger,
    servingStatus: () => grpcServer.health.statusOf(""),
    pages,
    tls: tlsMaterial,
    corsAllowOrigins: options.corsAllowOrigins,
  });
  let grpcPort: number;
  let httpPort: number;
  try {
    grpcPort = await grpcServer.listen(grpcListen.host, grpcListen.port).catch((error: unknown) => {
      throw listenErrorFrom(error, "the gRPC port", formatAddress(grpcListen.host, grpcListen.port), "--listen");
    });
    httpPort = await httpServer.listen(httpListen.host, httpListen.port).catch((error: unknown) => {
      throw listenErrorFrom(error, "the HTTP port", formatAddress(httpListen.host, httpListen.port), "--http-listen");
    });
  } catch (error) {
    grpcServer.server.forceShutdown();
    await httpServer.close();
    await store.close();
    throw error;
  }
  const maintenance = startMaintenance(
    store,
    {
      recovery: (options.recoveryEnabled ?? SERVE_DEFAULTS.recoveryEnabled) ? recovery : "off",
      retention: options.retention ?? SERVE_DEFAULTS.retention,
      intervalMs: options.maintenanceIntervalMs ?? SERVE_DEFAULTS.maintenanceIntervalMs,
    },
    logger,
  );
  const stats = options.statsIntervalMs === undefined ? undefined : startStatsLog(logger, options.statsIntervalMs);
  for (const service of ["", StatusService.typeName]) grpcServer.health.setStatus(service, "SERVING");
  const grpcAddress = formatAddress(grpcListen.host, grpcPort);
  const httpAddress = formatAddress(httpListen.host, httpPort);
  if (tlsMaterial !== undefined) {
    logger.info("tls", {
      certificateExpires: tlsMaterial.notAfter.toISOString(),
      mutual: tlsMaterial.clientCa !== undefined,
    });
  }
  const failed = (openedStore.failed ?? new Promise<Error>(() => {})).then((error) => {
    for (const service of ["", StatusService.typeName]) grpcServer.health.setStatus(service, "NOT_SERVING");
    logger.error("store failed; refusing writes until restarted", { error });
    return error;
  });

  let closing: Promise<void> | undefined;
  return {
    grpcAddress,
    httpAddress,
    store,
    metrics,
    async reload() {
      try {
        const material = options.tls === undefined ? undefined : loadTlsMaterial(options.tls);
        const settings = authFiles === undefined ? undefined : loadAuthSettings(authFiles);
        if (material !== undefined) {
          grpcTls?.update(material);
          httpServer.updateTls(material);
        }
        if (settings !== undefined) authenticator = createAuthenticator(settings);
        logger.info("reloaded", {
          ...(material === undefined ? {} : { certificateExpires: material.notAfter.toISOString() }),
          ...(settings === undefined
            ? {}
            : { principals: settings.principals.length, jwt: settings.jwt !== undefined }),
        });
      } catch (error) {
        logger.error("reload failed; still serving with the files read before", { error: (error as Error).message });
        throw error;
      }
    },
    failed,
    close() {
      closing ??= (async () => {
        for (const service of ["", StatusService.typeName]) grpcServer.health.setStatus(service, "NOT_SERVING");
        shutdown.abort();
        const grace = options.shutdownGraceMs ?? SERVE_DEFAULTS.shutdownGraceMs;
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
        stats?.stop();
        await store.close();
        logger.info("stopped", { grpc: grpcAddress, http: httpAddress });
      })();
      return closing;
    },
  };
}

import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { StatusStore, StoreObserver } from "../store/index.js";

/** The labels of the gRPC server metrics, as go-grpc-prometheus names them, plus the protocol. */
export type RpcLabel = "grpc_service" | "grpc_method" | "grpc_type" | "protocol";

/** The metrics of one server, in a registry of its own (servers in one process never share one). */
export interface ServerMetrics {
  readonly registry: Registry;
  readonly rpcStarted: Counter<RpcLabel>;
  readonly rpcHandled: Counter<RpcLabel | "grpc_code">;
  readonly rpcSeconds: Histogram<RpcLabel>;
  readonly transitions: Counter<"from" | "to">;
  readonly rejections: Counter<"reason">;
  readonly watchers: Gauge<"grpc_method">;
  readonly watchEventsSent: Counter<"grpc_method" | "event">;
  readonly watchersTooSlow: Counter;
  readonly recoveryPasses: Counter;
  readonly recovered: Counter<"kind">;
  readonly compactedChanges: Counter;
  readonly purgedInvocations: Counter;
  readonly largePages: Counter<"thread">;
  /** Reports the SQLite store's group commits (give it to openStore). */
  readonly storeObserver: StoreObserver;
  /** Read the invocations per status and the revisions from this store at every scrape. */
  bindStore(store: StatusStore): void;
  /** The exposition, in Prometheus text format: this server's metrics, then the process's. */
  scrape(): Promise<string>;
}

let processRegistry: Registry | undefined;

/**
 * Node's default process metrics (prom-client's collectDefaultMetrics), collected once per process:
 * they describe the process, so every server in it shares them, and a server that closes leaves
 * no event-loop monitor or GC observer of its own behind.
 */
function processMetrics(): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

// Prometheus's default buckets start at 5 ms; most calls here take well under one.
const RPC_SECONDS_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
const COMMIT_SECONDS_BUCKETS = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1,
];
const GROUP_SIZE_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

/**
 * Create a server's metrics: RPCs on both ports, transitions and rejections, watchers, recovery
 * and retention, the SQLite group commit, and Node's process metrics. The invocation counts and
 * revisions are read at scrape time from what the store keeps (its counts per status are kept by
 * every commit, never recounted), so a scrape costs the same at any number of invocations.
 */
export function createServerMetrics(): ServerMetrics {
  const registry = new Registry();
  const registers = [registry];
  const rpcLabels: RpcLabel[] = ["grpc_service", "grpc_method", "grpc_type", "protocol"];
  let store: StatusStore | undefined;

  const commitSeconds = new Histogram({
    name: "pynenc_status_sqlite_commit_seconds",
    help: "Time to run and commit one SQLite group commit (every call queued in one turn of the event loop).",
    buckets: COMMIT_SECONDS_BUCKETS,
    registers,
  });
  const commitGroupSize = new Histogram({
    name: "pynenc_status_sqlite_commit_group_size",
    help: "Operations (calls) committed together in one SQLite transaction.",
    buckets: GROUP_SIZE_BUCKETS,
    registers,
  });

  new Gauge({
    name: "pynenc_status_invocations",
    help: "Invocations per namespace and status, as the store keeps them (never recounted per scrape).",
    labelNames: ["namespace", "status"],
    registers,
    async collect() {
      this.reset();
      if (store === undefined) return;
      const namespaces = await store.listNamespaces();
      const counts = await Promise.all(namespaces.map((namespace) => store!.countInvocations(namespace)));
      namespaces.forEach((namespace, i) => {
        for (const [status, count] of counts[i]!.counts) this.set({ namespace, status }, count);
      });
    },
  });
  new Gauge({
    name: "pynenc_status_revision",
    help: "Revision of the last committed change this server has seen.",
    registers,
    collect() {
      if (store !== undefined) this.set(store.currentRevision());
    },
  });
  new Gauge({
    name: "pynenc_status_oldest_revision",
    help: "Oldest revision whose change is still kept (watches can resume from it).",
    registers,
    collect() {
      if (store !== undefined) this.set(store.oldestRevision());
    },
  });

  return {
    registry,
    rpcStarted: new Counter({
      name: "grpc_server_started_total",
      help: "RPCs started on the server, by method and protocol.",
      labelNames: rpcLabels,
      registers,
    }),
    rpcHandled: new Counter({
      name: "grpc_server_handled_total",
      help: "RPCs completed on the server, by method, protocol and gRPC status code.",
      labelNames: [...rpcLabels, "grpc_code"],
      registers,
    }),
    rpcSeconds: new Histogram({
      name: "grpc_server_handling_seconds",
      help: "Time from the start of an RPC to its end (a stream's whole life), in seconds.",
      labelNames: rpcLabels,
      buckets: RPC_SECONDS_BUCKETS,
      registers,
    }),
    transitions: new Counter({
      name: "pynenc_status_transitions_total",
      help: 'Changes this server committed, by previous and new status (from="none" for a registration).',
      labelNames: ["from", "to"],
      registers,
    }),
    rejections: new Counter({
      name: "pynenc_status_rejections_total",
      help: "Transitions the store refused, by the ErrorInfo reason the client got.",
      labelNames: ["reason"],
      registers,
    }),
    watchers: new Gauge({
      name: "pynenc_status_watchers",
      help: "Open watch streams (WatchStatus, WatchCounts).",
      labelNames: ["grpc_method"],
      registers,
    }),
    watchEventsSent: new Counter({
      name: "pynenc_status_watch_events_sent_total",
      help: "Messages sent on watch streams: change, initial (snapshot record), progress, counts.",
      labelNames: ["grpc_method", "event"],
      registers,
    }),
    watchersTooSlow: new Counter({
      name: "pynenc_status_watchers_too_slow_total",
      help: "Watchers cut off for falling further behind than --watch-buffer (WATCHER_TOO_SLOW).",
      registers,
    }),
    recoveryPasses: new Counter({
      name: "pynenc_status_recovery_passes_total",
      help: "Recovery passes this server ran (it held the recovery lease).",
      registers,
    }),
    recovered: new Counter({
      name: "pynenc_status_recovered_total",
      help: "Invocations this server recovered, by rule (pending-timeout, dead-runner).",
      labelNames: ["kind"],
      registers,
    }),
    compactedChanges: new Counter({
      name: "pynenc_status_compacted_changes_total",
      help: "Changes retention dropped from the change log.",
      registers,
    }),
    purgedInvocations: new Counter({
      name: "pynenc_status_purged_invocations_total",
      help: "Final invocations retention forgot (--purge-final-after).",
      registers,
    }),
    largePages: new Counter({
      name: "pynenc_status_large_pages_total",
      help:
        "Pages of 200 records or more listed (ListInvocations, ListAvailableForRun), by the thread that read " +
        "them: page_thread (a SQLite store's reading thread, for the gRPC port) or event_loop.",
      labelNames: ["thread"],
      registers,
    }),
    storeObserver: {
      groupCommitted(operations, seconds) {
        commitGroupSize.observe(operations);
        commitSeconds.observe(seconds);
      },
    },
    bindStore(bound) {
      store = bound;
    },
    async scrape() {
      const [own, process] = await Promise.all([registry.metrics(), processMetrics().metrics()]);
      return `${own}\n${process}`;
    },
  };
}

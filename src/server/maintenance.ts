import { randomUUID } from "node:crypto";
import type { RecoveryPolicy, RetentionPolicy, StatusStore } from "../store/index.js";
import type { Logger } from "./logger.js";

/** How the server looks after the store on its own. */
export interface MaintenanceOptions {
  /** When invocations count as abandoned; "off" leaves recovery to the clients (pynenc's own). */
  readonly recovery: RecoveryPolicy | "off";
  readonly retention: RetentionPolicy;
  /** How often a pass runs. */
  readonly intervalMs: number;
  /** Names this server in leases (default: a random id). */
  readonly holder?: string;
}

/** The running maintenance loop. */
export interface Maintenance {
  /** Run one pass now (tests and shutdown use it); resolves when it is done. */
  runOnce(): Promise<void>;
  /** Stop the loop and wait for a pass in progress. */
  stop(): Promise<void>;
}

const RECOVERY_LEASE = "recovery";

/**
 * Recovery and retention on a timer, as pynenc's recovery services do it. Servers sharing a store
 * take a lease first, so only one of them recovers and compacts at a time; the lease outlives a
 * few missed passes, after which another server takes over. With recovery "off" (pynenc recovers
 * through ListRecoveryCandidates) only retention runs.
 */
export function startMaintenance(store: StatusStore, options: MaintenanceOptions, logger: Logger): Maintenance {
  const holder = options.holder ?? randomUUID();
  const leaseMs = options.intervalMs * 3;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;

  async function pass(): Promise<void> {
    if (!(await store.acquireLease(RECOVERY_LEASE, holder, leaseMs))) return;
    if (options.recovery !== "off") {
      const recovered = await store.recover(options.recovery);
      if (recovered.length > 0) {
        const invocations = new Set(recovered.map((c) => `${c.record.namespace}\0${c.record.invocationId}`));
        logger.info("recovered", { invocations: invocations.size, changes: recovered.length });
      }
    }
    const compaction = await store.compact(options.retention);
    if (compaction.changesRemoved + compaction.invocationsPurged > 0) logger.info("compacted", { ...compaction });
  }

  function runOnce(): Promise<void> {
    running = running.then(pass).catch((error: unknown) => logger.error("maintenance failed", { error }));
    return running;
  }

  const timer = setInterval(() => {
    if (!stopped) void runOnce();
  }, options.intervalMs);
  timer.unref();

  return {
    runOnce,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}

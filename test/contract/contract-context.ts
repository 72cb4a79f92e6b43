import { InvocationStatus as S, type StatusConfiguration } from "../../src/core/index.js";
import type { HeartbeatCommand, StatusStore, TransitionCommand } from "../../src/store/index.js";

/** A fresh, empty store per test, on the given clock and state machine (pynenc's when not given). */
export type StoreFactory = (options: {
  now: () => Date;
  config?: StatusConfiguration;
}) => StatusStore | Promise<StatusStore>;

/** What every part of the contract suite gets: the store of the current test and its clock. */
export interface ContractContext {
  /** The fresh store of the current test. */
  store(): StatusStore;
  /** The factory, for a test that needs a second store (another state machine, say). */
  readonly factory: StoreFactory;
  /** The clock the store reads, in ms; tests move it by hand. */
  now(): number;
  advance(ms: number): void;
}

/** The default namespace. */
export const NS = "";

/** A transition command in the default namespace unless `extra` says otherwise. */
export function command(
  invocationId: string,
  status: S,
  runnerId: string | null = null,
  extra: Partial<TransitionCommand> = {},
): TransitionCommand {
  return { namespace: NS, invocationId, status, runnerId, taskId: "", ...extra };
}

/** A heartbeat of one or more runners in the default namespace unless `extra` says otherwise. */
export function heartbeat(runnerIds: string | string[], extra: Partial<HeartbeatCommand> = {}): HeartbeatCommand {
  return { namespace: NS, runnerIds: typeof runnerIds === "string" ? [runnerIds] : runnerIds, ...extra };
}

/** Invocations and their tasks, in the order the listing and claiming tests register them. */
export const INVOCATION_TASKS = [
  ["a", "t1"],
  ["b", "t2"],
  ["c", "t1"],
  ["d", "t1"],
] as const;

/** Move a new invocation to RUNNING owned by `runner`. */
export async function startRunning(store: StatusStore, id: string, runner: string, namespace = NS): Promise<void> {
  await store.transition(command(id, S.REGISTERED, null, { namespace }));
  await store.transition(command(id, S.PENDING, runner, { namespace }));
  await store.transition(command(id, S.RUNNING, runner, { namespace }));
}

/** The next `count` values of an iterator (fewer if it ends). */
export async function take<T>(iterator: AsyncIterator<T>, count: number): Promise<T[]> {
  const out: T[] = [];
  while (out.length < count) {
    const next = await iterator.next();
    if (next.done) break;
    out.push(next.value);
  }
  return out;
}

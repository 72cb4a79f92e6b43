import type { InvocationStatus, StatusConfiguration } from "../../core/index.js";

interface Tally {
  total: number;
  readonly byStatus: Map<InvocationStatus, number>;
}

function tallyIn<K>(map: Map<K, Tally>, key: K): Tally {
  let tally = map.get(key);
  if (tally === undefined) {
    tally = { total: 0, byStatus: new Map() };
    map.set(key, tally);
  }
  return tally;
}

/**
 * How many invocations each namespace, and each task of a namespace, has in each status: kept in
 * process memory, moved by every committed change and purge, so a count is never recounted.
 * Namespaces and tasks are forgotten once they hold no invocation.
 */
export class StatusCounts {
  private readonly namespaces = new Map<string, Tally>();
  private readonly tasks = new Map<string, Map<string, Tally>>();

  constructor(private readonly config: StatusConfiguration) {}

  /** Count `delta` more (or fewer) invocations of a task in a status. */
  add(namespace: string, taskId: string, status: InvocationStatus, delta: number): void {
    const space = tallyIn(this.namespaces, namespace);
    let tasks = this.tasks.get(namespace);
    if (tasks === undefined) {
      tasks = new Map();
      this.tasks.set(namespace, tasks);
    }
    const task = tallyIn(tasks, taskId);
    for (const tally of [space, task]) {
      tally.total += delta;
      tally.byStatus.set(status, (tally.byStatus.get(status) ?? 0) + delta);
    }
    if (task.total === 0) tasks.delete(taskId);
    if (space.total === 0) {
      this.namespaces.delete(namespace);
      this.tasks.delete(namespace);
    }
  }

  /** The counts of a namespace, or of one of its tasks: every status of the state machine, zeros included. */
  of(namespace: string, taskId?: string): Map<InvocationStatus, number> {
    const tally = this.tally(namespace, taskId);
    return new Map(this.config.statuses.map((s) => [s, tally?.byStatus.get(s) ?? 0]));
  }

  /** How many invocations of a namespace (or of its task) there are, in any of `statuses` if given. */
  total(namespace: string, taskId?: string, statuses?: Iterable<InvocationStatus>): number {
    const tally = this.tally(namespace, taskId);
    if (tally === undefined) return 0;
    if (statuses === undefined) return tally.total;
    let total = 0;
    for (const status of statuses) total += tally.byStatus.get(status) ?? 0;
    return total;
  }

  /** The namespaces with at least one invocation, sorted. */
  namespaceNames(): string[] {
    return [...this.namespaces.keys()].sort();
  }

  /** The namespaces with at least one invocation in one of these statuses. */
  namespacesWith(statuses: Iterable<InvocationStatus>): string[] {
    const wanted = [...statuses];
    return [...this.namespaces].flatMap(([namespace, tally]) =>
      wanted.some((s) => (tally.byStatus.get(s) ?? 0) > 0) ? [namespace] : [],
    );
  }

  private tally(namespace: string, taskId: string | undefined): Tally | undefined {
    return taskId === undefined ? this.namespaces.get(namespace) : this.tasks.get(namespace)?.get(taskId);
  }
}

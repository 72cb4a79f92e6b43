import { Code, ConnectError } from "@connectrpc/connect";
import type { InvocationStatus, StatusChange, StatusClient } from "../client/browser.js";
import type { ConnectionState } from "./connection-state.js";
import { retryDelayMs, sleep } from "./retry-delay.js";

/** Which changes to follow (WatchStatus's filters; start_revision and include_initial are set here). */
export interface StatusFilter {
  readonly namespace: string;
  readonly invocationIds?: string[];
  readonly statuses?: InvocationStatus[];
  readonly runnerId?: string;
  readonly taskId?: string;
}

/** What a view does with a followed watch. */
export interface StatusFollower {
  /**
   * A snapshot starts (the first connection with `includeInitial`, or after OUT_OF_RANGE): drop
   * what is shown; the snapshot's records come next as changes with `initial` set.
   */
  reset(): void;
  /** A change (or a snapshot record), in revision order, each exactly once. */
  change(change: StatusChange): void;
  /** Everything up to `revision` has been delivered. */
  progress?(revision: bigint): void;
  /** Changes were compacted away while disconnected and the watch has no snapshot to reload. */
  gap?(): void;
}

/** How to follow. */
export interface FollowOptions {
  /** Start with the current matching records (WatchStatus include_initial). */
  readonly includeInitial: boolean;
  /** Without a snapshot: the first revision to deliver (undefined = from now). */
  readonly startRevision?: bigint;
  /** The name this stream reports under in the connection badge. */
  readonly name: string;
  readonly connection: ConnectionState;
  /** Ends the watch. */
  readonly signal: AbortSignal;
}

/**
 * Follow WatchStatus across disconnects: after a dropped stream (the server restarted, a proxy cut
 * it, WATCHER_TOO_SLOW) it resumes with start_revision = last revision seen + 1, so nothing is
 * missed and nothing comes twice; when the server answers OUT_OF_RANGE (the changes were
 * compacted meanwhile), a watch with a snapshot loads it again, one without says there is a gap.
 */
export async function followStatus(
  client: StatusClient,
  filter: StatusFilter,
  follower: StatusFollower,
  options: FollowOptions,
): Promise<void> {
  const { signal, connection, name } = options;
  let snapshot = options.includeInitial;
  let last = options.startRevision === undefined ? undefined : options.startRevision - 1n;
  let attempt = 0;
  connection.report(name, "connecting");
  try {
    while (!signal.aborted) {
      try {
        const request = snapshot
          ? { ...filter, includeInitial: true }
          : { ...filter, startRevision: last === undefined ? 0n : last + 1n };
        if (snapshot) follower.reset();
        for await (const response of client.watchStatus(request, { signal })) {
          const { event } = response;
          if (event.case === "change") {
            const revision = event.value.record?.revision ?? 0n;
            if (!event.value.initial && (last === undefined || revision > last)) last = revision;
            follower.change(event.value);
          } else if (event.case === "progress") {
            connection.report(name, "live");
            attempt = 0;
            snapshot = false;
            if (last === undefined || event.value.revision > last) last = event.value.revision;
            follower.progress?.(event.value.revision);
          }
        }
      } catch (error) {
        if (signal.aborted) return;
        if (ConnectError.from(error).code === Code.OutOfRange) {
          if (options.includeInitial) snapshot = true;
          else {
            last = undefined;
            follower.gap?.();
          }
          continue;
        }
      }
      if (signal.aborted) return;
      connection.report(name, "reconnecting");
      await sleep(retryDelayMs(attempt++), signal);
    }
  } finally {
    connection.forget(name);
  }
}

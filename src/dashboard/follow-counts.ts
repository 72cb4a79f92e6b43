import type { StatusClient, WatchCountsResponse } from "../client/browser.js";
import type { ConnectionState } from "./connection-state.js";
import { retryDelayMs, sleep } from "./retry-delay.js";

/**
 * Follow WatchCounts for a namespace across disconnects: every update is the whole count, so a
 * new stream simply starts over (its first message is the counts at once).
 */
export async function followCounts(
  client: StatusClient,
  namespace: string,
  onCounts: (counts: WatchCountsResponse) => void,
  options: { readonly connection: ConnectionState; readonly signal: AbortSignal },
): Promise<void> {
  const { connection, signal } = options;
  const name = "counts";
  let attempt = 0;
  connection.report(name, "connecting");
  try {
    while (!signal.aborted) {
      try {
        for await (const counts of client.watchCounts({ namespace }, { signal })) {
          attempt = 0;
          connection.report(name, "live");
          onCounts(counts);
        }
      } catch {
        // Reconnect below, whatever ended the stream.
      }
      if (signal.aborted) return;
      connection.report(name, "reconnecting");
      await sleep(retryDelayMs(attempt++), signal);
    }
  } finally {
    connection.forget(name);
  }
}

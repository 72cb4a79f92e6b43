/** How a stream or a poll of the page is doing; `signed-out` while the page waits for a sign-in. */
export type ConnectionStatus = "connecting" | "live" | "reconnecting" | "signed-out";

/** The page's one connection badge, fed by every stream and poll of the current view. */
export interface ConnectionState {
  /** Report how one named stream is doing; the badge shows the worst of them. */
  report(name: string, status: ConnectionStatus): void;
  /** Forget a stream (its view was left). */
  forget(name: string): void;
}

const RANK: Record<ConnectionStatus, number> = { live: 0, connecting: 1, reconnecting: 2, "signed-out": 3 };
const TEXT: Record<ConnectionStatus, string> = {
  live: "live",
  connecting: "connecting",
  reconnecting: "reconnecting…",
  "signed-out": "signed out",
};

/** Create the connection state shown in `badge` (its text and `data-state`). */
export function createConnectionState(badge: HTMLElement): ConnectionState {
  const streams = new Map<string, ConnectionStatus>();
  const show = () => {
    let worst: ConnectionStatus = "live";
    for (const status of streams.values()) if (RANK[status] > RANK[worst]) worst = status;
    if (streams.size === 0) worst = "live";
    badge.dataset.state = worst;
    badge.textContent = TEXT[worst];
  };
  return {
    report(name, status) {
      streams.set(name, status);
      show();
    },
    forget(name) {
      streams.delete(name);
      show();
    },
  };
}

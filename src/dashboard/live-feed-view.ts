import { InvocationStatus, type StatusChange } from "../client/browser.js";
import type { View } from "./dashboard-context.js";
import { element } from "./element.js";
import { followStatus } from "./follow-status.js";
import { formatTime, statusBadge, statusLabel } from "./status-format.js";

/** How many changes the feed shows. */
const FEED_SIZE = 200;

function feedItem(change: StatusChange, namespaceQuery: string): HTMLElement {
  const record = change.record!;
  const from = change.previousStatus === InvocationStatus.UNSPECIFIED ? "new" : statusLabel(change.previousStatus);
  const details = [
    record.runnerId ? `runner ${record.runnerId}` : "",
    change.principal ? `by ${change.principal}` : "",
    change.reason,
  ].filter(Boolean);
  return element(
    "li",
    { "data-revision": record.revision.toString() },
    element("span", { class: "rev" }, `#${record.revision}`),
    element(
      "a",
      { class: "mono", href: `#/invocation/${encodeURIComponent(record.invocationId)}${namespaceQuery}` },
      record.invocationId,
    ),
    element("span", {}, `${from} → `, statusBadge(record.status)),
    element("span", { class: "muted" }, details.join(" · ")),
    element("span", { class: "muted" }, formatTime(record.timestamp)),
  );
}

/**
 * Live feed: the last changes of the namespace as they are committed, newest first, from one
 * WatchStatus that resumes after its last revision. Paused, it keeps receiving (so nothing is
 * lost) and shows what came in when resumed.
 */
export const liveFeedView: View = (container, context) => {
  const { client, namespace, signal } = context;
  const namespaceQuery = namespace === "" ? "" : `?ns=${encodeURIComponent(namespace)}`;
  const list = element("ol", { class: "feed", "data-testid": "feed" });
  const pause = element("button", { type: "button", "aria-pressed": "false" }, "pause");
  const status = element("span", { class: "muted" }, "waiting for changes…");
  container.replaceChildren(
    element("h2", {}, "Live feed"),
    element("div", { class: "pager" }, pause, status),
    element("div", { class: "panel" }, list),
  );
  let paused = false;
  let held: HTMLElement[] = [];
  let received = 0;
  const show = (items: HTMLElement[]) => {
    list.prepend(...items.reverse());
    while (list.childElementCount > FEED_SIZE) list.lastElementChild?.remove();
  };
  const describe = () => {
    status.textContent = paused
      ? `paused · ${held.length} new`
      : `${received} changes since the page opened · the last ${FEED_SIZE} shown`;
  };
  pause.addEventListener("click", () => {
    paused = !paused;
    pause.textContent = paused ? "resume" : "pause";
    pause.setAttribute("aria-pressed", String(paused));
    if (!paused) {
      show(held);
      held = [];
    }
    describe();
  });
  void followStatus(
    client,
    { namespace },
    {
      reset() {},
      change(change) {
        if (change.record === undefined) return;
        received++;
        const item = feedItem(change, namespaceQuery);
        if (paused) {
          held.push(item);
          if (held.length > FEED_SIZE) held.shift();
        } else show([item]);
        describe();
      },
      gap() {
        show([element("li", { class: "gap" }, "changes were compacted while disconnected: some are missing here")]);
      },
    },
    { includeInitial: false, name: "feed", connection: context.connection, signal },
  );
};

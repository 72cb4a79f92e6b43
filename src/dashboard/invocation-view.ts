import { Code, ConnectError } from "@connectrpc/connect";
import { InvocationStatus, type StatusRecord } from "../client/browser.js";
import type { View } from "./dashboard-context.js";
import { element } from "./element.js";
import { followStatus } from "./follow-status.js";
import { formatTime, statusBadge, statusLabel } from "./status-format.js";

/** One entry of the timeline: the record after a change, and what it came from and why. */
interface TimelineEntry {
  readonly record: StatusRecord;
  readonly previousStatus: InvocationStatus;
  readonly reason: string;
  readonly principal: string;
}

function recordList(record: StatusRecord): HTMLElement {
  const rows: Array<[string, Node | string]> = [
    ["invocation", record.invocationId],
    ["status", statusBadge(record.status)],
    ["runner (owner)", record.runnerId ?? "none"],
    ["task", record.taskId === "" ? "none" : record.taskId],
    ["since", formatTime(record.timestamp)],
    ["revision", record.revision.toString()],
    ["registered", formatTime(record.registeredAt)],
  ];
  return element(
    "dl",
    { class: "record", "data-testid": "record" },
    ...rows.flatMap(([name, value]) => [element("dt", {}, name), element("dd", {}, value)]),
  );
}

function timelineItem(entry: TimelineEntry): HTMLElement {
  const { record } = entry;
  const from = entry.previousStatus === InvocationStatus.UNSPECIFIED ? "new" : statusLabel(entry.previousStatus);
  const who = [
    record.runnerId ? `runner ${record.runnerId}` : "",
    entry.principal ? `by ${entry.principal}` : "",
  ].filter(Boolean);
  return element(
    "li",
    { "data-revision": record.revision.toString() },
    element(
      "div",
      {},
      `${from} → `,
      statusBadge(record.status),
      element("span", { class: "muted" }, ` ${who.join(" · ")}`),
    ),
    element("div", { class: "when" }, `${formatTime(record.timestamp)} · revision ${record.revision}`),
    entry.reason === "" ? "" : element("div", { class: "why" }, entry.reason),
  );
}

/**
 * One invocation: its record and its history as a timeline (with reason and principal), live. A
 * WatchStatus on its id with include_initial gives the current record; once the snapshot's
 * progress mark arrives the history is read, and every later change is added to the timeline
 * (by revision, so an entry the history already had is not added twice).
 */
export const invocationView: View = (container, context) => {
  const { client, namespace, signal } = context;
  const invocationId = decodeURIComponent(context.params.get("id") ?? "");
  const record = element("div", { class: "panel" }, element("p", { class: "muted" }, "loading…"));
  const timeline = element("ol", { class: "timeline", "data-testid": "timeline" });
  const note = element("p", { class: "muted" });
  container.replaceChildren(
    element("h2", {}, "Invocation ", element("code", {}, invocationId)),
    record,
    element("h2", {}, "History"),
    element("div", { class: "panel" }, timeline, note),
  );
  const shown = new Map<bigint, TimelineEntry>();
  let historyLoaded = false;
  const renderTimeline = () => {
    const entries = [...shown.values()].sort((a, b) => (a.record.revision < b.record.revision ? -1 : 1));
    timeline.replaceChildren(...entries.map(timelineItem));
    const first = entries[0];
    note.textContent =
      first !== undefined && first.previousStatus !== InvocationStatus.UNSPECIFIED
        ? "older changes are no longer kept (--retain-changes)"
        : "";
  };
  const loadHistory = async () => {
    try {
      const history = await client.getHistory({ namespace, invocationId }, { signal });
      for (const entry of history.entries)
        if (entry.record !== undefined) shown.set(entry.record.revision, { ...entry, record: entry.record });
      historyLoaded = true;
      renderTimeline();
    } catch (error) {
      if (ConnectError.from(error).code === Code.NotFound)
        record.replaceChildren(element("p", { class: "error" }, "no such invocation (it may have been purged)"));
    }
  };

  void followStatus(
    client,
    { namespace, invocationIds: [invocationId] },
    {
      reset() {
        historyLoaded = false;
        shown.clear();
      },
      change(change) {
        if (change.record === undefined) return;
        record.replaceChildren(recordList(change.record));
        if (change.initial) return;
        // Kept even before the history arrives: a change committed after the history was read
        // but delivered before its answer is in neither otherwise.
        shown.set(change.record.revision, {
          record: change.record,
          previousStatus: change.previousStatus,
          reason: change.reason,
          principal: change.principal,
        });
        if (historyLoaded) renderTimeline();
      },
      progress() {
        if (!historyLoaded) void loadHistory();
      },
    },
    { includeInitial: true, name: "invocation", connection: context.connection, signal },
  );
};

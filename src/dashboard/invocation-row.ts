import type { StatusRecord } from "../client/browser.js";
import { element } from "./element.js";
import { formatTime, statusBadge } from "./status-format.js";

/** The table's header cells, in the order invocationRow fills them. */
export const INVOCATION_COLUMNS = ["invocation", "status", "task", "runner", "revision", "since"];
const NARROW_HIDDEN = new Set(["task", "revision", "since"]);

/** The header row of the invocations table. */
export function invocationHeader(): HTMLTableRowElement {
  return element(
    "tr",
    {},
    ...INVOCATION_COLUMNS.map((name) =>
      element("th", { class: NARROW_HIDDEN.has(name) ? "hide-narrow" : undefined }, name),
    ),
  );
}

/** One invocation as a table row, linked to its detail; `matches` false dims it (it left the filter). */
export function invocationRow(record: StatusRecord, namespaceQuery: string, matches: boolean): HTMLTableRowElement {
  const link = element(
    "a",
    { href: `#/invocation/${encodeURIComponent(record.invocationId)}${namespaceQuery}` },
    record.invocationId,
  );
  return element(
    "tr",
    {
      "data-id": record.invocationId,
      class: matches ? undefined : "muted",
      title: matches ? undefined : "no longer matches the filter",
    },
    element("td", { class: "id mono" }, link),
    element("td", {}, statusBadge(record.status)),
    element("td", { class: "hide-narrow" }, record.taskId),
    element("td", {}, record.runnerId ?? ""),
    element("td", { class: "hide-narrow" }, record.revision.toString()),
    element("td", { class: "hide-narrow muted" }, formatTime(record.timestamp)),
  );
}

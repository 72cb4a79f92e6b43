import { InvocationStatus, type StatusRecord } from "../client/browser.js";
import { statusLabel } from "./status-format.js";

/** The Invocations view's filter, as its route parameters hold it. */
export interface InvocationFilter {
  readonly status?: InvocationStatus;
  readonly task: string;
  readonly runner: string;
  readonly prefix: string;
}

/** Read the filter from route parameters (`status=running&task=...&runner=...&prefix=...`). */
export function filterFromParams(params: URLSearchParams): InvocationFilter {
  const statusName = params.get("status") ?? "";
  const status = Object.values(InvocationStatus).find(
    (s): s is InvocationStatus => typeof s === "number" && s !== 0 && statusLabel(s) === statusName,
  );
  return {
    status,
    task: params.get("task") ?? "",
    runner: params.get("runner") ?? "",
    prefix: params.get("prefix") ?? "",
  };
}

/** The filter as route parameters (empty ones left out). */
export function filterToParams(filter: InvocationFilter, params: URLSearchParams): URLSearchParams {
  const next = new URLSearchParams(params);
  const set = (name: string, value: string) => (value === "" ? next.delete(name) : next.set(name, value));
  set("status", filter.status === undefined ? "" : statusLabel(filter.status));
  set("task", filter.task);
  set("runner", filter.runner);
  set("prefix", filter.prefix);
  return next;
}

/** Whether a record matches the filter (as ListInvocations would list it). */
export function recordMatches(record: StatusRecord, filter: InvocationFilter): boolean {
  return (
    (filter.status === undefined || record.status === filter.status) &&
    (filter.task === "" || record.taskId === filter.task) &&
    (filter.runner === "" || record.runnerId === filter.runner) &&
    record.invocationId.startsWith(filter.prefix)
  );
}

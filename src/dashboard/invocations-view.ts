import { InvocationOrder, type StatusRecord } from "../client/browser.js";
import type { DashboardContext, View } from "./dashboard-context.js";
import { element } from "./element.js";
import { followStatus } from "./follow-status.js";
import { filterFromParams, filterToParams, type InvocationFilter, recordMatches } from "./invocation-filter.js";
import { invocationHeader, invocationRow } from "./invocation-row.js";
import { statusLabel } from "./status-format.js";

const PAGE_SIZE = 50;

/** The filter form; `apply` is called with the filter it holds when submitted or changed. */
function filterForm(context: DashboardContext, filter: InvocationFilter, apply: (f: InvocationFilter) => void) {
  const status = element(
    "select",
    { name: "status", "aria-label": "status" },
    element("option", { value: "" }, "every status"),
  );
  for (const d of context.stateMachine.definitions) {
    const name = statusLabel(d.status);
    status.append(element("option", { value: name }, name));
  }
  status.value = filter.status === undefined ? "" : statusLabel(filter.status);
  const input = (name: string, placeholder: string, value: string) => {
    const field = element("input", { name, placeholder, "aria-label": placeholder, spellcheck: "false" });
    field.value = value;
    return field;
  };
  const task = input("task", "task id", filter.task);
  const runner = input("runner", "runner id", filter.runner);
  const prefix = input("prefix", "id prefix", filter.prefix);
  const form = element(
    "form",
    { class: "filters" },
    status,
    prefix,
    task,
    runner,
    element("button", { type: "submit" }, "filter"),
  );
  const submit = () => {
    const params = new URLSearchParams({
      status: status.value,
      task: task.value,
      runner: runner.value,
      prefix: prefix.value,
    });
    apply(filterFromParams(params));
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
  });
  status.addEventListener("change", submit);
  return form;
}

/**
 * Invocations: a filtered, paged table (ListInvocations, latest change first) that stays live.
 * The rows on screen follow WatchStatus with include_initial on their ids, so each row shows its
 * invocation's current state; on the first page a second watch, filtered like the table and
 * started right after the page's revision, brings invocations that newly match to the top.
 */
export const invocationsView: View = (container, context) => {
  const { client, namespace, signal } = context;
  const filter = filterFromParams(context.params);
  const namespaceQuery = namespace === "" ? "" : `?ns=${encodeURIComponent(namespace)}`;
  const body = element("tbody");
  const info = element("span", { class: "muted", "data-testid": "page-info" });
  const previous = element("button", { type: "button", disabled: "" }, "‹ newer");
  const next = element("button", { type: "button", disabled: "" }, "older ›");
  const form = filterForm(context, filter, (f) =>
    context.navigate(`#/invocations?${filterToParams(f, context.params)}`),
  );
  container.replaceChildren(
    element("h2", {}, "Invocations"),
    form,
    element(
      "div",
      { class: "panel" },
      element("table", { "data-testid": "invocations" }, element("thead", {}, invocationHeader()), body),
    ),
    element("div", { class: "pager" }, previous, next, info),
  );

  const rows = new Map<string, StatusRecord>();
  let order: string[] = [];
  const tokens: string[] = [""];
  let page = 0;
  let pageSignal: AbortController | undefined;
  let idsWatch: AbortController | undefined;
  let idsTimer: ReturnType<typeof setTimeout> | undefined;

  const render = () => {
    body.replaceChildren(
      ...order.map((id) => invocationRow(rows.get(id)!, namespaceQuery, recordMatches(rows.get(id)!, filter))),
    );
    if (order.length === 0)
      body.append(element("tr", {}, element("td", { colspan: "6", class: "muted" }, "no invocations match")));
    info.textContent = `page ${page + 1} · ${order.length} shown`;
    previous.disabled = page === 0;
  };
  /** Take a record if it is newer than the row's; true when it changed something. */
  const update = (record: StatusRecord, insert: boolean): boolean => {
    const shown = rows.get(record.invocationId);
    if (shown !== undefined && shown.revision >= record.revision) return false;
    if (shown === undefined && !insert) return false;
    rows.set(record.invocationId, record);
    if (shown === undefined) {
      order.unshift(record.invocationId);
      if (order.length > PAGE_SIZE) for (const id of order.splice(PAGE_SIZE)) rows.delete(id);
      watchIdsSoon();
    }
    return true;
  };
  /** (Re)start the watch of the rows on screen, once their set has settled. */
  const watchIdsSoon = () => {
    clearTimeout(idsTimer);
    idsTimer = setTimeout(() => {
      idsWatch?.abort();
      if (order.length === 0 || pageSignal === undefined) return;
      idsWatch = new AbortController();
      const watchSignal = AbortSignal.any([pageSignal.signal, idsWatch.signal]);
      void followStatus(
        client,
        { namespace, invocationIds: [...order] },
        {
          reset() {},
          change(change) {
            if (change.record !== undefined && update(change.record, false)) render();
          },
        },
        { includeInitial: true, name: "rows", connection: context.connection, signal: watchSignal },
      );
    }, 300);
  };

  const load = async () => {
    pageSignal?.abort();
    idsWatch?.abort();
    const controller = new AbortController();
    pageSignal = controller;
    const current = AbortSignal.any([signal, controller.signal]);
    let response: Awaited<ReturnType<typeof client.listInvocations>>;
    try {
      response = await client.listInvocations(
        {
          namespace,
          statuses: filter.status === undefined ? [] : [filter.status],
          taskId: filter.task,
          runnerId: filter.runner === "" ? undefined : filter.runner,
          invocationIdPrefix: filter.prefix,
          pageSize: PAGE_SIZE,
          pageToken: tokens[page],
          order: InvocationOrder.REVISION_DESC,
        },
        { signal: current },
      );
    } catch (error) {
      if (current.aborted) return;
      info.textContent = `cannot list: ${error instanceof Error ? error.message : error}; retrying`;
      setTimeout(() => {
        if (!current.aborted) void load();
      }, 2_000);
      return;
    }
    rows.clear();
    order = response.records.map((r) => r.invocationId);
    for (const record of response.records) rows.set(record.invocationId, record);
    tokens[page + 1] = response.nextPageToken;
    next.disabled = response.nextPageToken === "";
    render();
    watchIdsSoon();
    if (page !== 0) return;
    void followStatus(
      client,
      {
        namespace,
        statuses: filter.status === undefined ? [] : [filter.status],
        taskId: filter.task,
        runnerId: filter.runner === "" ? undefined : filter.runner,
      },
      {
        reset() {},
        change(change) {
          if (change.record?.invocationId.startsWith(filter.prefix) && update(change.record, true)) render();
        },
      },
      {
        includeInitial: false,
        startRevision: response.revision + 1n,
        name: "arrivals",
        connection: context.connection,
        signal: current,
      },
    );
  };

  previous.addEventListener("click", () => {
    page = Math.max(0, page - 1);
    void load();
  });
  next.addEventListener("click", () => {
    page++;
    void load();
  });
  signal.addEventListener("abort", () => clearTimeout(idsTimer));
  void load();
};

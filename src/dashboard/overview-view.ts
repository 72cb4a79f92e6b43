import type { InvocationStatus } from "../client/browser.js";
import type { View } from "./dashboard-context.js";
import { element } from "./element.js";
import { followCounts } from "./follow-counts.js";
import { createRateChart } from "./rate-chart.js";
import { createStateDiagram } from "./state-diagram.js";
import { statusLabel } from "./status-format.js";

/**
 * Overview: a tile per status with its live count, the state machine with the counts on its
 * nodes, and transitions per second over the last minutes. All of it from one WatchCounts stream:
 * the server merges the changes, so an open overview costs it a message at most every 500 ms.
 */
export const overviewView: View = (container, context) => {
  const { stateMachine, client, namespace, signal } = context;
  const total = element("div", { class: "count", "data-testid": "count-total" }, "–");
  const tiles = element(
    "div",
    { class: "tiles" },
    element("div", { class: "tile total" }, element("div", { class: "name" }, "total"), total),
  );
  const countCells = new Map<InvocationStatus, HTMLElement>();
  for (const d of stateMachine.definitions) {
    const name = statusLabel(d.status);
    const count = element("div", { class: "count", "data-testid": `count-${name}` }, "–");
    countCells.set(d.status, count);
    // Long names (concurrency_controlled_final) may break after an underscore, not mid-word.
    const parts = name.split("_").flatMap((part, i) => (i === 0 ? [part] : ["_", element("wbr"), part]));
    const link = element("a", { href: `#/invocations?status=${name}`, class: "name" }, ...parts);
    tiles.append(element("div", { class: d.isFinal ? "tile final" : "tile", "data-status": name }, link, count));
  }
  const diagram = createStateDiagram(stateMachine);
  const chart = createRateChart(5);
  const revision = element("span", { "data-testid": "counts-revision" }, "");
  container.replaceChildren(
    element("h2", {}, "Invocations by status ", element("span", { class: "muted" }, "at revision "), revision),
    tiles,
    element("h2", {}, "State machine ", element("span", { class: "muted" }, `(${stateMachine.profile})`)),
    element("div", { class: "panel" }, diagram.element),
    element("h2", {}, "Transitions per second"),
    element("div", { class: "panel" }, chart.element),
  );
  signal.addEventListener("abort", () => chart.stop());

  void followCounts(
    client,
    namespace,
    (update) => {
      const counts = new Map(update.counts.map((c) => [c.status, c.count]));
      for (const [status, cell] of countCells) cell.textContent = (counts.get(status) ?? 0n).toLocaleString();
      total.textContent = update.total.toLocaleString();
      revision.textContent = update.revision.toString();
      diagram.setCounts(counts);
      chart.set(update.transitionsPerSecond);
    },
    { connection: context.connection, signal },
  );
};

import { instance as graphviz } from "@viz-js/viz";
import type { DescribeStateMachineResponse, InvocationStatus } from "../client/browser.js";
import { element } from "./element.js";
import { statusLabel } from "./status-format.js";

/** The state machine drawn with a count on each status. */
export interface StateDiagram {
  readonly element: HTMLElement;
  /** Show these counts on the nodes (statuses not given show 0). */
  setCounts(counts: ReadonlyMap<InvocationStatus, bigint>): void;
}

/**
 * The state machine as Graphviz DOT, drawn from DescribeStateMachine as `pynenc-status render`
 * draws it: final statuses double-bordered, those available for run filled, those requiring
 * ownership bold, recovery arrows dashed. Each node has a second line for its count.
 */
export function stateMachineDot(stateMachine: DescribeStateMachineResponse): string {
  const lines = [
    "digraph states {",
    '  rankdir=LR; bgcolor="transparent";',
    '  node [shape=box, style=rounded, fontname="Helvetica", fontsize=11, width=1.5, margin="0.15,0.05"];',
    '  edge [color="#8a94a3", arrowsize=0.6];',
    '  new [shape=point, label="", width=0.12];',
  ];
  const overriding = new Set(stateMachine.definitions.filter((d) => d.overridesOwnership).map((d) => d.status));
  for (const d of stateMachine.definitions) {
    const name = statusLabel(d.status);
    const attributes = [
      `id="status-${name}"`,
      `label="${name}\\n0"`,
      d.isFinal ? "peripheries=2" : "",
      d.availableForRun ? 'style="rounded,filled", fillcolor="#d8f0d8"' : "",
      d.requiresOwnership ? "penwidth=2" : "",
    ].filter((a) => a !== "");
    lines.push(`  ${name} [${attributes.join(", ")}];`);
  }
  // The statuses nothing leads to are those a new invocation takes (pynenc: registered).
  const targets = new Set(stateMachine.definitions.flatMap((d) => d.allowedTransitions));
  for (const d of stateMachine.definitions) {
    if (!targets.has(d.status)) lines.push(`  new -> ${statusLabel(d.status)};`);
    for (const to of d.allowedTransitions) {
      lines.push(`  ${statusLabel(d.status)} -> ${statusLabel(to)}${overriding.has(to) ? " [style=dashed]" : ""};`);
    }
  }
  lines.push("}");
  return lines.join("\n");
}

/** Draw the state machine (Graphviz, bundled: nothing is fetched) and keep its counts current. */
export function createStateDiagram(stateMachine: DescribeStateMachineResponse): StateDiagram {
  const container = element(
    "div",
    { class: "diagram" },
    element("p", { class: "muted" }, "drawing the state machine…"),
  );
  let counts: ReadonlyMap<InvocationStatus, bigint> = new Map();
  let svg: SVGSVGElement | undefined;
  const paint = () => {
    if (svg === undefined) return;
    for (const d of stateMachine.definitions) {
      const node = svg.querySelector(`#status-${statusLabel(d.status)}`);
      const texts = node?.querySelectorAll("text");
      const count = counts.get(d.status) ?? 0n;
      if (texts !== undefined && texts.length > 0) texts[texts.length - 1]!.textContent = count.toLocaleString();
      node?.classList.toggle("busy", count > 0n);
    }
  };
  graphviz().then(
    (viz) => {
      svg = viz.renderSVGElement(stateMachineDot(stateMachine));
      svg.removeAttribute("width");
      svg.removeAttribute("height");
      container.replaceChildren(svg);
      paint();
    },
    (error: unknown) => container.replaceChildren(element("p", { class: "error" }, `cannot draw: ${error}`)),
  );
  return {
    element: container,
    setCounts(next) {
      counts = next;
      paint();
    },
  };
}

import { STATUS_CONFIG, type StatusConfiguration } from "./definitions.js";
import type { InvocationStatus } from "./invocation-status.js";

/** Every arrow of the state machine: from (null: a new invocation) to target, in table order. */
function arrows(config: StatusConfiguration): Array<[InvocationStatus | null, InvocationStatus]> {
  return [null, ...config.statuses].flatMap((from) =>
    [...config.getDefinition(from).allowedTransitions].map((to): [InvocationStatus | null, InvocationStatus] => [
      from,
      to,
    ]),
  );
}

/**
 * The state machine as a Mermaid state diagram, drawn from the definitions: an arrow per allowed
 * transition, `[*]` into the statuses a new invocation may take and out of the final ones.
 */
export function stateDiagramMermaid(config: StatusConfiguration = STATUS_CONFIG): string {
  const lines = ["stateDiagram-v2"];
  for (const [from, to] of arrows(config)) lines.push(`  ${from ?? "[*]"} --> ${to}`);
  for (const status of config.statuses) {
    if (config.getDefinition(status).isFinal) lines.push(`  ${status} --> [*]`);
  }
  return `${lines.join("\n")}\n`;
}

/**
 * The state machine as a Graphviz digraph: final statuses double-bordered, statuses available for
 * run filled, statuses that require ownership bold, recovery (override) arrows dashed.
 */
export function stateDiagramDot(config: StatusConfiguration = STATUS_CONFIG): string {
  const lines = [
    "digraph pynenc_invocation_status {",
    "  rankdir=LR;",
    '  node [shape=box, style=rounded, fontname="Helvetica"];',
    '  new [shape=point, label=""];',
  ];
  for (const status of config.statuses) {
    const d = config.getDefinition(status);
    const attributes = [
      d.isFinal ? "peripheries=2" : "",
      d.availableForRun ? 'style="rounded,filled", fillcolor="#d8f0d8"' : "",
      d.requiresOwnership ? "penwidth=2" : "",
    ].filter((a) => a !== "");
    lines.push(`  ${status}${attributes.length > 0 ? ` [${attributes.join(", ")}]` : ""};`);
  }
  for (const [from, to] of arrows(config)) {
    const dashed = config.getDefinition(to).overridesOwnership ? " [style=dashed]" : "";
    lines.push(`  ${from ?? "new"} -> ${to}${dashed};`);
  }
  lines.push("}");
  return `${lines.join("\n")}\n`;
}

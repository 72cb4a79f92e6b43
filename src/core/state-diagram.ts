import { STATUS_CONFIG, type StatusConfiguration } from "./definitions.js";
import { ALL_STATUSES } from "./invocation-status.js";

/**
 * The state machine as a Mermaid state diagram, drawn from the definitions: an arrow per allowed
 * transition, `[*]` into the statuses a new invocation may take and out of the final ones.
 */
export function stateDiagramMermaid(config: StatusConfiguration = STATUS_CONFIG): string {
  const lines = ["stateDiagram-v2"];
  for (const target of config.getDefinition(null).allowedTransitions) lines.push(`  [*] --> ${target}`);
  for (const status of ALL_STATUSES) {
    for (const target of config.getDefinition(status).allowedTransitions) lines.push(`  ${status} --> ${target}`);
  }
  for (const status of ALL_STATUSES) {
    if (config.getDefinition(status).isFinal) lines.push(`  ${status} --> [*]`);
  }
  return `${lines.join("\n")}\n`;
}

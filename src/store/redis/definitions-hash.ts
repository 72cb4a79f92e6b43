import { type StatusConfiguration, statusFlags } from "../../core/index.js";

/**
 * The state machine as the scripts read it: status ("" for a new invocation) -> that status's
 * definition as JSON, with the core's own field names. It is written from the core's
 * configuration when a store opens, so the Lua never carries a copy of the table.
 */
export function definitionsHash(config: StatusConfiguration): Record<string, string> {
  const hash: Record<string, string> = {};
  for (const status of [null, ...config.statuses]) {
    const d = config.getDefinition(status);
    hash[status ?? ""] = JSON.stringify({ allowedTransitions: [...d.allowedTransitions], ...statusFlags(d) });
  }
  return hash;
}

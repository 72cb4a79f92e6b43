import { STATE_MACHINE_PROFILES, type StatusConfiguration } from "../core/index.js";
import { UsageError } from "./cli-error.js";

/** The profiles `--state-machine` takes, as the help shows them (`pynenc-0.2|pynenc-0.3`). */
export const STATE_MACHINE_CHOICES = [...STATE_MACHINE_PROFILES.keys()].join("|");

/** The state machine a `--state-machine` value names. */
export function parseStateMachineArgument(value: string): StatusConfiguration {
  const config = STATE_MACHINE_PROFILES.get(value);
  if (config === undefined) {
    throw new UsageError(`--state-machine must be one of ${[...STATE_MACHINE_PROFILES.keys()].join(", ")}`);
  }
  return config;
}

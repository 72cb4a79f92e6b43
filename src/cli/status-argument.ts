import { type InvocationStatus, InvocationStatusSchema } from "../../gen/ts/pynenc/status/v1/status_pb.js";
import { UsageError } from "./cli-error.js";

const PREFIX = "INVOCATION_STATUS_";

/** Read a status as pynenc writes it (`running`), or as the proto names it (`INVOCATION_STATUS_RUNNING`). */
export function parseStatusArgument(value: string): InvocationStatus {
  const name = value.toUpperCase();
  const found = InvocationStatusSchema.values.find(
    (v) => v.number !== 0 && (v.name === name || v.name === PREFIX + name),
  );
  if (found === undefined) {
    const known = InvocationStatusSchema.values
      .filter((v) => v.number !== 0)
      .map((v) => v.name.slice(PREFIX.length).toLowerCase());
    throw new UsageError(`unknown status ${JSON.stringify(value)}; one of: ${known.join(", ")}`);
  }
  return found.number as InvocationStatus;
}

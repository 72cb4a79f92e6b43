import { type InvocationStatus, InvocationStatusSchema } from "../../gen/ts/pynenc/status/v1/status_pb.js";
import { STATUS_NAME_PREFIX } from "../service/proto-conversions.js";
import { UsageError } from "./cli-error.js";

/** Read a status as pynenc writes it (`running`), or as the proto names it (`INVOCATION_STATUS_RUNNING`). */
export function parseStatusArgument(value: string): InvocationStatus {
  const name = value.toUpperCase();
  const found = InvocationStatusSchema.values.find(
    (v) => v.number !== 0 && (v.name === name || v.name === STATUS_NAME_PREFIX + name),
  );
  if (found === undefined) {
    const known = InvocationStatusSchema.values
      .filter((v) => v.number !== 0)
      .map((v) => v.name.slice(STATUS_NAME_PREFIX.length).toLowerCase());
    throw new UsageError(`unknown status ${JSON.stringify(value)}; one of: ${known.join(", ")}`);
  }
  return found.number as InvocationStatus;
}

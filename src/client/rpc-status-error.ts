import { Code, ConnectError } from "@connectrpc/connect";
import type { Status } from "../../gen/ts/google/rpc/status_pb.js";

/**
 * A google.rpc.Status (the error of one BatchTransition item) as the ConnectError the same call
 * alone would have thrown: its code, message and details, read with `findDetails(ErrorInfoSchema)`.
 */
export function connectErrorFromRpcStatus(status: Status): ConnectError {
  const details = status.details.map((any) => ({
    type: any.typeUrl.slice(any.typeUrl.lastIndexOf("/") + 1),
    value: any.value,
  }));
  const code = status.code in Code ? (status.code as Code) : Code.Unknown;
  const error = new ConnectError(status.message, code);
  // Details as a transport decodes them from the wire (type name and bytes), for findDetails.
  error.details.push(...details);
  return error;
}

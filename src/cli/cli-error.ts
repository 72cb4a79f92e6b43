import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";

/** A usage mistake on the command line: printed with a hint to `--help`, exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** One line that says what went wrong: the gRPC code, the ErrorInfo reason and the message. */
export function describeError(error: unknown, target: string): string {
  if (error instanceof ConnectError) {
    if (error.code === Code.Unavailable) {
      return `cannot reach the server at ${target} (UNAVAILABLE: ${error.rawMessage})`;
    }
    const reason = error.findDetails(ErrorInfoSchema)[0]?.reason;
    const code = Code[error.code] ?? String(error.code);
    return `${codeName(code)}${reason ? ` ${reason}` : ""}: ${error.rawMessage}`;
  }
  return error instanceof Error ? error.message : String(error);
}

function codeName(pascal: string): string {
  return pascal.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

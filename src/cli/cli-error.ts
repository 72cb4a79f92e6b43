import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { SERVE_DEFAULTS } from "../server/defaults.js";

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
    if (error.code === Code.Internal && (error.cause as { code?: string } | undefined)?.code === "ERR_HTTP2_ERROR") {
      // HTTP/2 with prior knowledge, as gRPC speaks it, to a server that answers HTTP/1.1: most
      // likely serve's HTTP port (--http-listen) instead of its gRPC port.
      return (
        `the server at ${target} does not speak gRPC (INTERNAL: ${error.rawMessage}): it looks like the wrong port; ` +
        `--server takes serve's gRPC port (--listen, default ${SERVE_DEFAULTS.listen}), not its HTTP port`
      );
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

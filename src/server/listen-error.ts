/** A port that could not be opened; the message says which one and why. */
export class ListenError extends Error {
  override name = "ListenError";
}

// The system errors a listen meets, as a user would want them said.
const REASONS: Record<string, string> = {
  EADDRINUSE: "is in use: another process listens on it",
  EACCES: "needs privileges this process does not have",
  EADDRNOTAVAIL: "is not an address of this machine",
};

/**
 * The error of a port that did not open, naming it (`what`, its `address` and the `flag` that sets
 * it) and the reason. grpc-js reports a busy port only inside its own text ("No address added out
 * of total 1 resolved errors: [listen EADDRINUSE ...]"), node:http as an error code: both are read.
 */
export function listenErrorFrom(error: unknown, what: string, address: string, flag: string): ListenError {
  const { code, message } = error as { code?: unknown; message?: unknown };
  const text = `${String(code)} ${String(message)}`;
  const known = Object.keys(REASONS).find((name) => text.includes(name));
  const reason = known === undefined ? `cannot be opened (${String(message)})` : REASONS[known];
  return new ListenError(`${what} ${address} (${flag}) ${reason}`, { cause: error });
}

/** A `HOST:PORT` value that cannot be parsed. */
export class AddressError extends Error {
  override name = "AddressError";
}

/** A host and a port to listen on. */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** Parse `HOST:PORT` or `[IPv6]:PORT`; port 0 picks a free one. */
export function parseListenAddress(value: string): ListenAddress {
  const match = /^(?:\[([^\]]+)\]|([^:\s]*)):(\d{1,5})$/.exec(value);
  const port = match ? Number(match[3]) : NaN;
  if (match === null || port > 65535) {
    throw new AddressError(`Invalid address ${JSON.stringify(value)}: use HOST:PORT`);
  }
  return { host: match[1] ?? (match[2] || "0.0.0.0"), port };
}

/** Format a host and port as `HOST:PORT` (brackets around IPv6). */
export function formatAddress(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The base URL of a server address: `HOST:PORT` means HTTP (HTTPS with `tls`); a URL is kept as it is. */
export function baseUrlFromAddress(address: string, tls = false): string {
  return address.includes("://") ? address : `${tls ? "https" : "http"}://${address}`;
}

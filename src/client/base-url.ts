/** The base URL of a server address: `HOST:PORT` means plain HTTP; a URL is kept as it is. */
export function baseUrlFromAddress(address: string): string {
  return address.includes("://") ? address : `http://${address}`;
}

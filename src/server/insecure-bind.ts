import { isIPv4, isIPv6 } from "node:net";
import type { ListenAddress } from "./address.js";

/** A non-loopback address without TLS and authentication, refused unless `--insecure` says otherwise. */
export class InsecureBindError extends Error {
  override name = "InsecureBindError";
}

/** Whether only this machine can reach `host`: localhost, 127.0.0.0/8 or ::1. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  if (h === "localhost") return true;
  if (isIPv4(h)) return h.startsWith("127.");
  if (isIPv6(h)) return h === "::1" || /^(0:){7}1$/.test(h) || /^::ffff:127\./.test(h);
  return false;
}

/**
 * Refuse to serve a non-loopback address in plaintext or to anyone: both TLS and authentication
 * are needed there, unless `insecure` (the `--insecure` escape hatch) is set.
 */
export function checkBindIsSafe(
  addresses: ReadonlyArray<{ flag: string; address: ListenAddress }>,
  secured: { tls: boolean; authentication: boolean; insecure: boolean },
): void {
  if (secured.insecure || (secured.tls && secured.authentication)) return;
  const exposed = addresses.find(({ address }) => !isLoopbackHost(address.host));
  if (exposed === undefined) return;
  const missing = [
    ...(secured.tls ? [] : ["--tls-cert FILE --tls-key FILE"]),
    ...(secured.authentication ? [] : ["--auth-principals FILE (or --auth-jwks FILE with its issuer and audience)"]),
  ];
  throw new InsecureBindError(
    `refusing to serve ${exposed.flag} ${exposed.address.host}:${exposed.address.port} beyond loopback without TLS ` +
      `and authentication: add ${missing.join(" and ")}, or --insecure to serve it unprotected`,
  );
}

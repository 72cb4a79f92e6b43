import { createHash, timingSafeEqual } from "node:crypto";
import { Code } from "@connectrpc/connect";
import { statusError } from "../../service/errors.js";
import type { CallCredentials } from "../../service/service-handlers.js";
import type { Caller } from "./caller.js";
import { JwtRefusedError, type JwtVerifier } from "./jwt-verifier.js";
import type { PrincipalEntry } from "./principals-file.js";

/** Who may call: the principals file's entries and, with `--auth-jwks`, a JWT verifier. */
export interface AuthSettings {
  readonly principals: readonly PrincipalEntry[];
  readonly jwt: JwtVerifier | undefined;
}

/** Turns a call's credentials into its caller, or refuses it with UNAUTHENTICATED. */
export interface Authenticator {
  authenticate(credentials: CallCredentials): Promise<Caller>;
}

/** Connections whose last verified token is kept; past this, the cache starts again. */
const CONNECTION_CACHE_LIMIT = 10_000;

const JWT_SHAPE = /^[\w-]+\.[\w-]+\.[\w-]+$/;

/** A token verified on a connection: later calls on it with the same token skip the check. */
interface VerifiedToken {
  readonly token: Buffer;
  readonly caller: Caller;
  /** When the token stops being valid (a JWT's exp), in ms since the epoch. */
  readonly expiresAtMs: number;
}

function unauthenticated(message: string) {
  return statusError(Code.Unauthenticated, "UNAUTHENTICATED", message, {});
}

/**
 * Create the authenticator of one version of the settings (a reload makes a new one, so nothing
 * verified under old settings outlives them). A bearer token is looked up by its sha256, compared
 * in constant time with every principal's; otherwise it is verified as a JWT. Either way it is
 * verified once per connection: a later call on the same connection with the same token (compared
 * in constant time) reuses the result, since hashing or checking a signature on every call would
 * cost more than the rest of the call's authentication. Without a token, a client certificate's CN
 * names the principal; with both, the token's principal acts.
 */
export function createAuthenticator(settings: AuthSettings): Authenticator {
  const byToken = settings.principals.filter((p) => p.tokenSha256 !== undefined);
  const byCommonName = new Map(
    settings.principals.flatMap((p) => (p.clientCertCn === undefined ? [] : [[p.clientCertCn, p.caller] as const])),
  );
  // By peer address (a connection): the key is no secret, only the cached token is, and it is
  // compared in constant time. A reused address with another token just misses.
  const byConnection = new Map<string, VerifiedToken>();

  function callerOfToken(token: string): Caller | undefined {
    const digest = createHash("sha256").update(token).digest();
    let found: Caller | undefined;
    // Every hash is compared, whatever matched, so the time taken says nothing about the token.
    for (const principal of byToken) {
      if (timingSafeEqual(principal.tokenSha256!, digest)) found = principal.caller;
    }
    return found;
  }

  async function verify(token: string): Promise<{ caller: Caller; expiresAtMs: number }> {
    const caller = callerOfToken(token);
    if (caller !== undefined) return { caller, expiresAtMs: Infinity };
    if (settings.jwt === undefined || !JWT_SHAPE.test(token)) throw unauthenticated("the bearer token is not known");
    try {
      return await settings.jwt.verify(token);
    } catch (error) {
      if (!(error instanceof JwtRefusedError)) throw error;
      if (error.expired) throw statusError(Code.Unauthenticated, "TOKEN_EXPIRED", error.message, {});
      throw unauthenticated(error.message);
    }
  }

  async function callerOfBearer(token: string, connection: string): Promise<Caller> {
    const presented = Buffer.from(token);
    const cached = byConnection.get(connection);
    if (
      cached !== undefined &&
      cached.token.length === presented.length &&
      timingSafeEqual(cached.token, presented) &&
      Date.now() < cached.expiresAtMs
    ) {
      return cached.caller;
    }
    byConnection.delete(connection);
    const verified = await verify(token);
    if (byConnection.size >= CONNECTION_CACHE_LIMIT) byConnection.clear();
    byConnection.set(connection, { token: presented, ...verified });
    return verified.caller;
  }

  return {
    async authenticate(credentials) {
      const token = credentials.bearerToken();
      if (token !== undefined) return callerOfBearer(token, credentials.peerAddress());
      const commonName = credentials.peerCommonName();
      if (commonName !== undefined) {
        const caller = byCommonName.get(commonName);
        if (caller !== undefined) return caller;
        throw unauthenticated("the client certificate's CN names no principal");
      }
      throw unauthenticated("no credentials: send `authorization: Bearer TOKEN` (or a client certificate)");
    },
  };
}

import { readFileSync } from "node:fs";
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTPayload, jwtVerify } from "jose";
import { type Caller, patternListProblem, type Role, rolesProblem } from "./caller.js";
import { AuthConfigError } from "./principals-file.js";

/** How JWTs are checked: `--auth-jwks FILE`, `--auth-jwt-issuer`, `--auth-jwt-audience`. */
export interface JwtFiles {
  readonly jwksFile: string;
  readonly issuer: string;
  readonly audience: string;
}

/** Why a JWT was refused: expired (TOKEN_EXPIRED), or anything else (UNAUTHENTICATED). */
export class JwtRefusedError extends Error {
  override name = "JwtRefusedError";
  constructor(
    message: string,
    readonly expired: boolean,
  ) {
    super(message);
  }
}

/** Checks a JWT and turns its claims into a caller. */
export interface JwtVerifier {
  /** The caller and when the token stops being valid (ms since the epoch, or Infinity). */
  verify(token: string): Promise<{ caller: Caller; expiresAtMs: number }>;
}

/** Read `--auth-jwks FILE` (a JSON Web Key Set) and make a verifier of JWTs signed by its keys. */
export function loadJwtVerifier(files: JwtFiles): JwtVerifier {
  let jwks: JSONWebKeySet;
  try {
    jwks = JSON.parse(readFileSync(files.jwksFile, "utf8")) as JSONWebKeySet;
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new AuthConfigError(`--auth-jwks ${files.jwksFile}: cannot read it as JSON (${why})`);
  }
  if (!Array.isArray(jwks?.keys) || jwks.keys.length === 0) {
    throw new AuthConfigError(`--auth-jwks ${files.jwksFile}: field "keys": must be a non-empty array of JWKs`);
  }
  jwks.keys.forEach((key, i) => {
    if (typeof key?.kty !== "string")
      throw new AuthConfigError(`--auth-jwks ${files.jwksFile}: keys[${i}]: field "kty": missing`);
    if ("d" in key) {
      throw new AuthConfigError(
        `--auth-jwks ${files.jwksFile}: keys[${i}]: field "d": a private key; give only public keys`,
      );
    }
  });
  const keySet = createLocalJWKSet(jwks);
  return {
    async verify(token) {
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, keySet, { issuer: files.issuer, audience: files.audience }));
      } catch (error) {
        if (error instanceof errors.JWTExpired) throw new JwtRefusedError("the token has expired", true);
        if (error instanceof errors.JWTClaimValidationFailed) {
          throw new JwtRefusedError(`the token's "${error.claim}" claim is not accepted`, false);
        }
        throw new JwtRefusedError("the token is not a valid JWT signed by a known key", false);
      }
      return {
        caller: callerFromClaims(payload),
        expiresAtMs: payload.exp === undefined ? Infinity : payload.exp * 1000,
      };
    },
  };
}

function callerFromClaims(payload: JWTPayload): Caller {
  const claim = (name: string, problem: string | undefined) => {
    if (problem !== undefined) throw new JwtRefusedError(`the token's "${name}" claim ${problem}`, false);
  };
  claim("sub", typeof payload.sub === "string" && payload.sub !== "" ? undefined : "must name the principal");
  claim("roles", rolesProblem(payload.roles));
  if (payload.runner_ids !== undefined) claim("runner_ids", patternListProblem(payload.runner_ids));
  if (payload.namespaces !== undefined) claim("namespaces", patternListProblem(payload.namespaces));
  return {
    name: payload.sub!,
    roles: new Set(payload.roles as Role[]),
    runnerIds: (payload.runner_ids as string[] | undefined) ?? [],
    namespaces: payload.namespaces as string[] | undefined,
  };
}

import type { AuthSettings } from "./authenticator.js";
import { type JwtFiles, loadJwtVerifier } from "./jwt-verifier.js";
import { loadPrincipalsFile } from "./principals-file.js";

/** The files of `serve --auth-principals` and `--auth-jwks` (with the JWT issuer and audience). */
export interface AuthFiles {
  readonly principalsFile?: string;
  readonly jwt?: JwtFiles;
}

/** Whether these flags turn authentication on. */
export function authenticationEnabled(files: AuthFiles | undefined): files is AuthFiles {
  return files !== undefined && (files.principalsFile !== undefined || files.jwt !== undefined);
}

/** Read every authentication file (at start, and again on SIGHUP); throws AuthConfigError. */
export function loadAuthSettings(files: AuthFiles): AuthSettings {
  return {
    principals: files.principalsFile === undefined ? [] : loadPrincipalsFile(files.principalsFile),
    jwt: files.jwt === undefined ? undefined : loadJwtVerifier(files.jwt),
  };
}

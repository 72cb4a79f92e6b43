import { readFileSync } from "node:fs";
import { type Caller, patternListProblem, type Role, rolesProblem } from "./caller.js";

/** An authentication file that cannot be used; the message names the file, the entry and the field. */
export class AuthConfigError extends Error {
  override name = "AuthConfigError";
}

/** A principal of `--auth-principals`: a caller, and how it proves who it is. */
export interface PrincipalEntry {
  readonly caller: Caller;
  /** sha256 of its bearer token (32 bytes). */
  readonly tokenSha256: Buffer | undefined;
  /** The CN of its client certificate (mutual TLS). */
  readonly clientCertCn: string | undefined;
}

const FIELDS = new Set(["name", "token_sha256", "client_cert_cn", "roles", "runner_ids", "namespaces"]);

function parsePrincipal(raw: unknown, index: number, fail: (where: string, problem: string) => never): PrincipalEntry {
  let where = `principals[${index}]`;
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) fail(where, "must be an object");
  const entry = raw as Record<string, unknown>;
  if (typeof entry.name !== "string" || entry.name === "") fail(where, 'field "name": must be a non-empty string');
  const name = entry.name as string;
  where = `${where} (${JSON.stringify(name)})`;
  for (const key of Object.keys(entry)) {
    if (!FIELDS.has(key)) fail(where, `field ${JSON.stringify(key)}: unknown (fields are ${[...FIELDS].join(", ")})`);
  }
  const field = (key: string, problem: string | undefined) => {
    if (problem !== undefined) fail(where, `field "${key}": ${problem}`);
  };
  const token = entry.token_sha256;
  field(
    "token_sha256",
    token === undefined || (typeof token === "string" && /^[0-9a-fA-F]{64}$/.test(token))
      ? undefined
      : "must be the 64 hex digits of the token's sha256",
  );
  const cn = entry.client_cert_cn;
  field(
    "client_cert_cn",
    cn === undefined || (typeof cn === "string" && cn !== "") ? undefined : "must be a non-empty string",
  );
  if (token === undefined && cn === undefined) fail(where, 'needs "token_sha256" or "client_cert_cn" (or both)');
  field("roles", rolesProblem(entry.roles));
  const roles = new Set(entry.roles as Role[]);
  if (entry.runner_ids !== undefined) field("runner_ids", patternListProblem(entry.runner_ids));
  if (roles.has("runner") && entry.runner_ids === undefined) {
    field("runner_ids", 'is required with the runner role (["*"] allows every runner id)');
  }
  if (entry.namespaces !== undefined) field("namespaces", patternListProblem(entry.namespaces));
  return {
    caller: {
      name,
      roles,
      runnerIds: (entry.runner_ids as string[] | undefined) ?? [],
      namespaces: entry.namespaces as string[] | undefined,
    },
    tokenSha256: typeof token === "string" ? Buffer.from(token, "hex") : undefined,
    clientCertCn: cn as string | undefined,
  };
}

/** Parse the JSON of a principals file (`file` only names it in errors). */
export function parsePrincipals(text: string, file: string): PrincipalEntry[] {
  const fail = (where: string, problem: string): never => {
    throw new AuthConfigError(`--auth-principals ${file}: ${where}: ${problem}`);
  };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    fail("not JSON", (error as Error).message);
  }
  const list = (json as { principals?: unknown } | null)?.principals;
  if (!Array.isArray(list)) fail("top level", 'must be an object with a "principals" array');
  const entries = (list as unknown[]).map((raw, i) => parsePrincipal(raw, i, fail));
  const seen = new Map<string, number>();
  entries.forEach((entry, i) => {
    const keys = [
      `name ${entry.caller.name}`,
      ...(entry.tokenSha256 ? [`token_sha256 ${entry.tokenSha256.toString("hex")}`] : []),
      ...(entry.clientCertCn !== undefined ? [`client_cert_cn ${entry.clientCertCn}`] : []),
    ];
    for (const key of keys) {
      const other = seen.get(key);
      const fieldName = key.slice(0, key.indexOf(" "));
      if (other !== undefined) {
        fail(
          `principals[${i}] (${JSON.stringify(entry.caller.name)})`,
          `field "${fieldName}": same as principals[${other}]'s`,
        );
      }
      seen.set(key, i);
    }
  });
  return entries;
}

/** Read and parse `--auth-principals FILE`. */
export function loadPrincipalsFile(file: string): PrincipalEntry[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new AuthConfigError(
      `--auth-principals ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? error})`,
    );
  }
  return parsePrincipals(text, file);
}

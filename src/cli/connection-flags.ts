import { readFileSync } from "node:fs";
import type { StatusClientOptions } from "../client/index.js";
import { UsageError } from "./cli-error.js";

/** The environment variable a token is read from when `--token` is not given. */
export const TOKEN_ENV = "PYNENC_STATUS_TOKEN";

/** parseArgs options of the flags that say how every client command connects. */
export const CONNECTION_OPTIONS = {
  token: { type: "string" },
  "tls-ca": { type: "string" },
  "tls-cert": { type: "string" },
  "tls-key": { type: "string" },
} as const;

/** The help lines of CONNECTION_OPTIONS. */
export const CONNECTION_HELP =
  `  --token TOKEN        send authorization: Bearer TOKEN (default $${TOKEN_ENV})\n` +
  "  --tls-ca FILE        speak TLS, trusting the server certificate this PEM CA signed\n" +
  "  --tls-cert FILE      client certificate for mutual TLS (PEM; with --tls-key)\n" +
  "  --tls-key FILE       the client certificate's private key (PEM)\n";

function readPem(flag: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new UsageError(`${flag} ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? error})`);
  }
}

/** The client options of the connection flags: TLS when any TLS flag is given, the token if any. */
export function connectionFromFlags(values: Record<string, unknown>): StatusClientOptions {
  const flag = (name: keyof typeof CONNECTION_OPTIONS) => values[name] as string | undefined;
  const token = flag("token") ?? (process.env[TOKEN_ENV] || undefined);
  const [ca, cert, key] = [flag("tls-ca"), flag("tls-cert"), flag("tls-key")];
  if ((cert === undefined) !== (key === undefined)) throw new UsageError("--tls-cert and --tls-key go together");
  const tls =
    ca === undefined && cert === undefined
      ? undefined
      : {
          ca: ca === undefined ? undefined : readPem("--tls-ca", ca),
          cert: cert === undefined ? undefined : readPem("--tls-cert", cert),
          key: key === undefined ? undefined : readPem("--tls-key", key),
        };
  return { token, tls };
}

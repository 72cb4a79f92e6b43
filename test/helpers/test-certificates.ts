import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** PEM files made at test time by openssl, in one folder. */
export interface TestCertificates {
  readonly dir: string;
  /** The CA that signs the server's and the clients' certificates. */
  readonly caFile: string;
  /** Another CA, trusted by nobody. */
  readonly otherCaFile: string;
  /** The server's certificate (SAN localhost, 127.0.0.1) and key. */
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
  /** A client certificate (and key) with CN `name`, signed by the CA. */
  client(name: string): { certFile: string; keyFile: string };
  /** Make a new server certificate valid for `days`, with a new key, over the same files. */
  renewServer(days: number): void;
  /** PEM contents of a file. */
  read(file: string): Buffer;
}

function openssl(dir: string, args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
}

function newKey(dir: string, name: string): void {
  openssl(dir, ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-out", `${name}.key`]);
}

function selfSignedCa(dir: string, name: string): void {
  newKey(dir, name);
  openssl(dir, [
    "req",
    "-x509",
    "-new",
    "-key",
    `${name}.key`,
    "-subj",
    `/CN=${name}`,
    "-days",
    "2",
    "-out",
    `${name}.crt`,
  ]);
}

/** A certificate for CN `name` signed by `ca`, valid for `days` (0: it expires at once). */
function signed(dir: string, name: string, ca: string, days: number, extensions?: string): void {
  newKey(dir, name);
  openssl(dir, ["req", "-new", "-key", `${name}.key`, "-subj", `/CN=${name}`, "-out", `${name}.csr`]);
  const ext = extensions === undefined ? [] : ["-extfile", `${name}.ext`];
  if (extensions !== undefined) writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(dir, [
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    `${ca}.crt`,
    "-CAkey",
    `${ca}.key`,
    "-CAcreateserial",
    "-days",
    String(days),
    ...ext,
    "-out",
    `${name}.crt`,
  ]);
}

const SERVER_NAMES = "subjectAltName=DNS:localhost,IP:127.0.0.1\n";

/** Make a CA, another CA, a server certificate and client certificates in `dir`. */
export function makeTestCertificates(dir: string): TestCertificates {
  selfSignedCa(dir, "ca");
  selfSignedCa(dir, "other-ca");
  signed(dir, "server", "ca", 2, SERVER_NAMES);
  const made = new Set<string>();
  return {
    dir,
    caFile: join(dir, "ca.crt"),
    otherCaFile: join(dir, "other-ca.crt"),
    serverCertFile: join(dir, "server.crt"),
    serverKeyFile: join(dir, "server.key"),
    client(name) {
      if (!made.has(name)) {
        signed(dir, name, name.startsWith("foreign-") ? "other-ca" : "ca", name.startsWith("expired-") ? 0 : 2);
        made.add(name);
      }
      return { certFile: join(dir, `${name}.crt`), keyFile: join(dir, `${name}.key`) };
    },
    renewServer(days) {
      signed(dir, "server", "ca", days, SERVER_NAMES);
    },
    read: (file) => readFileSync(file),
  };
}

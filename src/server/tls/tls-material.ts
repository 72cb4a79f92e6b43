import { createPrivateKey, type KeyObject, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { createSecureContext } from "node:tls";

/** A TLS file that cannot be used; the message is one line naming the flag and the file. */
export class TlsFileError extends Error {
  override name = "TlsFileError";
}

/** The PEM files of `serve --tls-cert`, `--tls-key` and `--tls-client-ca`. */
export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  /** With it, both ports require a client certificate signed by this CA (mutual TLS). */
  readonly clientCaFile?: string;
}

/** The contents of the TLS files, checked to work together. */
export interface TlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly clientCa: Buffer | undefined;
  /** When the server's certificate expires. */
  readonly notAfter: Date;
}

function readPem(flag: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new TlsFileError(`${flag} ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? error})`);
  }
}

function parseCertificate(flag: string, file: string, pem: Buffer): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch {
    throw new TlsFileError(`${flag} ${file}: not a PEM certificate`);
  }
}

function parseKey(file: string, pem: Buffer): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch {
    throw new TlsFileError(`--tls-key ${file}: not a PEM private key (or one protected by a passphrase)`);
  }
}

/**
 * Read and check the TLS files: each must be readable PEM, and the key must be the certificate's.
 * Every error names its flag and file, so a server never starts (or reloads) half-configured.
 */
export function loadTlsMaterial(files: TlsFiles): TlsMaterial {
  const cert = readPem("--tls-cert", files.certFile);
  const key = readPem("--tls-key", files.keyFile);
  const clientCa = files.clientCaFile === undefined ? undefined : readPem("--tls-client-ca", files.clientCaFile);
  const certificate = parseCertificate("--tls-cert", files.certFile, cert);
  if (!certificate.checkPrivateKey(parseKey(files.keyFile, key))) {
    throw new TlsFileError(`--tls-key ${files.keyFile}: does not match the certificate in ${files.certFile}`);
  }
  if (clientCa !== undefined) parseCertificate("--tls-client-ca", files.clientCaFile!, clientCa);
  try {
    // What the ports will do with them: a chain or CA bundle OpenSSL refuses fails here, not later.
    createSecureContext({ cert, key, ca: clientCa });
  } catch (error) {
    throw new TlsFileError(`--tls-cert ${files.certFile}: ${(error as Error).message}`);
  }
  return { cert, key, clientCa, notAfter: new Date(certificate.validTo) };
}

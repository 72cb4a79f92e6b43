import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from "jose";
import { createStatusClient, type StatusClient, type StatusClientOptions } from "../../src/client/index.js";
import { createLogger } from "../../src/server/logger.js";
import { type RunningServer, type ServeOptions, serve } from "../../src/server/serve.js";
import { makeTestCertificates, type TestCertificates } from "./test-certificates.js";

/** The sha256 of a token as a principals file holds it. */
export function tokenSha256(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** The principals of the secured test server; each token-holder's token is `token-NAME`. */
export const TEST_PRINCIPALS = [
  { name: "ops", roles: ["admin"] },
  { name: "producer", roles: ["producer", "reader"] },
  { name: "runner-a", roles: ["runner"], runner_ids: ["runner-a", "runner-a-*"] },
  { name: "reader", roles: ["reader"] },
  { name: "team", roles: ["reader", "producer"], namespaces: ["team-*"] },
] as const;

/** A principal named by its client certificate's CN, with no token. */
export const CERTIFICATE_PRINCIPAL = {
  name: "host-7",
  client_cert_cn: "host-7",
  roles: ["runner", "reader"],
  runner_ids: ["host-7-*"],
};

export const JWT_ISSUER = "https://issuer.test";
export const JWT_AUDIENCE = "pynenc-status";

/** A server with mutual TLS, a principals file and a JWKS, and the means to call it as anyone. */
export interface SecuredServer {
  readonly server: RunningServer;
  readonly certs: TestCertificates;
  readonly dir: string;
  readonly principalsFile: string;
  /** Every log line so far. */
  readonly logs: string[];
  /** A client with the `tools` certificate (a CN that names no principal) and these extras. */
  client(port: "grpc" | "connect" | "grpc-web", options?: { token?: string; certificate?: string }): StatusClient;
  /** A JWT signed by the server's JWKS key (or by `forgedKey`), with these claims. */
  jwt(
    claims: JWTPayload,
    options?: { forged?: boolean; expiresIn?: string | number; notBefore?: string | number },
  ): Promise<string>;
  close(): Promise<void>;
}

/** Start a secured server on loopback ports (memory store). */
export async function startSecuredServer(options: Partial<Omit<ServeOptions, "logger">> = {}): Promise<SecuredServer> {
  const dir = mkdtempSync(join(tmpdir(), "pynenc-status-auth-"));
  const certs = makeTestCertificates(dir);
  const principalsFile = join(dir, "principals.json");
  writeFileSync(
    principalsFile,
    JSON.stringify({
      principals: [
        ...TEST_PRINCIPALS.map((p) => ({ ...p, token_sha256: tokenSha256(`token-${p.name}`) })),
        CERTIFICATE_PRINCIPAL,
      ],
    }),
  );
  const signing = await generateKeyPair("ES256");
  const forged = await generateKeyPair("ES256");
  const jwksFile = join(dir, "jwks.json");
  writeFileSync(
    jwksFile,
    JSON.stringify({ keys: [{ ...(await exportJWK(signing.publicKey)), kid: "k1", alg: "ES256" }] }),
  );
  const logs: string[] = [];
  const server = await serve({
    listen: "127.0.0.1:0",
    httpListen: "127.0.0.1:0",
    store: "memory",
    logger: createLogger("info", (line) => logs.push(line)),
    shutdownGraceMs: 500,
    recovery: { maxPendingMs: 3_600_000, runnerDeadAfterMs: 3_600_000 },
    tls: { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile, clientCaFile: certs.caFile },
    auth: { principalsFile, jwt: { jwksFile, issuer: JWT_ISSUER, audience: JWT_AUDIENCE } },
    ...options,
  });
  return {
    server,
    certs,
    dir,
    principalsFile,
    logs,
    client(port, { token, certificate = "tools" } = {}) {
      const pair = certs.client(certificate);
      const tls: StatusClientOptions["tls"] = {
        ca: certs.read(certs.caFile),
        cert: certs.read(pair.certFile),
        key: certs.read(pair.keyFile),
      };
      return createStatusClient(port === "grpc" ? server.grpcAddress : server.httpAddress, {
        transport: port,
        tls,
        token,
      });
    },
    async jwt(claims, { forged: useForged = false, expiresIn = "1h", notBefore } = {}) {
      const jwt = new SignJWT(claims)
        .setProtectedHeader({ alg: "ES256", kid: "k1" })
        .setIssuedAt()
        .setIssuer(JWT_ISSUER)
        .setAudience(JWT_AUDIENCE)
        .setExpirationTime(expiresIn);
      if (notBefore !== undefined) jwt.setNotBefore(notBefore);
      if (typeof claims.iss === "string") jwt.setIssuer(claims.iss);
      if (claims.aud !== undefined) jwt.setAudience(claims.aud);
      return jwt.sign(useForged ? forged.privateKey : signing.privateKey);
    },
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

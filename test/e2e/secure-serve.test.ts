import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createStatusClient, InvocationStatus, type StatusClientOptions } from "../../src/client/index.js";
import { waitUntil } from "../helpers/child-processes.js";
import { tokenSha256 } from "../helpers/secured-server.js";
import { type ServerProcess, startServerProcess } from "../helpers/server-process.js";
import { makeTestCertificates, type TestCertificates } from "../helpers/test-certificates.js";
import { run } from "../helpers/toolchain.js";

let dir: string;
let certs: TestCertificates;
let principalsFile: string;

function writePrincipals(...names: string[]): void {
  const principals = names.map((name) => ({ name, token_sha256: tokenSha256(`token-${name}`), roles: ["admin"] }));
  writeFileSync(principalsFile, JSON.stringify({ principals }));
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "pynenc-status-serve-tls-"));
  certs = makeTestCertificates(dir);
  principalsFile = join(dir, "principals.json");
  writePrincipals("ops");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tlsFlags = () => ["--tls-cert", certs.serverCertFile, "--tls-key", certs.serverKeyFile];

/** The notAfter of the certificate a new TLS connection to `address` is shown. */
function presentedExpiry(address: string): Promise<string> {
  const at = address.lastIndexOf(":");
  return new Promise((resolve, reject) => {
    const socket = tlsConnect(
      {
        host: address.slice(0, at),
        port: Number(address.slice(at + 1)),
        ca: certs.read(certs.caFile),
        servername: "localhost",
      },
      () => {
        resolve(socket.getPeerCertificate().valid_to);
        socket.end();
      },
    );
    socket.once("error", reject);
  });
}

describe("serve refuses to start half-configured, with one line naming the file", () => {
  const cases = [
    {
      name: "a missing certificate",
      flags: () => ["--tls-cert", join(dir, "nope.crt"), "--tls-key", certs.serverKeyFile],
      says: "nope.crt",
    },
    {
      name: "a key that is not the certificate's",
      flags: () => ["--tls-cert", certs.serverCertFile, "--tls-key", certs.client("someone").keyFile],
      says: "someone.key: does not match",
    },
    {
      name: "an unreadable client CA",
      flags: () => [...tlsFlags(), "--tls-client-ca", join(dir, "none-ca.crt")],
      says: "none-ca.crt",
    },
    {
      name: "a malformed principals file",
      flags: () => {
        writeFileSync(join(dir, "bad.json"), JSON.stringify({ principals: [{ name: "x", roles: ["reader"] }] }));
        return ["--auth-principals", join(dir, "bad.json")];
      },
      says: 'bad.json: principals[0] ("x"): needs',
    },
    {
      name: "a non-loopback address without TLS and principals",
      flags: () => ["--listen", "0.0.0.0:0"],
      says: "--insecure",
    },
  ];
  test.each(cases)("$name", async ({ flags, says }) => {
    const result = await run(process.execPath, [
      "--import",
      "tsx",
      "src/cli/main.ts",
      "serve",
      "--store",
      "memory",
      ...flags(),
    ]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    const lines = result.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(says);
  });

  test("--insecure serves a non-loopback address all the same", async () => {
    const server = await startServerProcess(["--store", "memory", "--insecure", "--http-listen", "0.0.0.0:0"]);
    expect(server.httpAddress).toMatch(/^0\.0\.0\.0:\d+$/);
    expect(await server.stop()).toBe(0);
  });
});

describe("SIGHUP", () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServerProcess(["--store", "memory", ...tlsFlags(), "--auth-principals", principalsFile]);
  });
  afterAll(() => server?.stop());

  const as = (token: string, address = server.grpcAddress, transport: StatusClientOptions["transport"] = "grpc") =>
    createStatusClient(address, { transport, token, tls: { ca: certs.read(certs.caFile) } });

  test("re-reads the certificate and the principals while a watch stays open", async () => {
    const ops = as("token-ops");
    const controller = new AbortController();
    const seen: string[] = [];
    const watching = (async () => {
      for await (const event of ops.watchStatus({ startRevision: 1n }, { signal: controller.signal })) {
        if (event.event.case === "change")
          seen.push(`${event.event.value.record?.invocationId} ${event.event.value.principal}`);
      }
    })().catch(() => {});
    await ops.transition({ invocationId: "before", status: InvocationStatus.REGISTERED });
    const expiryBefore = await presentedExpiry(server.grpcAddress);
    await expect(as("token-newcomer").get({ invocationId: "before" })).rejects.toThrow(/bearer token is not known/);

    certs.renewServer(30);
    writePrincipals("ops", "newcomer");
    server.child.kill("SIGHUP");
    await waitUntil(
      () => server.log().includes('"reloaded"'),
      10_000,
      () => `a reload in ${server.log()}`,
    );
    const reloaded = JSON.parse(
      server
        .log()
        .split("\n")
        .find((line) => line.includes('"reloaded"'))!,
    );
    expect(reloaded).toMatchObject({ principals: 2 });
    const expiryAfter = await presentedExpiry(server.grpcAddress);
    expect(expiryAfter).not.toBe(expiryBefore);
    expect(new Date(expiryAfter).toISOString().slice(0, 16)).toBe(reloaded.certificateExpires.slice(0, 16));
    expect(await presentedExpiry(server.httpAddress)).toBe(expiryAfter);

    await as("token-newcomer", server.httpAddress, "connect").transition({
      invocationId: "after",
      status: InvocationStatus.REGISTERED,
    });
    await waitUntil(
      () => seen.length === 2,
      5_000,
      () => `both changes on the watch, got ${seen}`,
    );
    expect(seen).toEqual(["before ops", "after newcomer"]);
    controller.abort();
    await watching;
  });

  test("a broken file on reload is logged and the server goes on with the files it had", async () => {
    writeFileSync(principalsFile, "{not json");
    server.child.kill("SIGHUP");
    await waitUntil(
      () => server.log().includes('"reload failed'),
      10_000,
      () => `a failed reload in ${server.log()}`,
    );
    expect((await as("token-newcomer").get({ invocationId: "after" })).record?.invocationId).toBe("after");
  });
});

describe("the command-line client", () => {
  let server: ServerProcess;
  beforeAll(async () => {
    writePrincipals("ops");
    server = await startServerProcess([
      "--store",
      "memory",
      ...tlsFlags(),
      "--tls-client-ca",
      certs.caFile,
      "--auth-principals",
      principalsFile,
    ]);
  });
  afterAll(() => server?.stop());

  const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    run(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args, "--server", server.grpcAddress], {
      env: { ...process.env, ...env },
    });
  const tools = () => certs.client("tools");
  const tlsArgs = () => ["--tls-ca", certs.caFile, "--tls-cert", tools().certFile, "--tls-key", tools().keyFile];

  test("takes --token and the TLS flags on every command", async () => {
    const registered = await cli(["transition", "cli-1", "registered", "--token", "token-ops", ...tlsArgs()]);
    expect(registered.stderr).toBe("");
    expect(JSON.parse(registered.stdout).record.invocationId).toBe("cli-1");
    const got = await cli(["get", "cli-1", ...tlsArgs()], { PYNENC_STATUS_TOKEN: "token-ops" });
    expect(JSON.parse(got.stdout).record.status).toBe("INVOCATION_STATUS_REGISTERED");
    const listed = await cli(["list-available", ...tlsArgs()], { PYNENC_STATUS_TOKEN: "token-ops" });
    expect(listed.stdout).toContain("cli-1");
  });

  test("without a token it says UNAUTHENTICATED", async () => {
    const result = await cli(["get", "cli-1", ...tlsArgs()]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: UNAUTHENTICATED UNAUTHENTICATED: /);
  });
});

import { writeFileSync } from "node:fs";
import * as https from "node:https";
import { join } from "node:path";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { InvocationStatus as S, StatusService } from "../../gen/ts/pynenc/status/v1/status_pb.js";
import { parsePrometheusText, sampleSum } from "../helpers/prometheus-text.js";
import { type SecuredServer, startSecuredServer, tokenSha256 } from "../helpers/secured-server.js";
import { startServerProcess } from "../helpers/server-process.js";

/** What GET /metrics answered. */
interface Scrape {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** GET (or HEAD) /metrics of a secured server over mutual TLS, with a client certificate and maybe a token. */
function scrape(
  secured: SecuredServer,
  options: { token?: string; certificate?: string; method?: "GET" | "HEAD" } = {},
): Promise<Scrape> {
  const { token, certificate = "tools", method = "GET" } = options;
  const pair = secured.certs.client(certificate);
  const [host, port] = secured.server.httpAddress.split(":");
  return new Promise((resolve, reject) => {
    const request = https.request(
      {
        host,
        port: Number(port),
        path: "/metrics",
        method,
        ca: secured.certs.read(secured.certs.caFile),
        cert: secured.certs.read(pair.certFile),
        key: secured.certs.read(pair.keyFile),
        headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
        agent: false,
      },
      (response) => {
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (body += chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
      },
    );
    request.on("error", reject);
    request.end();
  });
}

/** The refusals the server logged for GET /metrics. */
function metricsRefusals(secured: SecuredServer): Array<Record<string, unknown>> {
  return secured.logs
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.msg === "refused" && line.method === "GET /metrics");
}

describe("GET /metrics under authentication", () => {
  let secured: SecuredServer;
  beforeAll(async () => {
    secured = await startSecuredServer();
    await secured.client("grpc", { token: "token-ops" }).transition({ invocationId: "m-1", status: S.REGISTERED });
  });
  afterAll(() => secured?.close());

  type Case = { name: string; token?: () => Promise<string> | string; certificate?: string; status: number };
  const cases: Case[] = [
    { name: "no credentials (a certificate whose CN names no principal)", status: 401 },
    { name: "an unknown token", token: () => "token-nobody", status: 401 },
    {
      name: "an expired JWT",
      token: () => secured.jwt({ sub: "old", roles: ["reader"] }, { expiresIn: Math.floor(Date.now() / 1000) - 60 }),
      status: 401,
    },
    { name: "a producer-only JWT", token: () => secured.jwt({ sub: "p", roles: ["producer"] }), status: 403 },
    { name: "a runner token", token: () => "token-runner-a", status: 403 },
    { name: "a reader limited to some namespaces", token: () => "token-team", status: 403 },
    { name: "a reader token", token: () => "token-reader", status: 200 },
    { name: "an admin token", token: () => "token-ops", status: 200 },
    { name: "a reader JWT", token: () => secured.jwt({ sub: "grafana", roles: ["reader"] }), status: 200 },
    { name: "a client certificate naming a reader (mutual TLS)", certificate: "host-7", status: 200 },
  ];
  for (const c of cases) {
    test(`${c.name}: ${c.status}`, async () => {
      const answer = await scrape(secured, { token: await c.token?.(), certificate: c.certificate });
      expect(answer.status).toBe(c.status);
      if (c.status === 401) expect(answer.headers["www-authenticate"]).toBe("Bearer");
      if (c.status !== 200) {
        expect(answer.body).not.toContain("pynenc_status");
        return;
      }
      expect(answer.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
      const samples = parsePrometheusText(answer.body);
      expect(sampleSum(samples, "pynenc_status_invocations", { namespace: "", status: "registered" })).toBe(1);
      expect(samples.some((s) => s.name === "process_cpu_user_seconds_total")).toBe(true);
    });
  }

  test("HEAD is guarded like GET", async () => {
    expect((await scrape(secured, { method: "HEAD" })).status).toBe(401);
    expect((await scrape(secured, { method: "HEAD", token: "token-reader" })).status).toBe(200);
  });

  test("a refusal is logged with the principal when known, the request and the peer, never the token", async () => {
    await scrape(secured, { token: "token-runner-a" });
    await scrape(secured, { token: "secret-unknown-token" });
    const refusals = metricsRefusals(secured);
    expect(refusals).toContainEqual(
      expect.objectContaining({
        principal: "runner-a",
        code: "PermissionDenied",
        peer: expect.stringMatching(/:\d+$/),
      }),
    );
    expect(refusals).toContainEqual(
      expect.objectContaining({ principal: null, code: "Unauthenticated", peer: expect.stringMatching(/:\d+$/) }),
    );
    const log = secured.logs.join("\n");
    expect(log).not.toContain("secret-unknown-token");
    expect(log).not.toContain("token-runner-a");
  });

  test("the dashboard's files and /healthz stay open", async () => {
    const pair = secured.certs.client("tools");
    for (const path of ["/", "/healthz"]) {
      const status = await new Promise<number>((resolve, reject) => {
        const [host, port] = secured.server.httpAddress.split(":");
        https
          .get(
            {
              host,
              port: Number(port),
              path,
              ca: secured.certs.read(secured.certs.caFile),
              cert: secured.certs.read(pair.certFile),
              key: secured.certs.read(pair.keyFile),
              agent: false,
            },
            (response) => {
              response.resume();
              resolve(response.statusCode ?? 0);
            },
          )
          .on("error", reject);
      });
      // The dashboard is 404 when it was not built (`npm run build`): not refused either way.
      expect(path === "/" ? [200, 404] : [200], path).toContain(status);
    }
  });
});

describe("serve --metrics-public", () => {
  let secured: SecuredServer;
  beforeAll(async () => {
    secured = await startSecuredServer({ metricsPublic: true });
  });
  afterAll(() => secured?.close());

  test("leaves /metrics open while the RPCs still authenticate", async () => {
    const answer = await scrape(secured);
    expect(answer.status).toBe(200);
    expect(sampleSum(parsePrometheusText(answer.body), "pynenc_status_revision")).toBe(0);
    await expect(secured.client("connect").countInvocations({})).rejects.toMatchObject({
      code: Code.Unauthenticated,
    });
  });

  test("from the command line: the flag opens /metrics, without it a scrape needs a token", async () => {
    const principals = join(secured.dir, "cli-principals.json");
    writeFileSync(
      principals,
      JSON.stringify({ principals: [{ name: "dashboard", token_sha256: tokenSha256("t-dash"), roles: ["reader"] }] }),
    );
    const [open, closed] = await Promise.all([
      startServerProcess(["--store", "memory", "--auth-principals", principals, "--metrics-public"]),
      startServerProcess(["--store", "memory", "--auth-principals", principals]),
    ]);
    try {
      expect((await fetch(`http://${open.httpAddress}/metrics`)).status).toBe(200);
      const refused = await fetch(`http://${closed.httpAddress}/metrics`);
      expect([refused.status, refused.headers.get("www-authenticate")]).toEqual([401, "Bearer"]);
      const allowed = await fetch(`http://${closed.httpAddress}/metrics`, {
        headers: { authorization: "Bearer t-dash" },
      });
      expect(allowed.status).toBe(200);
      expect(await allowed.text()).toMatch(/^# HELP /m);
      const client = createClient(StatusService, createGrpcTransport({ baseUrl: `http://${open.grpcAddress}` }));
      const error = await client.countInvocations({}).catch((e: unknown) => ConnectError.from(e));
      expect(error).toMatchObject({ code: Code.Unauthenticated });
    } finally {
      await Promise.all([open.stop(), closed.stop()]);
    }
  });
});

import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, test } from "vitest";
import { answerCors } from "./cors-policy.js";

let server: Server | undefined;
afterEach(() => server?.close());

/** A port whose pipeline is the CORS step, then 200; the headers a request gets. */
async function headersFor(allow: string[], init: RequestInit & { origin?: string }): Promise<Headers> {
  server = createServer((request, response) => {
    if (!answerCors(request, response, allow)) response.writeHead(200).end();
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  const headers: Record<string, string> = init.origin === undefined ? {} : { origin: init.origin };
  const response = await fetch(`http://127.0.0.1:${port}/pynenc.status.v1.StatusService/Get`, {
    ...init,
    headers: { ...headers, ...(init.headers as Record<string, string>) },
  });
  return response.headers;
}

const preflight = { method: "OPTIONS", headers: { "access-control-request-method": "POST" } };

describe("CORS", () => {
  test("by default no origin gets a grant", async () => {
    const headers = await headersFor([], { ...preflight, origin: "https://evil.example" });
    expect(headers.get("access-control-allow-origin")).toBeNull();
    expect(headers.get("access-control-allow-methods")).toBeNull();
  });

  test("a preflight from an origin that is not allowed gets no grant", async () => {
    const headers = await headersFor(["https://dash.example"], { ...preflight, origin: "https://evil.example" });
    expect(headers.get("access-control-allow-origin")).toBeNull();
  });

  test("an allowed origin gets its grant, with credentials and the authorization header", async () => {
    const headers = await headersFor(["https://dash.example"], { ...preflight, origin: "https://dash.example" });
    expect(headers.get("access-control-allow-origin")).toBe("https://dash.example");
    expect(headers.get("access-control-allow-credentials")).toBe("true");
    expect(headers.get("access-control-allow-headers")).toContain("Authorization");
    expect(headers.get("vary")).toBe("Origin");
  });

  test("* grants any origin, never with credentials", async () => {
    const headers = await headersFor(["*"], { ...preflight, origin: "https://any.example" });
    expect(headers.get("access-control-allow-origin")).toBe("*");
    expect(headers.get("access-control-allow-credentials")).toBeNull();
  });

  test("a request from an allowed origin gets the grant on its answer", async () => {
    const headers = await headersFor(["https://dash.example"], { method: "POST", origin: "https://dash.example" });
    expect(headers.get("access-control-allow-origin")).toBe("https://dash.example");
    expect(headers.get("access-control-expose-headers")).toContain("Grpc-Status");
  });
});

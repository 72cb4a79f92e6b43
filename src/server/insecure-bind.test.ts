import { describe, expect, test } from "vitest";
import { checkBindIsSafe, InsecureBindError, isLoopbackHost } from "./insecure-bind.js";

describe("isLoopbackHost", () => {
  test.each([
    ["127.0.0.1", true],
    ["127.1.2.3", true],
    ["localhost", true],
    ["::1", true],
    ["0.0.0.0", false],
    ["::", false],
    ["10.0.0.5", false],
    ["status.example.com", false],
  ])("%s: %s", (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });
});

describe("checkBindIsSafe", () => {
  const exposed = [
    { flag: "--listen", address: { host: "127.0.0.1", port: 50051 } },
    { flag: "--http-listen", address: { host: "0.0.0.0", port: 8080 } },
  ];
  test("a non-loopback address without TLS and authentication is refused, saying what to add", () => {
    expect(() => checkBindIsSafe(exposed, { tls: false, authentication: false, insecure: false })).toThrow(
      InsecureBindError,
    );
    expect(() => checkBindIsSafe(exposed, { tls: true, authentication: false, insecure: false })).toThrow(
      /--http-listen 0\.0\.0\.0:8080 .*add --auth-principals FILE .*or --insecure/,
    );
    expect(() => checkBindIsSafe(exposed, { tls: false, authentication: true, insecure: false })).toThrow(
      /add --tls-cert FILE --tls-key FILE, or --insecure/,
    );
  });

  test("TLS with authentication, loopback only, or --insecure starts", () => {
    checkBindIsSafe(exposed, { tls: true, authentication: true, insecure: false });
    checkBindIsSafe(exposed, { tls: false, authentication: false, insecure: true });
    checkBindIsSafe([exposed[0]!], { tls: false, authentication: false, insecure: false });
  });
});

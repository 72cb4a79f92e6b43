import { describe, expect, test } from "vitest";
import { AddressError, formatAddress, parseListenAddress } from "./address.js";

describe("parseListenAddress", () => {
  const cases = [
    { text: "127.0.0.1:50051", host: "127.0.0.1", port: 50051 },
    { text: "0.0.0.0:0", host: "0.0.0.0", port: 0 },
    { text: "localhost:65535", host: "localhost", port: 65535 },
    { text: ":8080", host: "0.0.0.0", port: 8080 },
    { text: "[::1]:50051", host: "::1", port: 50051 },
    { text: "[::]:0", host: "::", port: 0 },
    { text: "status.example.com:443", host: "status.example.com", port: 443 },
  ];
  for (const c of cases) {
    test(`${c.text} is ${c.host} port ${c.port}`, () => {
      expect(parseListenAddress(c.text)).toEqual({ host: c.host, port: c.port });
    });
  }
  for (const text of [
    "",
    "50051",
    "127.0.0.1",
    "127.0.0.1:",
    "host:65536",
    "host:123456",
    "::1:50051",
    "[::1]",
    "a b:1",
    "host:-1",
  ]) {
    test(`${JSON.stringify(text)} is not an address`, () => {
      expect(() => parseListenAddress(text)).toThrow(AddressError);
    });
  }
});

describe("formatAddress reads back as the same address", () => {
  const cases = [
    { host: "127.0.0.1", port: 50051, text: "127.0.0.1:50051" },
    { host: "::1", port: 8080, text: "[::1]:8080" },
    { host: "localhost", port: 0, text: "localhost:0" },
  ];
  for (const c of cases) {
    test(c.text, () => {
      expect(formatAddress(c.host, c.port)).toBe(c.text);
      expect(parseListenAddress(c.text)).toEqual({ host: c.host, port: c.port });
    });
  }
});

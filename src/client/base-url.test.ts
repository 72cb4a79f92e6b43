import { describe, expect, test } from "vitest";
import { baseUrlFromAddress } from "./base-url.js";

describe("baseUrlFromAddress", () => {
  const cases = [
    { address: "127.0.0.1:50051", url: "http://127.0.0.1:50051" },
    { address: "[::1]:8080", url: "http://[::1]:8080" },
    { address: "https://status.example.com", url: "https://status.example.com" },
    { address: "http://127.0.0.1:8080/prefix", url: "http://127.0.0.1:8080/prefix" },
  ];
  for (const c of cases) {
    test(`${c.address} is ${c.url}`, () => {
      expect(baseUrlFromAddress(c.address)).toBe(c.url);
    });
  }
});

import { describe, expect, test } from "vitest";
import { UsageError } from "./cli-error.js";
import { formatDurationArgument, parseDurationArgument, parseRetainArgument } from "./duration-argument.js";

describe("parseDurationArgument", () => {
  const cases = [
    { text: "90s", ms: 90_000 },
    { text: "15m", ms: 900_000 },
    { text: "24h", ms: 86_400_000 },
    { text: "7d", ms: 604_800_000 },
    { text: "250ms", ms: 250 },
    { text: "1.5", ms: 1_500 },
    { text: " 2h ", ms: 7_200_000 },
  ];
  for (const c of cases) {
    test(`${JSON.stringify(c.text)} is ${c.ms} ms`, () => {
      expect(parseDurationArgument("--flag", c.text)).toBe(c.ms);
    });
  }
  for (const text of ["", "h", "-5s", "5 s", "5w", "tomorrow"]) {
    test(`${JSON.stringify(text)} is a usage error`, () => {
      expect(() => parseDurationArgument("--flag", text)).toThrow(UsageError);
    });
  }
});

describe("formatDurationArgument reads back as the same duration", () => {
  const cases = [
    { ms: 86_400_000, text: "24h" },
    { ms: 604_800_000, text: "168h" },
    { ms: 5_400_000, text: "90m" },
    { ms: 90_000, text: "90s" },
    { ms: 1_500, text: "1500ms" },
  ];
  for (const c of cases) {
    test(`${c.ms} ms is ${c.text}`, () => {
      expect(formatDurationArgument(c.ms)).toBe(c.text);
      expect(parseDurationArgument("--flag", c.text)).toBe(c.ms);
    });
  }
});

describe("parseRetainArgument", () => {
  const cases = [
    { text: "1000000", retain: { maxChanges: 1_000_000 } },
    { text: "24h", retain: { maxAgeMs: 86_400_000 } },
  ];
  for (const c of cases) {
    test(c.text, () => {
      expect(parseRetainArgument("--retain-changes", c.text)).toEqual(c.retain);
    });
  }
});

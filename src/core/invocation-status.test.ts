import { describe, expect, test } from "vitest";
import { ALL_STATUSES, parseInvocationStatus } from "./invocation-status.js";

// pynenc's string values, in pynenc's declaration order (pynenc/invocation/status.py).
const SPEC_ORDER = [
  "registered",
  "concurrency_controlled",
  "concurrency_controlled_final",
  "rerouted",
  "pending",
  "pending_recovery",
  "running",
  "running_recovery",
  "paused",
  "resumed",
  "killed",
  "success",
  "failed",
  "retry",
];

describe("InvocationStatus", () => {
  test("ALL_STATUSES holds pynenc's values in declaration order", () => {
    expect([...ALL_STATUSES]).toEqual(SPEC_ORDER);
    expect(Object.isFrozen(ALL_STATUSES)).toBe(true);
  });

  const cases: { name: string; value: string; parsed: string | undefined }[] = [
    ...SPEC_ORDER.map((value) => ({ name: value, value, parsed: value })),
    { name: "enum name is not a value", value: "RUNNING", parsed: undefined },
    { name: "unknown", value: "archived", parsed: undefined },
    { name: "empty", value: "", parsed: undefined },
    { name: "padded", value: " running", parsed: undefined },
    { name: "prototype key", value: "toString", parsed: undefined },
  ];
  for (const c of cases) {
    test(`parseInvocationStatus: ${c.name}`, () => {
      expect(parseInvocationStatus(c.value)).toBe(c.parsed);
    });
  }
});

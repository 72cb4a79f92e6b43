import { describe, expect, test } from "vitest";
import { InvocationStatus } from "../../gen/ts/pynenc/status/v1/status_pb.js";
import { UsageError } from "./cli-error.js";
import { parseStatusArgument } from "./status-argument.js";

describe("parseStatusArgument", () => {
  const cases = [
    { text: "running", status: InvocationStatus.RUNNING },
    { text: "RUNNING", status: InvocationStatus.RUNNING },
    { text: "Running", status: InvocationStatus.RUNNING },
    { text: "INVOCATION_STATUS_RUNNING", status: InvocationStatus.RUNNING },
    { text: "invocation_status_running", status: InvocationStatus.RUNNING },
    { text: "concurrency_controlled_final", status: InvocationStatus.CONCURRENCY_CONTROLLED_FINAL },
    { text: "registered", status: InvocationStatus.REGISTERED },
    { text: "retry", status: InvocationStatus.RETRY },
  ];
  for (const c of cases) {
    test(`${c.text} is ${InvocationStatus[c.status]}`, () => {
      expect(parseStatusArgument(c.text)).toBe(c.status);
    });
  }
  for (const text of ["", "flying", "unspecified", "INVOCATION_STATUS_UNSPECIFIED", "run", "7", " running"]) {
    test(`${JSON.stringify(text)} is a usage error`, () => {
      expect(() => parseStatusArgument(text)).toThrow(UsageError);
    });
  }
});

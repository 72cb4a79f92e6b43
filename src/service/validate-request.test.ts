import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, test } from "vitest";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { InvocationStatus as ProtoStatus } from "../../gen/ts/pynenc/status/v1/status_pb.js";
import { InvocationStatus, STATUS_CONFIG } from "../core/index.js";
import {
  claimCount,
  MAX_CLAIM_COUNT,
  MAX_ID_BYTES,
  MAX_PAGE_SIZE,
  optionalId,
  optionalRunnerId,
  pageSize,
  requireId,
  requireStatus,
  revisionNumber,
} from "./validate-request.js";

/** The field an INVALID_ARGUMENT error names, or the error itself when it is something else. */
function rejectedField(call: () => unknown): string | unknown {
  try {
    call();
  } catch (error) {
    if (!(error instanceof ConnectError) || error.code !== Code.InvalidArgument) return error;
    const info = error.findDetails(ErrorInfoSchema)[0];
    return info?.reason === "INVALID_ARGUMENT" ? info.metadata.field : error;
  }
  throw new Error("accepted");
}

describe("ids", () => {
  const accepted = [
    { name: "one character", value: "a" },
    { name: `exactly ${MAX_ID_BYTES} bytes`, value: "x".repeat(MAX_ID_BYTES) },
    { name: `${MAX_ID_BYTES / 2} two-byte characters`, value: "é".repeat(MAX_ID_BYTES / 2) },
    { name: "170 three-byte characters (510 bytes)", value: "任".repeat(170) },
  ];
  for (const c of accepted) {
    test(`${c.name} is an id`, () => {
      expect(requireId("invocation_id", c.value)).toBe(c.value);
      expect(optionalId("task_id", c.value)).toBe(c.value);
    });
  }
  const rejected = [
    { name: `${MAX_ID_BYTES + 1} bytes`, value: "x".repeat(MAX_ID_BYTES + 1) },
    { name: "171 three-byte characters (513 bytes)", value: "任".repeat(171) },
  ];
  for (const c of rejected) {
    test(`${c.name} is too long`, () => {
      expect(rejectedField(() => requireId("invocation_id", c.value))).toBe("invocation_id");
      expect(rejectedField(() => optionalId("task_id", c.value))).toBe("task_id");
    });
  }
  test("empty is refused where an id is required, and means none where it is optional", () => {
    expect(rejectedField(() => requireId("invocation_id", ""))).toBe("invocation_id");
    expect(optionalId("task_id", "")).toBe("");
  });
  const runners = [
    { name: "unset means no runner", value: undefined, runner: null },
    { name: "a runner id", value: "r1", runner: "r1" },
  ];
  for (const c of runners) {
    test(`runner id: ${c.name}`, () => {
      expect(optionalRunnerId("runner_id", c.value)).toBe(c.runner);
    });
  }
  test("runner id: set but empty is refused", () => {
    expect(rejectedField(() => optionalRunnerId("runner_id", ""))).toBe("runner_id");
  });
});

describe("statuses", () => {
  test.each([
    [ProtoStatus.REGISTERED, InvocationStatus.REGISTERED],
    [ProtoStatus.RUNNING, InvocationStatus.RUNNING],
    [ProtoStatus.RETRY, InvocationStatus.RETRY],
  ])("proto value %i is %s", (value, status) => {
    expect(requireStatus("status", value, STATUS_CONFIG)).toBe(status);
  });
  test.each([
    ["UNSPECIFIED", 0],
    ["an unknown value", 99],
    ["a negative value", -1],
  ])("%s is refused", (_name, value) => {
    expect(rejectedField(() => requireStatus("status", value, STATUS_CONFIG))).toBe("status");
  });
});

describe("sizes and counts", () => {
  const cases = [
    { name: "page size 0 is the default", call: () => pageSize("page_size", 0), value: 100 },
    { name: "page size 1", call: () => pageSize("page_size", 1), value: 1 },
    { name: "page size at the maximum", call: () => pageSize("page_size", MAX_PAGE_SIZE), value: MAX_PAGE_SIZE },
    { name: "page size over the maximum", call: () => pageSize("page_size", 50_000), value: MAX_PAGE_SIZE },
    { name: "claim count 0 is one", call: () => claimCount("max_count", 0), value: 1 },
    { name: "claim count 7", call: () => claimCount("max_count", 7), value: 7 },
    { name: "claim count over the maximum", call: () => claimCount("max_count", 10_000), value: MAX_CLAIM_COUNT },
    { name: "revision 0", call: () => revisionNumber("start_revision", 0n), value: 0 },
    {
      name: "the largest revision",
      call: () => revisionNumber("start_revision", BigInt(Number.MAX_SAFE_INTEGER)),
      value: Number.MAX_SAFE_INTEGER,
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      expect(c.call()).toBe(c.value);
    });
  }
  const refused = [
    { name: "a negative page size", field: "page_size", call: () => pageSize("page_size", -1) },
    { name: "a negative claim count", field: "max_count", call: () => claimCount("max_count", -1) },
    {
      name: "a revision beyond any the store can hold",
      field: "start_revision",
      call: () => revisionNumber("start_revision", BigInt(Number.MAX_SAFE_INTEGER) + 1n),
    },
  ];
  for (const c of refused) {
    test(`${c.name} is refused`, () => {
      expect(rejectedField(c.call)).toBe(c.field);
    });
  }
});

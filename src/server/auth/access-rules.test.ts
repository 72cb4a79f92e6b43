import { Code } from "@connectrpc/connect";
import { describe, expect, test } from "vitest";
import { ErrorInfoSchema } from "../../../gen/ts/google/rpc/error_details_pb.js";
import { metricsDenial } from "./access-rules.js";
import type { Caller, Role } from "./caller.js";

function caller(roles: Role[], namespaces?: string[]): Caller {
  return { name: "p", roles: new Set(roles), runnerIds: [], namespaces };
}

describe("metricsDenial", () => {
  const cases: Array<{ name: string; caller: Caller; allowed: boolean }> = [
    { name: "a reader", caller: caller(["reader"]), allowed: true },
    { name: "an admin", caller: caller(["admin"]), allowed: true },
    { name: "a producer and reader", caller: caller(["producer", "reader"]), allowed: true },
    { name: "a reader of every namespace by pattern", caller: caller(["reader"], ["*"]), allowed: true },
    { name: "a producer", caller: caller(["producer"]), allowed: false },
    { name: "a runner", caller: caller(["runner"]), allowed: false },
    { name: "a producer and runner", caller: caller(["producer", "runner"]), allowed: false },
    { name: "a reader of some namespaces", caller: caller(["reader"], ["team-*"]), allowed: false },
    { name: "an admin of some namespaces", caller: caller(["admin"], ["team-a"]), allowed: false },
  ];
  for (const c of cases) {
    test(`${c.name} ${c.allowed ? "may" : "may not"} scrape`, () => {
      const denial = metricsDenial(c.caller);
      if (c.allowed) {
        expect(denial).toBeUndefined();
        return;
      }
      expect(denial?.code).toBe(Code.PermissionDenied);
      expect(denial?.findDetails(ErrorInfoSchema)[0]?.metadata).toMatchObject({
        method: "GET /metrics",
        principal: "p",
      });
    });
  }
});

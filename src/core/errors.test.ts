import { describe, expect, test } from "vitest";
import { InvocationStatusError, InvocationStatusOwnershipError, InvocationStatusTransitionError } from "./errors.js";
import { InvocationStatus } from "./invocation-status.js";

const S = InvocationStatus;

describe("forInvocation names the invocation and keeps everything else", () => {
  const cases: { name: string; error: InvocationStatusError }[] = [
    { name: "a transition error", error: new InvocationStatusTransitionError(S.RUNNING, S.PENDING, [S.SUCCESS]) },
    { name: "a transition error of a new invocation", error: new InvocationStatusTransitionError(null, S.RUNNING, []) },
    {
      name: "an ownership error",
      error: new InvocationStatusOwnershipError(S.RUNNING, S.SUCCESS, "r1", "r2", "only its owner may change it"),
    },
    { name: "the base error", error: new InvocationStatusError("something about a status") },
  ];
  for (const c of cases) {
    test(c.name, () => {
      expect(c.error.invocationId).toBeUndefined();
      const named = c.error.forInvocation("inv-1");
      expect(named).toBeInstanceOf(c.error.constructor);
      expect(named.invocationId).toBe("inv-1");
      expect({ ...named, invocationId: undefined }).toEqual({ ...c.error });
      expect(named.message).toBe(c.error.message);
      expect(named.name).toBe(c.error.name);
    });
  }
});

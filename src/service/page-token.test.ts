import { ConnectError } from "@connectrpc/connect";
import { describe, expect, test } from "vitest";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { type PageBinding, pageTokenFromPosition, pageTokenToPosition } from "./page-token.js";

const secret = Buffer.alloc(32, 7);
const binding: PageBinding = ["ListInvocations", "ns", ["pending", "running"], "task", null, "", "revision"];

/** The page_token error a call throws, with its description. */
function refusal(call: () => unknown): string {
  try {
    call();
  } catch (error) {
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).findDetails(ErrorInfoSchema)[0]?.metadata.field).toBe("page_token");
    return (error as ConnectError).rawMessage;
  }
  throw new Error("the token was accepted");
}

describe("page tokens", () => {
  test.each([0, 1, 123_456, Number.MAX_SAFE_INTEGER])("position %d round-trips", (position) => {
    expect(pageTokenToPosition(secret, binding, pageTokenFromPosition(secret, binding, position))).toBe(position);
  });

  const token = pageTokenFromPosition(secret, binding, 42);
  const [body, signature] = token.split(".") as [string, string];
  const forged = [
    { name: "an empty token", token: "" },
    { name: "no signature", token: body },
    { name: "a third part", token: `${token}.x` },
    { name: "another signature", token: `${body}.${"A".repeat(signature.length)}` },
    {
      name: "an edited position",
      token: `${Buffer.from(JSON.stringify([43, JSON.parse(Buffer.from(body, "base64url").toString())[1]])).toString("base64url")}.${signature}`,
    },
  ];
  for (const c of forged) {
    test(`${c.name} is not a token this service issued`, () => {
      expect(refusal(() => pageTokenToPosition(secret, binding, c.token))).toMatch(/not a page token/);
    });
  }

  test("a token signed with another store's secret is refused", () => {
    expect(refusal(() => pageTokenToPosition(Buffer.alloc(32, 8), binding, token))).toMatch(/not a page token/);
  });

  const rebound: Array<{ name: string; binding: PageBinding }> = [
    { name: "another RPC", binding: ["ListAvailableForRun", "ns", "task"] },
    {
      name: "another namespace",
      binding: ["ListInvocations", "ns2", ["pending", "running"], "task", null, "", "revision"],
    },
    { name: "other statuses", binding: ["ListInvocations", "ns", ["pending"], "task", null, "", "revision"] },
    {
      name: "another order",
      binding: ["ListInvocations", "ns", ["pending", "running"], "task", null, "", "revision-desc"],
    },
    { name: "a runner", binding: ["ListInvocations", "ns", ["pending", "running"], "task", "r1", "", "revision"] },
  ];
  for (const c of rebound) {
    test(`a token used with ${c.name} is refused as issued for another request`, () => {
      expect(refusal(() => pageTokenToPosition(secret, c.binding, token))).toMatch(/another request/);
    });
  }
});

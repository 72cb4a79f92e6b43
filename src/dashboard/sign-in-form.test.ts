import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, test } from "vitest";
import { isSignInRefusal } from "./authorization-interceptor.js";
import { signInPrompt } from "./sign-in-form.js";

describe("isSignInRefusal", () => {
  const cases = [
    { name: "UNAUTHENTICATED", error: new ConnectError("no", Code.Unauthenticated), refusal: true },
    { name: "PERMISSION_DENIED", error: new ConnectError("no", Code.PermissionDenied), refusal: true },
    { name: "UNAVAILABLE", error: new ConnectError("away", Code.Unavailable), refusal: false },
    { name: "OUT_OF_RANGE", error: new ConnectError("compacted", Code.OutOfRange), refusal: false },
    { name: "not a ConnectError", error: new Error("boom"), refusal: false },
  ];
  for (const c of cases) test(c.name, () => expect(isSignInRefusal(c.error)).toBe(c.refusal));
});

describe("signInPrompt", () => {
  const cases = [
    {
      name: "no token yet",
      error: new ConnectError("no credentials", Code.Unauthenticated),
      signedIn: false,
      says: /asks who you are/,
    },
    {
      name: "an unknown or expired token",
      error: new ConnectError("the bearer token is not known", Code.Unauthenticated),
      signedIn: true,
      says: /refused this token: the bearer token is not known\. Sign in again/,
    },
    {
      name: "a token without the reader role",
      error: new ConnectError("principal p may not call WatchCounts (it needs the reader role)", Code.PermissionDenied),
      signedIn: true,
      says: /principal p may not call WatchCounts .*reader role/,
    },
  ];
  for (const c of cases) test(c.name, () => expect(signInPrompt(c.error, c.signedIn)).toMatch(c.says));
});

import { describe, expect, test } from "vitest";
import { createSessionToken, tokenFromInput } from "./session-token.js";

describe("tokenFromInput", () => {
  const cases: Array<{ name: string; input: string; token: string | undefined }> = [
    { name: "a token", input: "abc123", token: "abc123" },
    { name: "spaces and a line break around it", input: "  abc123\n", token: "abc123" },
    { name: "a pasted scheme", input: "Bearer abc123", token: "abc123" },
    { name: "a pasted scheme in another case", input: "bearer   abc123 ", token: "abc123" },
    { name: "a JWT", input: "eyJ.eyJ.sig-_", token: "eyJ.eyJ.sig-_" },
    { name: "nothing", input: "   ", token: undefined },
    { name: "the scheme alone", input: "Bearer ", token: "Bearer" },
    { name: "two words", input: "abc 123", token: undefined },
    { name: "a line break inside", input: "abc\n123", token: undefined },
  ];
  for (const c of cases) test(c.name, () => expect(tokenFromInput(c.input)).toBe(c.token));
});

/** A Storage held in a Map, as sessionStorage keeps strings. */
function mapStorage() {
  const items = new Map<string, string>();
  return {
    items,
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => void items.set(key, value),
    removeItem: (key: string) => void items.delete(key),
  };
}

describe("createSessionToken", () => {
  test("keeps the token in storage, so a reloaded page finds it, and forgets it on sign-out", () => {
    const storage = mapStorage();
    const first = createSessionToken(() => storage);
    expect(first.get()).toBeUndefined();
    first.set("t1");
    expect(first.get()).toBe("t1");
    expect(createSessionToken(() => storage).get()).toBe("t1");
    first.set(undefined);
    expect(first.get()).toBeUndefined();
    expect(storage.items.size).toBe(0);
    expect(createSessionToken(() => storage).get()).toBeUndefined();
  });

  test("without storage (it throws), holds the token in memory", () => {
    const session = createSessionToken(() => {
      throw new Error("SecurityError");
    });
    expect(session.get()).toBeUndefined();
    session.set("t1");
    expect(session.get()).toBe("t1");
  });
});

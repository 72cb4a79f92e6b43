import { describe, expect, test } from "vitest";
import { AuthConfigError, parsePrincipals } from "./principals-file.js";

const HASH = "a".repeat(64);
const file = (...principals: unknown[]) => JSON.stringify({ principals });

describe("parsePrincipals", () => {
  test("reads every field", () => {
    const [entry] = parsePrincipals(
      file({ name: "r", token_sha256: HASH, roles: ["runner"], runner_ids: ["r-*"], namespaces: ["app"] }),
      "p.json",
    );
    expect(entry?.caller).toEqual({ name: "r", roles: new Set(["runner"]), runnerIds: ["r-*"], namespaces: ["app"] });
    expect(entry?.tokenSha256?.toString("hex")).toBe(HASH);
  });

  const malformed = [
    { name: "not JSON", text: "{", where: "not JSON" },
    { name: "no principals array", text: "{}", where: "top level" },
    {
      name: "an entry without a name",
      text: file({ roles: ["reader"], token_sha256: HASH }),
      where: 'principals[0]: field "name"',
    },
    {
      name: "a short hash",
      text: file({ name: "a", roles: ["reader"], token_sha256: "abc" }),
      where: 'principals[0] ("a"): field "token_sha256"',
    },
    { name: "no credential", text: file({ name: "a", roles: ["reader"] }), where: 'principals[0] ("a"): needs' },
    {
      name: "an unknown role",
      text: file({ name: "a", roles: ["root"], token_sha256: HASH }),
      where: 'principals[0] ("a"): field "roles"',
    },
    {
      name: "empty roles",
      text: file({ name: "a", roles: [], token_sha256: HASH }),
      where: 'principals[0] ("a"): field "roles"',
    },
    {
      name: "a runner without runner_ids",
      text: file({ name: "a", roles: ["runner"], token_sha256: HASH }),
      where: 'principals[0] ("a"): field "runner_ids"',
    },
    {
      name: "a * inside a pattern",
      text: file({ name: "a", roles: ["reader"], client_cert_cn: "a", namespaces: ["a*b"] }),
      where: 'principals[0] ("a"): field "namespaces"',
    },
    {
      name: "a misspelt field",
      text: file({ name: "a", roles: ["reader"], client_cert_cn: "a", runner_id: ["x"] }),
      where: 'principals[0] ("a"): field "runner_id"',
    },
    {
      name: "two entries with one token",
      text: file(
        { name: "a", roles: ["reader"], token_sha256: HASH },
        { name: "b", roles: ["reader"], token_sha256: HASH },
      ),
      where: 'principals[1] ("b"): field "token_sha256"',
    },
  ];
  test.each(malformed)("$name: the error names the file, the entry and the field", ({ text, where }) => {
    expect(() => parsePrincipals(text, "p.json")).toThrow(AuthConfigError);
    expect(() => parsePrincipals(text, "p.json")).toThrow(`--auth-principals p.json: ${where}`);
  });
});

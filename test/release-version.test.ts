import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { REPO_ROOT } from "./helpers/server-process.js";

const read = (path: string) => readFileSync(join(REPO_ROOT, path), "utf8");
/** The one version number, from package.json; scripts/generate-python.sh reads it from there too. */
const VERSION = (JSON.parse(read("package.json")) as { version: string }).version;

describe(`one version across the packages (package.json: ${VERSION})`, () => {
  test("gen/python's pyproject.toml carries it", () => {
    expect(/^version = "([^"]+)"$/m.exec(read("gen/python/pyproject.toml"))?.[1]).toBe(VERSION);
  });

  test("CHANGELOG.md has an entry for it, and links it to its release tag", () => {
    const changelog = read("CHANGELOG.md");
    expect(changelog).toMatch(new RegExp(`^## \\[${VERSION.replaceAll(".", "\\.")}\\] - `, "m"));
    expect(changelog).toContain(`[${VERSION}]: https://github.com/pynenc/pynenc-status/releases/tag/v${VERSION}`);
  });
});

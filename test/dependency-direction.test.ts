import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, test } from "vitest";
import { REPO_ROOT } from "./helpers/server-process.js";

// Each layer may import only the layers after it: cli -> server -> service -> store -> core.
const LAYERS = ["cli", "server", "service", "store", "core"];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") ? [path] : [];
  });
}

const src = join(REPO_ROOT, "src");
const cases = sourceFiles(src).map((file) => ({ name: relative(REPO_ROOT, file), file }));

describe("dependencies point one way", () => {
  test.each(cases)("$name imports only its own layer and the ones below", ({ file }) => {
    const layer = relative(src, file).split("/")[0]!;
    const rank = LAYERS.indexOf(layer);
    expect(rank).toBeGreaterThanOrEqual(0);
    const text = readFileSync(file, "utf8");
    for (const [, specifier] of text.matchAll(/from\s+"(\.[^"]+)"/g)) {
      const target = relative(src, resolve(dirname(file), specifier!));
      if (target.startsWith("..")) {
        // Outside src/: only generated code, and never from the core.
        expect(target.startsWith("../gen/ts/"), `${specifier} from ${layer}`).toBe(true);
        expect(layer, "core imports nothing of ours").not.toBe("core");
        continue;
      }
      const targetRank = LAYERS.indexOf(target.split("/")[0]!);
      expect(targetRank, `${layer} imports ${target}`).toBeGreaterThanOrEqual(rank);
    }
  });
});

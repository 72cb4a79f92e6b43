import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, test } from "vitest";
import { REPO_ROOT } from "./helpers/server-process.js";

// The layers of src/ and what each may import besides itself. The server's layers point one way,
// cli -> server -> service -> store -> core; the client (src/client, published as
// `pynenc-status/client`) stands beside them on the generated code alone, and only the command
// line uses it. The dashboard (src/dashboard, bundled for browsers) talks to the server only
// through that client. `index` is the package root (src/index.ts), which re-exports the server's layers.
const ALLOWED: Record<string, readonly string[]> = {
  index: ["server", "service", "store", "core"],
  cli: ["client", "server", "service", "store", "core"],
  server: ["service", "store", "core"],
  service: ["store", "core"],
  store: ["core"],
  client: [],
  dashboard: ["client"],
  core: [],
};
// Layers that may import generated code (gen/ts): every one but the core, which imports nothing of ours.
const GENERATED_CODE_ALLOWED = new Set(Object.keys(ALLOWED).filter((layer) => layer !== "core"));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") ? [path] : [];
  });
}

const src = join(REPO_ROOT, "src");

/** The layer of a path relative to src/: its top folder, or `index` for the package root. */
function layerOf(path: string): string {
  const [top, ...rest] = path.split("/");
  return rest.length === 0 ? top!.replace(/\.ts$/, "") : top!;
}

const cases = sourceFiles(src).map((file) => ({ name: relative(REPO_ROOT, file), file }));

describe("dependencies point one way", () => {
  test.each(cases)("$name imports only its own layer and the ones it may", ({ file }) => {
    const layer = layerOf(relative(src, file));
    expect(Object.keys(ALLOWED)).toContain(layer);
    const text = readFileSync(file, "utf8");
    for (const [, specifier] of text.matchAll(/from\s+"(\.[^"]+)"/g)) {
      const target = relative(src, resolve(dirname(file), specifier!));
      if (target.startsWith("..")) {
        // Outside src/: only generated code, and never from the core.
        expect(target.startsWith("../gen/ts/"), `${specifier} from ${layer}`).toBe(true);
        expect(GENERATED_CODE_ALLOWED.has(layer), `${layer} imports generated code`).toBe(true);
        continue;
      }
      const targetLayer = layerOf(target);
      if (targetLayer === layer) continue;
      expect(ALLOWED[layer], `${layer} imports ${target}`).toContain(targetLayer);
    }
  });
});

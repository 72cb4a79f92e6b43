import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { SERVE_FLAG_DEFAULTS, SERVE_HELP } from "../src/cli/serve-command.js";
import { STATE_MACHINE_PROFILES, stateDiagramMermaid } from "../src/core/index.js";
import { createServerMetrics } from "../src/server/server-metrics.js";
import { README } from "./helpers/readme.js";
import { REPO_ROOT } from "./helpers/server-process.js";

const readme = README;

describe("README", () => {
  test("starts with what the service is and the two command lines for a fresh clone", () => {
    const head = readme.slice(0, 1500);
    expect(head).toContain("npm install && npm start");
    expect(head).toContain("npm install && npm test");
  });

  test.each([...STATE_MACHINE_PROFILES])(
    "the %s Mermaid state diagram is the one drawn from its definitions",
    (profile, config) => {
      const name = profile.replaceAll(".", "\\.");
      const match = new RegExp(
        `<!-- state-diagram:${name}:start -->\n\`\`\`mermaid\n([\\s\\S]*?)\`\`\`\n<!-- state-diagram:${name}:end -->`,
      ).exec(readme);
      expect(match?.[1]).toBe(stateDiagramMermaid(config));
    },
  );

  test("documents every metric the server exports (Node's default ones as a group)", () => {
    const names = createServerMetrics()
      .registry.getMetricsAsArray()
      .map((metric) => metric.name)
      .filter((name) => !name.startsWith("process_") && !name.startsWith("nodejs_"));
    expect(names.length).toBeGreaterThan(10);
    for (const name of names) expect(readme, name).toMatch(new RegExp(`^\\| \`${name}\` \\|`, "m"));
    expect(readme).toContain("| `process_*`, `nodejs_*` |");
  });

  test("documents every flag of serve", () => {
    const flags = [...SERVE_HELP.matchAll(/^ {2}(--[a-z-]+)/gm)].map((m) => m[1]!);
    expect(flags.length).toBeGreaterThan(5);
    for (const flag of flags) expect(readme).toContain(`\`${flag}`);
  });

  test.each(Object.entries(SERVE_FLAG_DEFAULTS))(
    "the flag table gives %s the default serve uses (%s)",
    (flag, value) => {
      const row = new RegExp(`^\\| \`${flag}(?: [^\`]*)?\` \\| \`([^\`]*)\` \\|`, "m").exec(readme);
      expect(row?.[1]).toBe(value);
    },
  );

  test(".ci/run runs the README's test line", () => {
    const ci = readFileSync(join(REPO_ROOT, ".ci/run"), "utf8");
    expect(ci).toMatch(/^npm install$/m);
    expect(ci).toMatch(/^npm test$/m);
  });
});

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./server-process.js";

/** The README, as a new user reads it. */
export const README = readFileSync(join(REPO_ROOT, "README.md"), "utf8");

/** The code of the block marked `<!-- readme-test: NAME -->` in `markdown` (the README), exactly as written. */
export function readmeBlock(name: string, markdown: string = README): string {
  const match = new RegExp(`<!-- readme-test: ${name} -->\\n\`\`\`\\w+\\n([\\s\\S]*?)\`\`\``).exec(markdown);
  if (match === null) throw new Error(`README has no block marked readme-test: ${name}`);
  return match[1]!;
}

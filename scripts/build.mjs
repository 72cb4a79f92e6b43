// `npm run build`: compile src/ and gen/ts/ into dist/ with tsc (tsconfig.build.json), copy the
// Redis store's Lua scripts beside the compiled store-scripts.js, which reads them from there, and
// bundle the dashboard (src/dashboard) for browsers with esbuild into dist/dashboard, which the
// server's HTTP port serves at `/`.
import { execFileSync } from "node:child_process";
import { cpSync, readdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");

rmSync(join(root, "dist"), { recursive: true, force: true });
execFileSync(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json")], { cwd: root, stdio: "inherit" });

const from = join(root, "src/store/redis");
const to = join(root, "dist/src/store/redis");
for (const file of readdirSync(from).filter((name) => name.endsWith(".lua"))) cpSync(join(from, file), join(to, file));
cpSync(join(from, "include"), join(to, "include"), { recursive: true });

const dashboard = join(root, "src/dashboard");
const dashboardOut = join(root, "dist/dashboard");
await build({
  entryPoints: [join(dashboard, "main.ts")],
  outfile: join(dashboardOut, "dashboard.js"),
  bundle: true,
  format: "esm",
  platform: "browser",
  target: ["es2022"],
  minify: true,
  legalComments: "linked",
  logLevel: "warning",
});
for (const file of ["index.html", "dashboard.css"]) cpSync(join(dashboard, file), join(dashboardOut, file));

import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { run } from "./toolchain.js";

/** A module version to publish in a file-based module proxy. */
export interface ProxiedModule {
  /** The module path, as in its go.mod (`github.com/pynenc/pynenc-status/gen/go`). */
  readonly path: string;
  /** `vX.Y.Z`. */
  readonly version: string;
  /** The folder holding its go.mod: what the tag's tree holds there. */
  readonly dir: string;
}

// Module zips hold every file under `module@version/`, files only (no directory entries).
const ZIP_MODULE = `
import os, sys, zipfile
src, prefix, out = sys.argv[1:4]
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    for root, dirs, files in os.walk(src):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(root, name)
            z.write(path, prefix + os.path.relpath(path, src).replace(os.sep, "/"))
`;

/**
 * Write `module` into a GOPROXY folder at `root` laid out as the module proxy protocol serves it
 * (`PATH/@v/list`, `.info`, `.mod`, `.zip`), as proxy.golang.org would once the tag is pushed; the
 * zip is written by `python`. Returns the `file://` URL to put in GOPROXY.
 */
export async function writeGoModuleProxy(root: string, module: ProxiedModule, python: string): Promise<string> {
  if (/[A-Z]/.test(module.path)) throw new Error("upper-case module paths need the proxy's !-escaping");
  const versions = join(root, module.path, "@v");
  mkdirSync(versions, { recursive: true });
  writeFileSync(join(versions, "list"), `${module.version}\n`);
  writeFileSync(
    join(versions, `${module.version}.info`),
    JSON.stringify({ Version: module.version, Time: new Date() }),
  );
  copyFileSync(join(module.dir, "go.mod"), join(versions, `${module.version}.mod`));
  const zip = join(versions, `${module.version}.zip`);
  const result = await run(python, ["-c", ZIP_MODULE, module.dir, `${module.path}@${module.version}/`, zip]);
  if (result.code !== 0) throw new Error(`zipping ${module.dir} failed: ${result.stderr}`);
  return pathToFileURL(root).href;
}

/**
 * The environment for `go` in a fresh module that must take our module from the proxy at
 * `proxyUrl`: a module cache of its own under `dir` (so nothing comes from an earlier run), then
 * for every other module the machine's module cache (its download folder is itself a proxy) and
 * its usual GOPROXY, which also serves the checksum database for them. GONOSUMDB exempts ours,
 * which the public checksum database has never seen; -modcacherw lets the cache be removed.
 */
export async function goEnvForProxy(proxyUrl: string, dir: string): Promise<NodeJS.ProcessEnv> {
  const result = await run("go", ["env", "-json", "GOMODCACHE", "GOPROXY"]);
  if (result.code !== 0) throw new Error(`go env failed: ${result.stderr}`);
  const machine = JSON.parse(result.stdout) as { GOMODCACHE: string; GOPROXY: string };
  const downloads = pathToFileURL(join(machine.GOMODCACHE, "cache", "download")).href;
  return {
    ...process.env,
    GOMODCACHE: join(dir, "gomodcache"),
    GOPROXY: [proxyUrl, downloads, machine.GOPROXY].join(","),
    GONOSUMDB: "github.com/pynenc",
    GOFLAGS: "-modcacherw",
    GOWORK: "off",
  };
}

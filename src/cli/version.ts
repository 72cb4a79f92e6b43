import { createRequire } from "node:module";

/**
 * This package's version, from its package.json: by the package's own name, which resolves
 * through the `exports` map from the sources, from dist/ and from an installed copy alike.
 */
export const VERSION: string = (createRequire(import.meta.url)("pynenc-status/package.json") as { version: string })
  .version;

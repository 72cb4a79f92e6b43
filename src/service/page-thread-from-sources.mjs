// The page thread's entry when the server runs from its TypeScript sources (through tsx, as in
// development and tests): a worker does not inherit its parent's `--import tsx` loader.
import { tsImport } from "tsx/esm/api";

await tsImport("./page-thread-main.ts", import.meta.url);

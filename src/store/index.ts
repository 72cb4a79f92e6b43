export * from "./errors.js";
export * from "./memory-store.js";
export * from "./open-store.js";
export * from "./redis/redis-store.js";
export type { InvocationPagePlan, PageStatement } from "./sqlite/sqlite-invocation-page.js";
export * from "./sqlite/sqlite-page-reader.js";
export * from "./sqlite-store.js";
export * from "./store.js";
export * from "./watch-changes.js";

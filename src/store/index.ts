export * from "./errors.js";
export * from "./memory-store.js";
export * from "./open-store.js";
export * from "./redis/redis-store.js";
export * from "./sqlite-store.js";
export * from "./store.js";
export * from "./watch-changes.js";

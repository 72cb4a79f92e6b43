import { readFileSync } from "node:fs";
import { type RedisKeys, scriptKeys } from "./keys.js";
import type { RedisConnection } from "./redis-connection.js";

/** The scripts of the Redis store, one per operation (each file's header lists KEYS, ARGV, replies). */
export const STORE_SCRIPT_NAMES = [
  "pin-settings",
  "transition",
  "batch-transition",
  "claim",
  "recover",
  "find-abandoned",
  "heartbeat",
  "list-runners",
  "recovery-candidates",
  "acquire-lease",
  "compact",
  "purge-namespace",
  "list-available",
  "list-invocations",
  "batch-get",
  "count-invocations",
  "read-history",
] as const;

/** The name of one store script (its file is `<name>.lua`). */
export type StoreScriptName = (typeof STORE_SCRIPT_NAMES)[number];

/** The scripts that only read: a connection lost during one of them changed nothing. */
const READ_ONLY_SCRIPTS: ReadonlySet<StoreScriptName> = new Set<StoreScriptName>([
  "find-abandoned",
  "list-runners",
  "recovery-candidates",
  "list-available",
  "list-invocations",
  "batch-get",
  "count-invocations",
  "read-history",
]);

/** Runs a store script with the whole keyspace as KEYS and the given ARGV. */
export type RunStoreScript = (name: StoreScriptName, ...args: Array<string | number>) => Promise<unknown>;

/** The Lua of one script as Redis runs it: the shared include, then the script. */
export function storeScriptSource(name: StoreScriptName): string {
  const read = (file: string) => readFileSync(new URL(file, import.meta.url), "utf8");
  return `${read("./include/store.lua")}\n${read(`./${name}.lua`)}`;
}

/**
 * Register every store script on a connection once (ioredis runs them by SHA and sends the source
 * again only when Redis does not know it, after a restart for instance).
 */
export function defineStoreScripts({ client, send }: RedisConnection, keys: RedisKeys): RunStoreScript {
  const keyArgs = scriptKeys(keys);
  for (const name of STORE_SCRIPT_NAMES) {
    client.defineCommand(name, { numberOfKeys: keyArgs.length, lua: storeScriptSource(name) });
  }
  // defineCommand adds methods that ioredis's types cannot know.
  const commands = client as unknown as Record<StoreScriptName, (...args: Array<string | number>) => Promise<unknown>>;
  return (name, ...args) => send(commands[name](...keyArgs, ...args), READ_ONLY_SCRIPTS.has(name) ? "read" : "write");
}

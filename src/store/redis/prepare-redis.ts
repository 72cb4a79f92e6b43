import { randomBytes } from "node:crypto";
import type { StatusConfiguration } from "../../core/index.js";
import { StateMachineProfileMismatchError } from "../errors.js";
import { definitionsHash } from "./definitions-hash.js";
import { KEY_LAYOUT_VERSION } from "./keys.js";
import type { RedisConnection } from "./redis-connection.js";
import type { RunStoreScript } from "./store-scripts.js";

/** A Redis that would lose invocations on its own (it evicts any key when memory runs out). */
export class RedisEvictionPolicyError extends Error {
  override name = "RedisEvictionPolicyError";
}

/** A prefix that holds keys in another layout than this version's (an earlier pynenc-status's). */
export class RedisKeyLayoutError extends Error {
  override name = "RedisKeyLayoutError";
}

/** Where the shared state is when a store opens, and the secret every replica signs page tokens with. */
export interface PreparedRedis {
  readonly pageTokenSecret: Buffer;
  /** The last revision given. */
  readonly revision: number;
  /** The oldest revision compaction keeps. */
  readonly oldest: number;
}

/** The Redis and prefix a store lives in, for messages (without the URL's credentials). */
export function redisLocation(url: string, prefix: string): string {
  return `Redis ${url.replace(/\/\/[^@/]*@/, "//")} under prefix ${JSON.stringify(prefix)}`;
}

/**
 * Check that Redis keeps what it is given and that the prefix holds this layout and this state
 * machine (pinning both, and the page-token secret, on first use); write the state machine for
 * the scripts and read where the shared state is.
 */
export async function prepareRedis(
  { client, send }: RedisConnection,
  run: RunStoreScript,
  config: StatusConfiguration,
  location: string,
): Promise<PreparedRedis> {
  let policy: string | undefined;
  try {
    [, policy] = (await send(client.config("GET", "maxmemory-policy"))) as string[];
  } catch {
    // CONFIG is often disabled on managed Redis: nothing to check then.
  }
  if (policy?.startsWith("allkeys-")) {
    throw new RedisEvictionPolicyError(
      `${location} evicts any key when memory runs out (maxmemory-policy ${policy}); pynenc-status needs noeviction`,
    );
  }
  const definitions = Object.entries(definitionsHash(config)).flat();
  const secret = randomBytes(32).toString("hex");
  const [outcome, a, b, c] = (await run(
    "pin-settings",
    KEY_LAYOUT_VERSION,
    config.profile,
    secret,
    ...definitions,
  )) as string[];
  switch (outcome) {
    case "ok":
      return { pageTokenSecret: Buffer.from(a!, "hex"), revision: Number(b), oldest: Number(c) };
    case "old-layout":
      // Refused rather than migrated: replicas of the earlier version may still be writing there,
      // and its invocations have no namespace to move them to but the default one.
      throw new RedisKeyLayoutError(
        `${location} holds the keys of an earlier pynenc-status (a revision but no settings hash), which this ` +
          "version cannot read. Start it with another --redis-prefix, or stop the earlier servers and delete " +
          "their keys under that prefix first.",
      );
    case "layout":
      throw new RedisKeyLayoutError(
        `${location} holds key layout version ${a}; this server reads version ${KEY_LAYOUT_VERSION}. ` +
          "Start it with another --redis-prefix, or with the pynenc-status version that wrote it.",
      );
    case "profile":
      throw new StateMachineProfileMismatchError(location, a!, config.profile);
    default:
      throw new Error(`Redis store: unexpected reply ${JSON.stringify([outcome, a, b, c])} when opening ${location}`);
  }
}

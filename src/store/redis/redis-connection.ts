import { Redis, type RedisOptions } from "ioredis";
import { OutcomeUnknownError, StoreFullError, StoreUnavailableError } from "../errors.js";

/** What a command does to Redis's data: a lost connection leaves a write's outcome unknown. */
export type RedisCommandEffect = "read" | "write";

/** Redis's reply when it is at its maxmemory and refuses to write (also inside a script's error). */
const OUT_OF_MEMORY = /\bOOM command not allowed\b/;

const OPTIONS: RedisOptions = {
  lazyConnect: true,
  protocol: 2,
  // A command in flight when the connection drops may or may not have run: it fails, and is never
  // sent twice (the client retries, with a request id when it must not apply twice).
  autoResendUnfulfilledCommands: false,
  // While Redis is unreachable a call fails at once rather than waiting in a queue to be sent later.
  enableOfflineQueue: false,
  // Not auto-pipelining: ioredis never finishes an automatic pipeline whose commands a lost
  // connection dropped, and every later command would wait behind it.
  enableAutoPipelining: false,
};

/** One connection to Redis whose calls always settle. */
export interface RedisConnection {
  readonly client: Redis;
  /**
   * Await a command just issued on `client`. ioredis drops commands it will not resend without
   * settling them; this fails them when the connection closes: a write with OutcomeUnknownError
   * (it was sent, Redis may have run it), a read with StoreUnavailableError. A Redis refusing to
   * write for lack of memory is StoreFullError.
   */
  send<T>(command: Promise<T>, effect?: RedisCommandEffect): Promise<T>;
  /** Close the connection (calls in flight fail). */
  close(): void;
}

function armed(): { promise: Promise<never>; reject: (error: Error) => void } {
  let reject!: (error: Error) => void;
  const promise = new Promise<never>((_, r) => (reject = r));
  promise.catch(() => {}); // nobody may be waiting when it fires
  return { promise, reject };
}

/** Where a Redis URL points, without its credentials: `HOST:PORT/DB`. */
export function redisAddress(url: string): string {
  try {
    const { host, pathname } = new URL(url);
    return `${host || "127.0.0.1"}${pathname === "/" ? "" : pathname}`;
  } catch {
    return "(an unparsable URL)";
  }
}

/** Connect to `url`; rejects when Redis cannot be reached. ioredis reconnects by itself later. */
export async function connectRedis(url: string): Promise<RedisConnection> {
  const client = new Redis(url, OPTIONS);
  // Errors name the host and database, never the URL's password.
  const address = redisAddress(url);
  // Failures reach the calls they break (as RedisConnectionLostError or ioredis's own errors);
  // the last one says why a first connection failed, which connect() itself does not.
  let lastError: Error | undefined;
  client.on("error", (error: Error) => {
    lastError = error;
  });
  let lost = armed();
  client.on("close", () => {
    lost.reject(new OutcomeUnknownError(`The connection to Redis at ${address} closed with the call in flight`));
    lost = armed();
  });
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    const why = lastError?.message ?? (error as Error).message;
    throw new StoreUnavailableError(`cannot connect to Redis at ${address}: ${why}`, { cause: error });
  }
  return {
    client,
    send: (command, effect = "read") =>
      Promise.race([command, lost.promise]).catch((error: unknown) => {
        if (error instanceof OutcomeUnknownError) {
          if (effect === "write") {
            throw new OutcomeUnknownError(
              `The connection to Redis at ${address} closed after the call was sent: it may have been applied; ` +
                "retry with the same request_id to get its outcome",
              { cause: error },
            );
          }
          // A read changes nothing: it certainly did not apply, so a plain retry is safe.
          throw new StoreUnavailableError(`The connection to Redis at ${address} closed during the call`, {
            cause: error,
          });
        }
        if (error instanceof Error && OUT_OF_MEMORY.test(error.message)) {
          throw new StoreFullError(`Redis at ${address} is out of memory (maxmemory): ${error.message}`, {
            cause: error,
          });
        }
        // ioredis refuses commands while it is disconnected (no offline queue): nothing was sent.
        if (client.status === "ready") throw error;
        throw new StoreUnavailableError(`Redis at ${address} is unreachable (${(error as Error).message})`, {
          cause: error,
        });
      }),
    close: () => client.disconnect(),
  };
}

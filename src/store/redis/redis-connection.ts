import { Redis, type RedisOptions } from "ioredis";
import { StoreUnavailableError } from "../errors.js";

/** The connection to Redis closed with the call in flight: whether Redis ran it is unknown. */
export class RedisConnectionLostError extends StoreUnavailableError {
  override name = "RedisConnectionLostError";
}

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
   * settling them; this fails them with RedisConnectionLostError when the connection closes.
   */
  send<T>(command: Promise<T>): Promise<T>;
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
  // Failures reach the calls they break (as RedisConnectionLostError or ioredis's own errors);
  // the last one says why a first connection failed, which connect() itself does not.
  let lastError: Error | undefined;
  client.on("error", (error: Error) => {
    lastError = error;
  });
  let lost = armed();
  client.on("close", () => {
    lost.reject(new RedisConnectionLostError(`The connection to Redis at ${url} closed with the call in flight`));
    lost = armed();
  });
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    const why = lastError?.message ?? (error as Error).message;
    throw new StoreUnavailableError(`cannot connect to Redis at ${redisAddress(url)}: ${why}`, { cause: error });
  }
  return {
    client,
    send: (command) =>
      Promise.race([command, lost.promise]).catch((error: unknown) => {
        // ioredis refuses commands while it is disconnected (no offline queue): Redis is unreachable.
        if (error instanceof StoreUnavailableError || client.status === "ready") throw error;
        throw new StoreUnavailableError(`Redis at ${url} is unreachable (${(error as Error).message})`, {
          cause: error,
        });
      }),
    close: () => client.disconnect(),
  };
}

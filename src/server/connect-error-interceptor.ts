import { Code, type ConnectError, type Interceptor } from "@connectrpc/connect";
import { connectErrorFrom } from "../service/errors.js";
import type { Logger } from "./logger.js";

/**
 * Log an error the client cannot act on, at each port's boundary: an unexpected one (the client
 * only sees INTERNAL) or a damaged store (DATA_LOSS), which an operator must see.
 */
export function logServerFault(error: ConnectError, logger: Logger): void {
  if (error.code === Code.Internal) logger.error("internal error", { error: error.cause ?? error });
  else if (error.code === Code.DataLoss) logger.error("store corrupt", { error: error.rawMessage });
}

/**
 * The Connect port's error boundary, as a router interceptor: whatever a handler throws, before
 * its response or in the middle of a stream, reaches the client as the ConnectError
 * connectErrorFrom makes of it (the gRPC port converts with the same function).
 */
export function createConnectErrorInterceptor(logger: Logger): Interceptor {
  const converted = (error: unknown): ConnectError => {
    const connectError = connectErrorFrom(error);
    logServerFault(connectError, logger);
    return connectError;
  };
  async function* convertingErrors<T>(messages: AsyncIterable<T>): AsyncIterable<T> {
    try {
      yield* messages;
    } catch (error) {
      throw converted(error);
    }
  }
  return (next) => async (request) => {
    let response: Awaited<ReturnType<typeof next>>;
    try {
      response = await next(request);
    } catch (error) {
      throw converted(error);
    }
    return response.stream ? { ...response, message: convertingErrors(response.message) } : response;
  };
}

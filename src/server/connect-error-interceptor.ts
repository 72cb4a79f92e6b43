import type { Interceptor } from "@connectrpc/connect";
import { connectErrorFrom } from "../service/errors.js";

async function* convertingErrors<T>(messages: AsyncIterable<T>): AsyncIterable<T> {
  try {
    yield* messages;
  } catch (error) {
    throw connectErrorFrom(error);
  }
}

/**
 * The Connect port's error boundary, as a router interceptor: whatever a handler throws, before
 * its response or in the middle of a stream, reaches the client as the ConnectError
 * connectErrorFrom makes of it (the gRPC port converts with the same function).
 */
export const connectErrorInterceptor: Interceptor = (next) => async (request) => {
  let response: Awaited<ReturnType<typeof next>>;
  try {
    response = await next(request);
  } catch (error) {
    throw connectErrorFrom(error);
  }
  return response.stream ? { ...response, message: convertingErrors(response.message) } : response;
};

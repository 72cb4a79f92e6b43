import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";

/** Whether an error asks for other credentials: UNAUTHENTICATED (none, unknown, expired) or PERMISSION_DENIED. */
export function isSignInRefusal(error: unknown): boolean {
  const { code } = ConnectError.from(error);
  return code === Code.Unauthenticated || code === Code.PermissionDenied;
}

/** A stream that reports the error it ends with, if any, before passing it on. */
async function* reportingError<T>(messages: AsyncIterable<T>, report: (error: unknown) => void): AsyncIterable<T> {
  try {
    yield* messages;
  } catch (error) {
    report(error);
    throw error;
  }
}

/**
 * A Connect interceptor that sends the tab's token as `authorization: Bearer TOKEN` on every call
 * (none while signed out), and calls `refused` when a call, or a stream at any point, fails with
 * UNAUTHENTICATED or PERMISSION_DENIED under the token that is still current: a call sent before
 * a sign-in that fails after it asks for nothing.
 */
export function authorizationInterceptor(
  token: () => string | undefined,
  refused: (error: ConnectError, token: string | undefined) => void,
): Interceptor {
  return (next) => async (request) => {
    const sent = token();
    if (sent !== undefined) request.header.set("authorization", `Bearer ${sent}`);
    const report = (error: unknown) => {
      if (isSignInRefusal(error) && token() === sent) refused(ConnectError.from(error), sent);
    };
    let response: Awaited<ReturnType<typeof next>>;
    try {
      response = await next(request);
    } catch (error) {
      report(error);
      throw error;
    }
    return response.stream ? { ...response, message: reportingError(response.message, report) } : response;
  };
}

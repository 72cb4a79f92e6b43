import type { Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { Code, ConnectError, createContextKey, createContextValues, type Interceptor } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import { formatAddress } from "./address.js";
import type { Logger } from "./logger.js";

// One debug line per call, on both ports: {"msg":"call","port","method","code","ms","peer"}.
// Never the messages themselves, nor headers (they may carry tokens).

/** Write the line of one finished call; `code` is a gRPC code, which Connect's codes equal. */
function logCall(logger: Logger, port: "grpc" | "http", method: string, code: number, started: number, peer: string) {
  const ms = Math.round((performance.now() - started) * 1000) / 1000;
  logger.debug("call", { port, method, code: grpc.status[code] ?? String(code), ms, peer });
}

/**
 * A grpc-js server interceptor that logs each call on the gRPC port (the status service, health
 * and reflection alike) when it ends: with the status it sends, or CANCELLED by the client.
 */
export function grpcCallLogInterceptor(logger: Logger): grpc.ServerInterceptor {
  return (method, call) => {
    const started = performance.now();
    // Read now: once the client has gone, grpc-js no longer knows its address.
    const peer = call.getPeer();
    let done = false;
    const log = (code: number) => {
      if (done) return;
      done = true;
      logCall(logger, "grpc", method.path, code, started, peer);
    };
    return new grpc.ServerInterceptingCall(call, {
      start: (next) => next(new grpc.ServerListenerBuilder().withOnCancel(() => log(grpc.status.CANCELLED)).build()),
      sendStatus: (status, next) => {
        log(status.code);
        next(status);
      },
    });
  };
}

const PEER = createContextKey("unknown", { description: "the client's address" });

/** connectNodeAdapter's `contextValues`: the client's address, for the call log. */
export function peerContextValues(request: { readonly socket: Pick<Socket, "remoteAddress" | "remotePort"> }) {
  const { remoteAddress, remotePort } = request.socket;
  return createContextValues().set(PEER, remoteAddress ? formatAddress(remoteAddress, remotePort ?? 0) : "unknown");
}

/** A stream whose end (done, failed, or no longer read) calls `end`. */
async function* loggingEnd<T>(messages: AsyncIterable<T>, end: (error?: unknown) => void): AsyncIterable<T> {
  let outcome: unknown = new ConnectError("no longer read", Code.Canceled);
  try {
    yield* messages;
    outcome = undefined;
  } catch (error) {
    outcome = error;
    throw error;
  } finally {
    end(outcome);
  }
}

/**
 * A Connect interceptor that logs each call on the HTTP port (Connect and gRPC-Web) when it ends;
 * a server stream ends when its last message is sent. Outermost, so it sees the codes the error
 * boundary gives.
 */
export function connectCallLogInterceptor(logger: Logger): Interceptor {
  return (next) => async (request) => {
    const started = performance.now();
    const method = `/${request.service.typeName}/${request.method.name}`;
    const end = (error?: unknown) => {
      // A handler whose client went away ends its stream without an error: say CANCELLED all the same.
      const code =
        error !== undefined ? ConnectError.from(error).code : request.signal.aborted ? Code.Canceled : grpc.status.OK;
      logCall(logger, "http", method, code, started, request.contextValues.get(PEER));
    };
    let response: Awaited<ReturnType<typeof next>>;
    try {
      response = await next(request);
    } catch (error) {
      end(error);
      throw error;
    }
    if (!response.stream) {
      end();
      return response;
    }
    return { ...response, message: loggingEnd(response.message, end) };
  };
}

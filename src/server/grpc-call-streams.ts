import type { ServerHttp2Stream } from "node:http2";
import * as grpc from "@grpc/grpc-js";
import { createObjectSlot } from "../service/object-slot.js";

/** The HTTP/2 streams under the calls of a grpc-js server, so one call's stream can be reset. */
export interface GrpcCallStreams {
  /** Install first (it must see the call grpc-js makes for the stream). */
  readonly interceptor: grpc.ServerInterceptor;
  /**
   * Reset the stream of the call whose request metadata this is, with `code` (an HTTP/2 error
   * code); false when the stream is closed already or unknown. What the stream buffered (a request
   * that never finished, responses a client never read) is freed, and the client's library ends
   * the call at once, whatever it had not read yet.
   */
  reset(metadata: grpc.Metadata, code: number): boolean;
  /** Whether the call's connection is closing (the server sent GOAWAY: its maximum age, a shutdown). */
  connectionClosing(metadata: grpc.Metadata): boolean;
}

function isHttp2Stream(value: unknown): value is ServerHttp2Stream {
  return typeof value === "object" && value !== null && "rstCode" in value && "session" in value;
}

/**
 * Track the HTTP/2 stream of every call. grpc-js can close whole connections but offers no way to
 * reset one call's stream, and a call whose client stalls holds its buffers until the stream
 * closes. grpc-js hands the first server interceptor the call it made for the stream, which keeps
 * the stream in its `stream` field; that field is not public API, so a grpc-js release that moves
 * it makes reset() return false (test/abuse fails then) rather than break the calls.
 */
export function createGrpcCallStreams(): GrpcCallStreams {
  // Kept on the request metadata, the one object grpc-js passes on unchanged to the handler's call.
  const streams = createObjectSlot<grpc.Metadata, ServerHttp2Stream>("the call's HTTP/2 stream");
  return {
    interceptor: (_method, call) => {
      const stream: unknown = (call as unknown as { stream?: unknown }).stream;
      return new grpc.ServerInterceptingCall(call, {
        start: (next) =>
          next({
            onReceiveMetadata(metadata, nextMetadata) {
              if (isHttp2Stream(stream)) streams.set(metadata, stream);
              nextMetadata(metadata);
            },
          }),
      });
    },
    reset(metadata, code) {
      const stream = streams.get(metadata);
      if (stream === undefined || stream.closed || stream.destroyed) return false;
      stream.close(code);
      return true;
    },
    connectionClosing(metadata) {
      const session = streams.get(metadata)?.session;
      return session !== undefined && (session.closed || session.destroyed);
    },
  };
}

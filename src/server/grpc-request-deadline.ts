import { constants as http2Constants } from "node:http2";
import { Code } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import { statusError } from "../service/errors.js";
import type { GrpcCallStreams } from "./grpc-call-streams.js";
import { grpcStatusFromConnectError } from "./grpc-status.js";

/**
 * A server interceptor that gives each call `timeoutMs` from its headers to the end of its request
 * (the message and the half-close). A request that has not arrived by then is answered with
 * DEADLINE_EXCEEDED (reason REQUEST_TIMEOUT) and its stream reset, which frees what was buffered
 * of it: a client that sends most of a large message and stalls holds nothing for longer.
 */
export function requestDeadlineInterceptor(timeoutMs: number, streams: GrpcCallStreams): grpc.ServerInterceptor {
  const seconds = String(timeoutMs / 1000);
  return (_method, call) => {
    let timer: NodeJS.Timeout | undefined;
    const stop = () => {
      clearTimeout(timer);
      timer = undefined;
    };
    return new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata(metadata, nextMetadata) {
            timer = setTimeout(() => {
              timer = undefined;
              const error = statusError(
                Code.DeadlineExceeded,
                "REQUEST_TIMEOUT",
                `the request did not arrive in full within ${seconds}s of its headers`,
                { timeoutSeconds: seconds },
              );
              call.sendStatus(grpcStatusFromConnectError(error));
              // The response is complete; NO_ERROR tells the client to stop sending the rest.
              streams.reset(metadata, http2Constants.NGHTTP2_NO_ERROR);
            }, timeoutMs);
            nextMetadata(metadata);
          },
          onReceiveHalfClose(nextHalfClose) {
            stop();
            nextHalfClose();
          },
          onCancel: stop,
        }),
      sendStatus(status, nextStatus) {
        stop();
        nextStatus(status);
      },
    });
  };
}

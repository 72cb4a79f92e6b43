import { constants as http2Constants } from "node:http2";
import {
  type DescMessage,
  type DescService,
  fromBinary,
  type Message,
  type MessageShape,
  toBinary,
} from "@bufbuild/protobuf";
import { Code, createContextValues } from "@connectrpc/connect";
import type * as grpc from "@grpc/grpc-js";
import { encodingMadeAhead } from "../service/encoded-responses.js";
import { connectErrorFrom, invalidArgument, statusError } from "../service/errors.js";
import { createObjectSlot } from "../service/object-slot.js";
import {
  ANONYMOUS_PRINCIPAL,
  type BoundMethod,
  boundMethods,
  type RpcContext,
  type ServiceHandlers,
  STREAM_CUT_OFF,
} from "../service/service-handlers.js";
import { GrpcCallCredentials } from "./call-credentials.js";
import { logServerFault } from "./connect-error-interceptor.js";
import type { GrpcCallStreams } from "./grpc-call-streams.js";
import { grpcStatusFromConnectError } from "./grpc-status.js";
import type { Logger } from "./logger.js";

/** grpc-js gives a unary handler nothing to abort. */
const NEVER_ABORTED = new AbortController().signal;

/** How often open streams are checked for a connection the server is closing. */
const CLOSING_CHECK_MS = 1_000;

function decodeRequest(schema: DescMessage, bytes: Buffer): Message {
  try {
    return fromBinary(schema, bytes);
  } catch {
    // grpc-js would answer INTERNAL for a message it cannot parse; the fault is the client's.
    throw invalidArgument("request", `is not a valid ${schema.typeName} message`);
  }
}

/**
 * A protobuf-es message as the Buffer grpc-js sends, without copying the encoded bytes: the
 * encoding its handler made ahead, a slice per turn (sliced-reads.ts), or one made now.
 */
export function encodeMessage<D extends DescMessage>(schema: D, message: MessageShape<D>): Buffer {
  const bytes = encodingMadeAhead(message) ?? toBinary(schema, message);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * The gRPC port's error boundary: whatever a handler threw (or a request that did not decode)
 * becomes the ConnectError connectErrorFrom makes of it, sent as grpc-js's status with details;
 * what the client cannot act on (INTERNAL, DATA_LOSS) is logged.
 */
function toServiceError(error: unknown, logger: Logger): grpc.StatusObject {
  const connectError = connectErrorFrom(error);
  logServerFault(connectError, logger);
  return grpcStatusFromConnectError(connectError);
}

/**
 * Serve a protobuf-es service on grpc-js: a service definition whose requests are decoded by the
 * handlers (so a bad message is INVALID_ARGUMENT, not INTERNAL) and an implementation that calls
 * the same handlers as the Connect router, with backpressure on streams.
 */
export function grpcServiceFromHandlers<S extends DescService>(
  service: S,
  handlers: ServiceHandlers<S>,
  logger: Logger,
  streamOptions: StreamOptions,
): { definition: grpc.ServiceDefinition; implementation: grpc.UntypedServiceImplementation } {
  const definition: Record<string, grpc.MethodDefinition<Buffer, Message>> = {};
  const implementation: grpc.UntypedServiceImplementation = {};
  const open = openStreams(streamOptions.streams);
  for (const bound of boundMethods(service, handlers)) {
    const { method } = bound;
    const streaming = bound.kind === "server_streaming";
    const output = method.output;
    const encode = (message: Message): Buffer => encodeMessage(output, message);
    // Streams send the same message object to many watchers: encode it once for all of them.
    const encoded = createObjectSlot<Message, Buffer>(`${method.name} encoded`);
    const encodeShared = (message: Message): Buffer => {
      let bytes = encoded.get(message);
      if (bytes === undefined) {
        bytes = encode(message);
        encoded.set(message, bytes);
      }
      return bytes;
    };
    definition[method.localName] = {
      path: `/${service.typeName}/${method.name}`,
      requestStream: false,
      responseStream: streaming,
      originalName: method.name,
      requestSerialize: (bytes: Buffer) => bytes,
      requestDeserialize: (bytes: Buffer) => bytes,
      responseSerialize: streaming ? encodeShared : encode,
      responseDeserialize: (bytes: Buffer) => fromBinary(output, bytes),
    };
    implementation[method.localName] =
      bound.kind === "server_streaming"
        ? (call: grpc.ServerWritableStream<Buffer, Message>) =>
            void serveStream(bound, call, logger, streamOptions, open)
        : (call: grpc.ServerUnaryCall<Buffer, Message>, callback: grpc.sendUnaryData<Message>) =>
            serveUnary(bound, call, callback, logger);
  }
  return { definition: definition as grpc.ServiceDefinition, implementation };
}

function serveUnary(
  { method, handler }: Extract<BoundMethod, { kind: "unary" }>,
  call: grpc.ServerUnaryCall<Buffer, Message>,
  callback: grpc.sendUnaryData<Message>,
  logger: Logger,
): void {
  let request: Message;
  try {
    request = decodeRequest(method.input, call.request);
  } catch (error) {
    callback(toServiceError(error, logger));
    return;
  }
  const credentials = new GrpcCallCredentials(call);
  const context: RpcContext = {
    signal: NEVER_ABORTED,
    principal: ANONYMOUS_PRINCIPAL,
    protocol: "grpc",
    credentials,
    sendsEncodingMadeAhead: true,
  };
  handler(request, context).then(
    (response) => callback(null, response),
    (error: unknown) => callback(toServiceError(error, logger)),
  );
}

/** How the service's streams are served. */
export interface StreamOptions {
  /** The HTTP/2 streams under the calls (reset a cut-off one, see whether its connection is closing). */
  readonly streams: GrpcCallStreams;
  /** A stream ended early is reset if its client has not read up to the end within this long. */
  readonly cutOffGraceMs: number;
}

/** The open streams of a service, each ended cleanly once the server starts closing its connection. */
interface OpenStreams {
  add(metadata: grpc.Metadata, end: (error: unknown) => void): () => void;
}

/**
 * Keep the open streams and look at their connections every CLOSING_CHECK_MS: when grpc-js closes a
 * connection (its maximum age, a shutdown) its streams go on until the grace ends and are then cut;
 * a watch ended now with UNAVAILABLE instead resumes at once, on a new connection, losing nothing.
 */
function openStreams(streams: GrpcCallStreams): OpenStreams {
  const ends = new Map<grpc.Metadata, (error: unknown) => void>();
  let timer: NodeJS.Timeout | undefined;
  const closing = () =>
    statusError(
      Code.Unavailable,
      "UNAVAILABLE",
      "the server is closing this connection (its maximum age, or a shutdown); reconnect, and resume a watch " +
        "from the revision after the last one received",
      {},
    );
  const check = () => {
    for (const [metadata, end] of ends) if (streams.connectionClosing(metadata)) end(closing());
  };
  return {
    add(metadata, end) {
      ends.set(metadata, end);
      if (timer === undefined) {
        timer = setInterval(check, CLOSING_CHECK_MS);
        timer.unref();
      }
      return () => {
        ends.delete(metadata);
        if (ends.size === 0) {
          clearInterval(timer);
          timer = undefined;
        }
      };
    },
  };
}

/**
 * Serve one server-streaming call with backpressure: a message is written once the previous ones
 * drained. The handler (through STREAM_CUT_OFF) or the connection's closing can end the call early,
 * even while it waits for the client to read: the call then ends with that error, and its stream is
 * reset if the client has not read up to it within the cut-off grace.
 */
async function serveStream(
  { method, handler }: Extract<BoundMethod, { kind: "server_streaming" }>,
  call: grpc.ServerWritableStream<Buffer, Message>,
  logger: Logger,
  { streams, cutOffGraceMs }: StreamOptions,
  open: OpenStreams,
): Promise<void> {
  const controller = new AbortController();
  let cancelled = false;
  let ending: unknown;
  const onCancel = () => {
    cancelled = true;
    controller.abort();
  };
  const end = (error: unknown) => {
    if (controller.signal.aborted) return;
    ending = error;
    controller.abort();
  };
  call.on("cancelled", onCancel);
  const forget = open.add(call.metadata, end);
  const drained = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        call.off("drain", done);
        controller.signal.removeEventListener("abort", done);
        resolve();
      };
      call.on("drain", done);
      controller.signal.addEventListener("abort", done);
    });
  try {
    const request = decodeRequest(method.input, call.request);
    const context: RpcContext = {
      signal: controller.signal,
      principal: ANONYMOUS_PRINCIPAL,
      protocol: "grpc",
      credentials: new GrpcCallCredentials(call),
      values: createContextValues().set(STREAM_CUT_OFF, end),
    };
    for await (const message of handler(request, context)) {
      if (controller.signal.aborted) break;
      if (!call.write(message)) await drained();
      if (controller.signal.aborted) break;
    }
    if (ending !== undefined) {
      call.emit("error", toServiceError(ending, logger));
      // The error waits behind what the client has not read; a client that never reads gets the
      // stream reset (RESOURCE_EXHAUSTED to gRPC clients) and the server frees what it held.
      setTimeout(() => streams.reset(call.metadata, http2Constants.NGHTTP2_ENHANCE_YOUR_CALM), cutOffGraceMs).unref();
    } else if (!controller.signal.aborted) call.end();
  } catch (error) {
    if (!cancelled) call.emit("error", toServiceError(error, logger));
  } finally {
    forget();
    call.off("cancelled", onCancel);
  }
}

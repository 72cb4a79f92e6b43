import {
  type DescMessage,
  type DescService,
  fromBinary,
  type Message,
  type MessageShape,
  toBinary,
} from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import type * as grpc from "@grpc/grpc-js";
import { connectErrorFrom, invalidArgument } from "../service/errors.js";
import {
  ANONYMOUS_PRINCIPAL,
  type BoundMethod,
  boundMethods,
  type ServiceHandlers,
} from "../service/service-handlers.js";
import { GrpcCallCredentials } from "./call-credentials.js";
import { grpcStatusFromConnectError } from "./grpc-status.js";
import type { Logger } from "./logger.js";

const NEVER_ABORTED = new AbortController().signal;

function decodeRequest(schema: DescMessage, bytes: Buffer): Message {
  try {
    return fromBinary(schema, bytes);
  } catch {
    // grpc-js would answer INTERNAL for a message it cannot parse; the fault is the client's.
    throw invalidArgument("request", `is not a valid ${schema.typeName} message`);
  }
}

/** A protobuf-es message as the Buffer grpc-js sends, without copying the encoded bytes. */
export function encodeMessage<D extends DescMessage>(schema: D, message: MessageShape<D>): Buffer {
  const bytes = toBinary(schema, message);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * The gRPC port's error boundary: whatever a handler threw (or a request that did not decode)
 * becomes the ConnectError connectErrorFrom makes of it, sent as grpc-js's status with details;
 * an unexpected error is logged, since the client only sees INTERNAL.
 */
function toServiceError(error: unknown, logger: Logger): grpc.StatusObject {
  const connectError = connectErrorFrom(error);
  if (connectError.code === Code.Internal) {
    logger.error("internal error", { error: connectError.cause ?? connectError });
  }
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
): { definition: grpc.ServiceDefinition; implementation: grpc.UntypedServiceImplementation } {
  const definition: Record<string, grpc.MethodDefinition<Buffer, Message>> = {};
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const bound of boundMethods(service, handlers)) {
    const { method } = bound;
    const streaming = bound.kind === "server_streaming";
    const output = method.output;
    const encode = (message: Message): Buffer => encodeMessage(output, message);
    // Streams send the same message object to many watchers: encode it once for all of them.
    const encoded = new WeakMap<Message, Buffer>();
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
        ? (call: grpc.ServerWritableStream<Buffer, Message>) => void serveStream(bound, call, logger)
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
  handler(request, { signal: NEVER_ABORTED, principal: ANONYMOUS_PRINCIPAL, protocol: "grpc", credentials }).then(
    (response) => callback(null, response),
    (error: unknown) => callback(toServiceError(error, logger)),
  );
}

async function serveStream(
  { method, handler }: Extract<BoundMethod, { kind: "server_streaming" }>,
  call: grpc.ServerWritableStream<Buffer, Message>,
  logger: Logger,
): Promise<void> {
  const controller = new AbortController();
  const onCancel = () => controller.abort();
  call.on("cancelled", onCancel);
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
    const context = {
      signal: controller.signal,
      principal: ANONYMOUS_PRINCIPAL,
      protocol: "grpc",
      credentials: new GrpcCallCredentials(call),
    } as const;
    for await (const message of handler(request, context)) {
      if (controller.signal.aborted) break;
      if (!call.write(message)) await drained();
    }
    if (!controller.signal.aborted) call.end();
  } catch (error) {
    if (!controller.signal.aborted) call.emit("error", toServiceError(error, logger));
  } finally {
    call.off("cancelled", onCancel);
  }
}

import { type DescMessage, type DescService, fromBinary, toBinary } from "@bufbuild/protobuf";
import type * as grpc from "@grpc/grpc-js";
import { connectErrorFrom, invalidArgument } from "../service/errors.js";
import type { RpcContext, StatusServiceHandlers } from "../service/status-service.js";
import { grpcStatusFromConnectError } from "./grpc-status.js";
import type { Logger } from "./logger.js";

type UnaryHandler = (request: unknown, context: RpcContext) => Promise<unknown>;
type StreamHandler = (request: unknown, context: RpcContext) => AsyncIterable<unknown>;

const NEVER_ABORTED = new AbortController().signal;

function decodeRequest(schema: DescMessage, bytes: Buffer): unknown {
  try {
    return fromBinary(schema, bytes);
  } catch {
    // grpc-js would answer INTERNAL for a message it cannot parse; the fault is the client's.
    throw invalidArgument("request", `is not a valid ${schema.typeName} message`);
  }
}

/** A protobuf-es message as the Buffer grpc-js sends, without copying the encoded bytes. */
export function encodeMessage(schema: DescMessage, message: unknown): Buffer {
  const bytes = toBinary(schema, message as never);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function toServiceError(error: unknown, logger: Logger): grpc.StatusObject {
  const connectError = connectErrorFrom(error);
  if (connectError.code === 13) logger.error("internal error", { error: connectError.cause ?? connectError });
  return grpcStatusFromConnectError(connectError);
}

/**
 * Serve a protobuf-es service on grpc-js: a service definition whose requests are decoded by the
 * handlers (so a bad message is INVALID_ARGUMENT, not INTERNAL) and an implementation that calls
 * the same handlers as the Connect router, with backpressure on streams.
 */
export function grpcServiceFromHandlers(
  service: DescService,
  handlers: StatusServiceHandlers,
  logger: Logger,
): { definition: grpc.ServiceDefinition; implementation: grpc.UntypedServiceImplementation } {
  const definition: Record<string, grpc.MethodDefinition<Buffer, unknown>> = {};
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const method of service.methods) {
    const streaming = method.methodKind === "server_streaming";
    const output = method.output;
    const encode = (message: unknown): Buffer => encodeMessage(output, message);
    // Streams send the same message object to many watchers: encode it once for all of them.
    const encoded = new WeakMap<object, Buffer>();
    const encodeShared = (message: unknown): Buffer => {
      let bytes = encoded.get(message as object);
      if (bytes === undefined) {
        bytes = encode(message);
        encoded.set(message as object, bytes);
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
    const handler = (handlers as unknown as Record<string, UnaryHandler & StreamHandler>)[method.localName]!;
    implementation[method.localName] = streaming
      ? (call: grpc.ServerWritableStream<Buffer, unknown>) => void serveStream(method.input, handler, call, logger)
      : (call: grpc.ServerUnaryCall<Buffer, unknown>, callback: grpc.sendUnaryData<unknown>) => {
          let request: unknown;
          try {
            request = decodeRequest(method.input, call.request);
          } catch (error) {
            return callback(toServiceError(error, logger));
          }
          handler(request, { signal: NEVER_ABORTED }).then(
            (response) => callback(null, response),
            (error: unknown) => callback(toServiceError(error, logger)),
          );
        };
  }
  return { definition: definition as grpc.ServiceDefinition, implementation };
}

async function serveStream(
  input: DescMessage,
  handler: StreamHandler,
  call: grpc.ServerWritableStream<Buffer, unknown>,
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
    const request = decodeRequest(input, call.request);
    for await (const message of handler(request, { signal: controller.signal })) {
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

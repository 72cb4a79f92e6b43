import {
  create,
  type DescMessage,
  fromBinary,
  type MessageInitShape,
  type MessageShape,
  toBinary,
} from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import * as grpc from "@grpc/grpc-js";
import {
  BadRequestSchema,
  ErrorInfoSchema,
  PreconditionFailureSchema,
} from "../../gen/ts/google/rpc/error_details_pb.js";
import { StatusSchema } from "../../gen/ts/google/rpc/status_pb.js";
import { StatusService } from "../../gen/ts/pynenc/status/v1/status_pb.js";

function serializer(schema: DescMessage) {
  return (message: unknown) => Buffer.from(toBinary(schema, create(schema, message as never)));
}
function deserializer(schema: DescMessage) {
  return (bytes: Buffer) => fromBinary(schema, bytes);
}

const definition: grpc.ServiceDefinition = Object.fromEntries(
  StatusService.methods.map((m) => [
    m.localName,
    {
      path: `/${StatusService.typeName}/${m.name}`,
      requestStream: false,
      responseStream: m.methodKind === "server_streaming",
      requestSerialize: serializer(m.input),
      requestDeserialize: deserializer(m.input),
      responseSerialize: serializer(m.output),
      responseDeserialize: deserializer(m.output),
    },
  ]),
);

/** A plain grpc-js client of the status service, as a grpc-js user would build one. */
export type GrpcJsStatusClient = grpc.Client & Record<string, (...args: unknown[]) => unknown>;

/** Create a grpc-js client for `address`. */
export function createGrpcJsClient(address: string, options: grpc.ClientOptions = {}): GrpcJsStatusClient {
  const Client = grpc.makeGenericClientConstructor(definition, "StatusService");
  return new Client(address, grpc.credentials.createInsecure(), options) as unknown as GrpcJsStatusClient;
}

/** Call a unary method with a plain request object (or raw bytes via the raw client). */
export function unary<O extends DescMessage>(
  client: GrpcJsStatusClient,
  method: string,
  request: MessageInitShape<DescMessage>,
  _output?: O,
): Promise<MessageShape<O>> {
  return new Promise((resolve, reject) => {
    (client[method] as (r: unknown, cb: (e: grpc.ServiceError | null, v: unknown) => void) => void).call(
      client,
      request,
      (error, value) => (error ? reject(error) : resolve(value as MessageShape<O>)),
    );
  });
}

/** The details a grpc-js error carries in grpc-status-details-bin, decoded. */
export function errorDetails(error: grpc.ServiceError) {
  const raw = error.metadata?.get("grpc-status-details-bin")[0];
  if (raw === undefined)
    return { errorInfo: undefined, preconditionFailure: undefined, badRequest: undefined, code: undefined };
  const status = fromBinary(StatusSchema, raw as Buffer);
  const find = <D extends DescMessage>(schema: D) =>
    status.details.map((any) => anyUnpack(any, schema)).find((m) => m !== undefined);
  return {
    code: status.code,
    errorInfo: find(ErrorInfoSchema),
    preconditionFailure: find(PreconditionFailureSchema),
    badRequest: find(BadRequestSchema),
  };
}

/** Make a raw call with arbitrary request bytes (for garbage-on-the-wire tests). */
export function rawUnary(address: string, path: string, bytes: Buffer): Promise<Buffer> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  return new Promise<Buffer>((resolve, reject) => {
    client.makeUnaryRequest(
      path,
      (b: Buffer) => b,
      (b: Buffer) => b,
      bytes,
      (error, value) => {
        client.close();
        if (error) reject(error);
        else resolve(value!);
      },
    );
  });
}

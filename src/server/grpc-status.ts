import { toBinary } from "@bufbuild/protobuf";
import type { ConnectError } from "@connectrpc/connect";
import { Metadata, type StatusObject } from "@grpc/grpc-js";
import { StatusSchema } from "../../gen/ts/google/rpc/status_pb.js";
import { rpcStatusFromConnectError } from "../service/rpc-status.js";

/** The trailer that carries a google.rpc.Status with the error details, read by every gRPC client. */
export const STATUS_DETAILS_KEY = "grpc-status-details-bin";

/** A ConnectError as the gRPC status grpc-js sends: code, message and the details trailer. */
export function grpcStatusFromConnectError(error: ConnectError): StatusObject {
  const metadata = new Metadata();
  if (error.details.length > 0) {
    metadata.set(STATUS_DETAILS_KEY, Buffer.from(toBinary(StatusSchema, rpcStatusFromConnectError(error))));
  }
  return { code: error.code as number, details: error.rawMessage, metadata };
}

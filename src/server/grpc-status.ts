import { create, toBinary } from "@bufbuild/protobuf";
import { type Any, anyPack } from "@bufbuild/protobuf/wkt";
import type { ConnectError } from "@connectrpc/connect";
import { Metadata, type StatusObject } from "@grpc/grpc-js";
import { StatusSchema } from "../../gen/ts/google/rpc/status_pb.js";

/** The trailer that carries a google.rpc.Status with the error details, read by every gRPC client. */
export const STATUS_DETAILS_KEY = "grpc-status-details-bin";

/** A ConnectError as the gRPC status grpc-js sends: code, message and the details trailer. */
export function grpcStatusFromConnectError(error: ConnectError): StatusObject {
  const details: Any[] = error.details.map((detail) =>
    "desc" in detail
      ? anyPack(detail.desc, create(detail.desc, detail.value))
      : { $typeName: "google.protobuf.Any", typeUrl: `type.googleapis.com/${detail.type}`, value: detail.value },
  );
  const metadata = new Metadata();
  if (details.length > 0) {
    const status = create(StatusSchema, { code: error.code, message: error.rawMessage, details });
    metadata.set(STATUS_DETAILS_KEY, Buffer.from(toBinary(StatusSchema, status)));
  }
  return { code: error.code as number, details: error.rawMessage, metadata };
}

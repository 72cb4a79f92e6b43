import { create } from "@bufbuild/protobuf";
import { type Any, anyPack } from "@bufbuild/protobuf/wkt";
import type { ConnectError } from "@connectrpc/connect";
import { type Status, StatusSchema } from "../../gen/ts/google/rpc/status_pb.js";

/**
 * A ConnectError as a google.rpc.Status: its code, message and every detail packed in an Any.
 * The gRPC port sends this in `grpc-status-details-bin`, and BatchTransition returns it per failed
 * item, so both are decoded by the same client code (grpcio-status, `status.FromProto` in Go).
 */
export function rpcStatusFromConnectError(error: ConnectError): Status {
  const details: Any[] = error.details.map((detail) =>
    "desc" in detail
      ? anyPack(detail.desc, create(detail.desc, detail.value))
      : { $typeName: "google.protobuf.Any", typeUrl: `type.googleapis.com/${detail.type}`, value: detail.value },
  );
  return create(StatusSchema, { code: error.code, message: error.rawMessage, details });
}

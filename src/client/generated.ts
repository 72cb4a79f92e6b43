// The generated code a client needs, re-exported so that `pynenc-status/client` is all an
// application imports: the service, its messages and enums, and the error details it sends.
export {
  type BadRequest,
  BadRequestSchema,
  type ErrorInfo,
  ErrorInfoSchema,
  type PreconditionFailure,
  PreconditionFailureSchema,
} from "../../gen/ts/google/rpc/error_details_pb.js";
export { type Status, StatusSchema } from "../../gen/ts/google/rpc/status_pb.js";
export * from "../../gen/ts/pynenc/status/v1/status_pb.js";

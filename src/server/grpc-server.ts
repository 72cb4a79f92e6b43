import * as grpc from "@grpc/grpc-js";
import { ReflectionService } from "@grpc/reflection";
import { file_google_rpc_error_details } from "../../gen/ts/google/rpc/error_details_pb.js";
import { file_google_rpc_status } from "../../gen/ts/google/rpc/status_pb.js";
import { file_grpc_reflection_v1_reflection } from "../../gen/ts/grpc/reflection/v1/reflection_pb.js";
import { file_grpc_reflection_v1alpha_reflection } from "../../gen/ts/grpc/reflection/v1alpha/reflection_pb.js";
import { file_health_v1_health } from "../../gen/ts/health/v1/health_pb.js";
import { file_pynenc_status_v1_status, StatusService } from "../../gen/ts/pynenc/status/v1/status_pb.js";
import type { StatusServiceHandlers } from "../service/status-service.js";
import { grpcCallLogInterceptor } from "./call-log.js";
import { SERVE_DEFAULTS } from "./defaults.js";
import { createGrpcCallStreams } from "./grpc-call-streams.js";
import { grpcServiceFromHandlers } from "./grpc-handlers.js";
import { requestDeadlineInterceptor } from "./grpc-request-deadline.js";
import type { Logger } from "./logger.js";
import { reflectionPackageDefinition } from "./reflection-descriptors.js";
import { ServingHealth } from "./serving-health.js";

/** Options of the gRPC port; each defaults to SERVE_DEFAULTS. */
export interface GrpcServerOptions {
  /** Largest message accepted, in bytes (gRPC's default is 4 MiB). */
  readonly maxMessageBytes?: number;
  /** TLS (or mutual TLS) for every service of the port; plaintext without it. */
  readonly credentials?: grpc.ServerCredentials;
  /** The server pings each connection this often... */
  readonly keepaliveMs?: number;
  /** ...and closes it when the answer takes longer than this. */
  readonly keepaliveTimeoutMs?: number;
  /** A connection with no call open for this long is closed. */
  readonly maxConnectionIdleMs?: number;
  /** A connection is asked to go away after this long (±10%), so clients spread over replicas again... */
  readonly maxConnectionAgeMs?: number;
  /** ...and closed this long after that, whatever is still open on it. */
  readonly maxConnectionAgeGraceMs?: number;
  /** Calls open at once on one connection (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS). */
  readonly maxConcurrentStreams?: number;
  /** A call's request must arrive in full within this long of its headers. */
  readonly requestTimeoutMs?: number;
  /** A watch cut off as too slow has its stream reset if its client has not read up to the error by then. */
  readonly watchCutOffGraceMs?: number;
}

/** The gRPC port: the status service, grpc.health.v1.Health and server reflection (v1 and v1alpha). */
export interface GrpcServer {
  readonly server: grpc.Server;
  readonly health: ServingHealth;
  /** Bind and start; resolves to the bound port. */
  listen(host: string, port: number): Promise<number>;
}

/** Create the gRPC server around the service handlers. */
export function createGrpcServer(
  handlers: StatusServiceHandlers,
  logger: Logger,
  options: GrpcServerOptions = {},
): GrpcServer {
  const D = SERVE_DEFAULTS;
  const maxMessageBytes = options.maxMessageBytes ?? D.maxMessageBytes;
  const streams = createGrpcCallStreams();
  const server = new grpc.Server({
    "grpc.max_receive_message_length": maxMessageBytes,
    "grpc.max_send_message_length": maxMessageBytes,
    // Let long watches live: clients may ping (no more than every 5 s), and idle progress marks
    // keep the stream busy.
    "grpc.keepalive_permit_without_calls": 1,
    "grpc.http2.min_ping_interval_without_data_ms": 5_000,
    // Pings find dead peers, and connections nghttp2 has stopped reading (after a rapid-reset
    // flood it sends GOAWAY and reads no more, but the socket stays open until someone closes it).
    // grpc-js servers do not police how often clients ping; nghttp2 bounds a flood of them.
    "grpc.keepalive_time_ms": options.keepaliveMs ?? D.keepaliveMs,
    "grpc.keepalive_timeout_ms": options.keepaliveTimeoutMs ?? D.keepaliveTimeoutMs,
    "grpc.max_connection_idle_ms": options.maxConnectionIdleMs ?? D.maxConnectionIdleMs,
    "grpc.max_connection_age_ms": options.maxConnectionAgeMs ?? D.maxConnectionAgeMs,
    "grpc.max_connection_age_grace_ms": options.maxConnectionAgeGraceMs ?? D.maxConnectionAgeGraceMs,
    "grpc.max_concurrent_streams": options.maxConcurrentStreams ?? D.maxConcurrentStreams,
    interceptors: [
      // First: it must see the call grpc-js makes for the stream.
      streams.interceptor,
      requestDeadlineInterceptor(options.requestTimeoutMs ?? D.requestTimeoutMs, streams),
      // At --log-level debug, one line per call; otherwise nothing to pay per call.
      ...(logger.enabled("debug") ? [grpcCallLogInterceptor(logger)] : []),
    ],
  });
  const { definition, implementation } = grpcServiceFromHandlers(StatusService, handlers, logger, {
    streams,
    cutOffGraceMs: options.watchCutOffGraceMs ?? D.watchCutOffGraceMs,
  });
  server.addService(definition, implementation);
  const health = new ServingHealth({ "": "NOT_SERVING", [StatusService.typeName]: "NOT_SERVING" });
  health.addToServer(server);
  // Error details and the standard services are described too, so grpcurl decodes ErrorInfo and
  // calls Health and reflection itself with no proto file.
  const described = [
    file_pynenc_status_v1_status,
    file_google_rpc_error_details,
    file_google_rpc_status,
    file_health_v1_health,
    file_grpc_reflection_v1_reflection,
    file_grpc_reflection_v1alpha_reflection,
  ];
  new ReflectionService(reflectionPackageDefinition(described)).addToServer(server);
  return {
    server,
    health,
    listen: (host, port) =>
      listenWith(server, host, port, options.credentials ?? grpc.ServerCredentials.createInsecure()),
  };
}

/** Bind a grpc-js server to HOST:PORT without TLS and start it; resolves to the bound port. */
export function listenInsecure(server: grpc.Server, host: string, port: number): Promise<number> {
  return listenWith(server, host, port, grpc.ServerCredentials.createInsecure());
}

/** Bind a grpc-js server to HOST:PORT with these credentials; resolves to the bound port. */
function listenWith(
  server: grpc.Server,
  host: string,
  port: number,
  credentials: grpc.ServerCredentials,
): Promise<number> {
  const address = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
  return new Promise((resolve, reject) => {
    server.bindAsync(address, credentials, (error, boundPort) => (error ? reject(error) : resolve(boundPort)));
  });
}

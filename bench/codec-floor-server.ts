import { fromBinary } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import * as grpc from "@grpc/grpc-js";
import { HealthImplementation } from "grpc-health-check";
import {
  InvocationStatus,
  StatusService,
  type TransitionRequest,
  TransitionRequestSchema,
  type TransitionResponse,
  TransitionResponseSchema,
} from "../gen/ts/pynenc/status/v1/status_pb.js";
import { encodeMessage } from "../src/server/grpc-handlers.js";
import { createGrpcServer, listenInsecure } from "../src/server/grpc-server.js";
import { createLogger } from "../src/server/logger.js";
import type { StatusServiceHandlers } from "../src/service/status-service.js";

/**
 * The floor under a Transition: a Transition that validates nothing and stores nothing, answered
 * with a response of the real shape. `node --import tsx bench/codec-floor-server.ts PORT [PART]`;
 * prints `listening on ADDRESS`.
 *
 * PART `adapter` (default) serves it through the real gRPC port (grpc-js, our adapter, protobuf-es
 * decoding the request and encoding the response). The others serve it on a bare grpc-js method, to
 * split that cost: `none` answers bytes encoded once at start without decoding the request,
 * `decode` decodes every request, `encode` encodes every response, `both` does both.
 */
const PARTS = ["adapter", "none", "decode", "encode", "both"] as const;
type Part = (typeof PARTS)[number];

let revision = 0n;
// A message literal, as the service builds its responses.
function respond(
  request: Pick<TransitionRequest, "invocationId" | "status" | "runnerId" | "taskId">,
): TransitionResponse {
  return {
    $typeName: "pynenc.status.v1.TransitionResponse",
    record: {
      $typeName: "pynenc.status.v1.StatusRecord",
      invocationId: request.invocationId,
      status: request.status,
      runnerId: request.runnerId,
      timestamp: timestampNow(),
      revision: ++revision,
      taskId: request.taskId,
      namespace: "",
      registeredAt: timestampNow(),
    },
    previousStatus: request.status === InvocationStatus.REGISTERED ? undefined : InvocationStatus.REGISTERED,
    validatedOnly: false,
  };
}

function encode(message: TransitionResponse): Buffer {
  return encodeMessage(TransitionResponseSchema, message);
}

/** A bare grpc-js server whose Transition does only the given parts of the codec's work. */
function bareServer(part: Exclude<Part, "adapter">): grpc.Server {
  const decodes = part === "decode" || part === "both";
  const encodes = part === "encode" || part === "both";
  const sample = {
    invocationId: "bench-000001-1",
    status: InvocationStatus.PENDING,
    runnerId: "runner-1",
    taskId: "bench.task",
  };
  const fixed = encode(respond(sample));
  const server = new grpc.Server();
  const transition: grpc.MethodDefinition<Buffer, TransitionResponse | undefined> = {
    path: `/${StatusService.typeName}/${StatusService.method.transition.name}`,
    requestStream: false,
    responseStream: false,
    requestSerialize: (bytes) => bytes,
    requestDeserialize: (bytes) => bytes,
    responseSerialize: (message) => (message === undefined ? fixed : encode(message)),
    responseDeserialize: () => undefined,
  };
  server.addService({ transition } as grpc.ServiceDefinition, {
    transition(
      call: grpc.ServerUnaryCall<Buffer, unknown>,
      callback: grpc.sendUnaryData<TransitionResponse | undefined>,
    ) {
      const request = decodes ? fromBinary(TransitionRequestSchema, call.request) : sample;
      callback(null, encodes ? respond(request) : undefined);
    },
  });
  return server;
}

const part = (process.argv[3] ?? "adapter") as Part;
if (!PARTS.includes(part)) throw new Error(`PART must be one of ${PARTS.join(", ")}`);
let server: grpc.Server;
let port: number;
if (part === "adapter") {
  const handlers: Pick<StatusServiceHandlers, "transition"> = { transition: async (request) => respond(request) };
  const grpcServer = createGrpcServer(handlers as StatusServiceHandlers, createLogger("warn"));
  port = await grpcServer.listen("127.0.0.1", Number(process.argv[2] ?? 0));
  grpcServer.health.setStatus("", "SERVING");
  server = grpcServer.server;
} else {
  server = bareServer(part);
  // The same no-op as everywhere else: the gRPC team's health service.
  new HealthImplementation({ "": "SERVING" }).addToServer(server);
  port = await listenInsecure(server, "127.0.0.1", Number(process.argv[2] ?? 0));
}
console.log(`listening on 127.0.0.1:${port}`);
process.once("SIGTERM", () => server.tryShutdown(() => process.exit(0)));

import { timestampNow } from "@bufbuild/protobuf/wkt";
import { InvocationStatus, type TransitionRequest, type TransitionResponse } from "../gen/ts/pynenc/status/v1/status_pb.js";
import { createGrpcServer } from "../src/server/grpc-server.js";
import { createLogger } from "../src/server/logger.js";
import type { StatusServiceHandlers } from "../src/service/status-service.js";

/**
 * The floor under a Transition: the real gRPC port (grpc-js, our adapter, protobuf-es decoding the
 * request and encoding a response of the same shape) with a Transition that validates nothing and
 * stores nothing. `node --import tsx bench/codec-floor-server.ts PORT`; prints `listening on ADDRESS`.
 */
let revision = 0n;
const handlers: Pick<StatusServiceHandlers, "transition"> = {
  // Message literals, as the service builds its responses.
  async transition(request: TransitionRequest): Promise<TransitionResponse> {
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
      },
      previousStatus: request.status === InvocationStatus.REGISTERED ? undefined : InvocationStatus.REGISTERED,
    };
  },
};
const server = createGrpcServer(handlers as StatusServiceHandlers, createLogger("warn"));
const port = await server.listen("127.0.0.1", Number(process.argv[2] ?? 0));
server.health.setStatus("", "SERVING");
console.log(`listening on 127.0.0.1:${port}`);
process.once("SIGTERM", () => server.server.tryShutdown(() => process.exit(0)));

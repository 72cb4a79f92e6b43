import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { type ConnectRouter, cors as connectCors } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import type { ServingStatus } from "grpc-health-check";
import { StatusService } from "../../gen/ts/pynenc/status/v1/status_pb.js";
import { ANONYMOUS_PRINCIPAL, serviceImplFromHandlers } from "../service/service-handlers.js";
import type { StatusServiceHandlers } from "../service/status-service.js";
import { connectCallLogInterceptor, peerContextValues } from "./call-log.js";
import { connectErrorInterceptor } from "./connect-error-interceptor.js";
import { SERVE_DEFAULTS } from "./defaults.js";
import type { HttpPages } from "./http-pages.js";
import type { Logger } from "./logger.js";

/** Options of the HTTP port. */
export interface HttpServerOptions {
  readonly maxMessageBytes?: number;
  /** At debug level, one line per call. */
  readonly logger?: Logger;
  /** What `GET /healthz` answers: 200 with SERVING, else 503 with the status (default SERVING). */
  readonly servingStatus?: () => ServingStatus;
  /** A step before Connect that answers the requests that are not RPCs (/metrics, the dashboard). */
  readonly pages?: HttpPages;
}

/** The path of the HTTP health check, for load balancers and probes that do not speak gRPC. */
export const HEALTHZ_PATH = "/healthz";

/** The HTTP port: Connect (JSON and binary) and gRPC-Web, with CORS for browsers, after its pages. */
export interface HttpServer {
  readonly server: http.Server;
  listen(host: string, port: number): Promise<number>;
  /** Stop accepting; calls in flight get `graceMs` to finish before their connections are cut. */
  close(graceMs?: number): Promise<void>;
}

const CORS_HEADERS = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": connectCors.allowedMethods.join(", "),
  "access-control-allow-headers": connectCors.allowedHeaders.join(", "),
  "access-control-expose-headers": connectCors.exposedHeaders.join(", "),
  "access-control-max-age": "7200",
};

/** Create the HTTP server around the same handlers as the gRPC port. */
export function createHttpServer(handlers: StatusServiceHandlers, options: HttpServerOptions = {}): HttpServer {
  const maxMessageBytes = options.maxMessageBytes ?? SERVE_DEFAULTS.maxMessageBytes;
  const { logger, servingStatus = () => "SERVING" } = options;
  const logCalls = logger?.enabled("debug") === true;
  const connectHandler = connectNodeAdapter({
    routes: (router: ConnectRouter) =>
      router.service(
        StatusService,
        serviceImplFromHandlers(StatusService, handlers, (context) => ({
          signal: context.signal,
          principal: ANONYMOUS_PRINCIPAL,
          protocol:
            context.protocolName === "grpc-web" ? "grpc-web" : context.protocolName === "grpc" ? "grpc" : "connect",
        })),
      ),
    // The call log is outermost: it sees the codes the error boundary gives.
    interceptors: logCalls ? [connectCallLogInterceptor(logger!), connectErrorInterceptor] : [connectErrorInterceptor],
    contextValues: logCalls ? peerContextValues : undefined,
    readMaxBytes: maxMessageBytes,
    writeMaxBytes: maxMessageBytes,
  });
  const server = http.createServer((request, response) => {
    for (const [name, value] of Object.entries(CORS_HEADERS)) response.setHeader(name, value);
    if (request.method === "OPTIONS") {
      response.writeHead(204).end();
      return;
    }
    if (request.url?.split("?")[0] === HEALTHZ_PATH && (request.method === "GET" || request.method === "HEAD")) {
      const status = servingStatus();
      response.writeHead(status === "SERVING" ? 200 : 503, { "content-type": "text/plain; charset=utf-8" });
      response.end(request.method === "GET" ? `${status}\n` : undefined);
      return;
    }
    if (options.pages?.(request, response)) return;
    connectHandler(request, response);
  });
  return {
    server,
    listen(host, port) {
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          resolve((server.address() as AddressInfo).port);
        });
      });
    },
    close(graceMs = 0) {
      return new Promise((resolve) => {
        const timer = setTimeout(() => server.closeAllConnections(), graceMs);
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        server.closeIdleConnections();
      });
    },
  };
}

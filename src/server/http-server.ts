import * as http from "node:http";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import { type ConnectRouter, createContextKey, createContextValues } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import type { ServingStatus } from "grpc-health-check";
import { StatusService } from "../../gen/ts/pynenc/status/v1/status_pb.js";
import { ANONYMOUS_PRINCIPAL, serviceImplFromHandlers } from "../service/service-handlers.js";
import type { StatusServiceHandlers } from "../service/status-service.js";
import { HttpCallCredentials } from "./call-credentials.js";
import { connectCallLogInterceptor, peerContextValues } from "./call-log.js";
import { connectErrorInterceptor } from "./connect-error-interceptor.js";
import { answerCors, type CorsAllowOrigins } from "./cors-policy.js";
import { SERVE_DEFAULTS } from "./defaults.js";
import type { HttpPages } from "./http-pages.js";
import type { Logger } from "./logger.js";
import type { TlsMaterial } from "./tls/tls-material.js";

/** Options of the HTTP port. */
export interface HttpServerOptions {
  readonly maxMessageBytes?: number;
  /** At debug level, one line per call. */
  readonly logger?: Logger;
  /** What `GET /healthz` answers: 200 with SERVING, else 503 with the status (default SERVING). */
  readonly servingStatus?: () => ServingStatus;
  /** A step before Connect that answers the requests that are not RPCs (/metrics, the dashboard). */
  readonly pages?: HttpPages;
  /** HTTPS (HTTP/1.1 over TLS; mutual TLS with a client CA); plain HTTP without it. */
  readonly tls?: TlsMaterial;
  /** Origins browsers may call from (`--cors-allow-origin`); none by default. */
  readonly corsAllowOrigins?: CorsAllowOrigins;
}

/** The path of the HTTP health check, for load balancers and probes that do not speak gRPC. */
export const HEALTHZ_PATH = "/healthz";

/** The HTTP port: Connect (JSON and binary) and gRPC-Web, with CORS for the origins allowed, after its pages. */
export interface HttpServer {
  readonly server: http.Server | https.Server;
  listen(host: string, port: number): Promise<number>;
  /** Serve new connections with this TLS material (a server started with TLS only). */
  updateTls(material: TlsMaterial): void;
  /** Stop accepting; calls in flight get `graceMs` to finish before their connections are cut. */
  close(graceMs?: number): Promise<void>;
}

/** The Node request of a Connect call, for the credentials its socket carries. */
const NODE_REQUEST = createContextKey<http.IncomingMessage | undefined>(undefined);

/** The TLS options of the port: the server's pair, and the client CA that mutual TLS requires. */
function secureContextOptions(material: TlsMaterial) {
  return { cert: material.cert, key: material.key, ca: material.clientCa };
}

/** Create the HTTP server around the same handlers as the gRPC port. */
export function createHttpServer(handlers: StatusServiceHandlers, options: HttpServerOptions = {}): HttpServer {
  const maxMessageBytes = options.maxMessageBytes ?? SERVE_DEFAULTS.maxMessageBytes;
  const { logger, servingStatus = () => "SERVING" } = options;
  const logCalls = logger?.enabled("debug") === true;
  const corsAllowOrigins = options.corsAllowOrigins ?? [];
  const connectHandler = connectNodeAdapter({
    routes: (router: ConnectRouter) =>
      router.service(
        StatusService,
        serviceImplFromHandlers(StatusService, handlers, (context) => ({
          signal: context.signal,
          principal: ANONYMOUS_PRINCIPAL,
          protocol:
            context.protocolName === "grpc-web" ? "grpc-web" : context.protocolName === "grpc" ? "grpc" : "connect",
          credentials: new HttpCallCredentials(context.requestHeader, context.values.get(NODE_REQUEST)),
        })),
      ),
    // The call log is outermost: it sees the codes the error boundary gives.
    interceptors: logCalls ? [connectCallLogInterceptor(logger!), connectErrorInterceptor] : [connectErrorInterceptor],
    readMaxBytes: maxMessageBytes,
    writeMaxBytes: maxMessageBytes,
    contextValues: (request) =>
      (logCalls ? peerContextValues(request) : createContextValues()).set(
        NODE_REQUEST,
        request as http.IncomingMessage,
      ),
  });
  // The request pipeline: CORS, the health check, the pages (/metrics, the dashboard), then the
  // Connect and gRPC-Web routes.
  const onRequest = (request: http.IncomingMessage, response: http.ServerResponse) => {
    if (answerCors(request, response, corsAllowOrigins)) return;
    if (request.url?.split("?")[0] === HEALTHZ_PATH && (request.method === "GET" || request.method === "HEAD")) {
      const status = servingStatus();
      response.writeHead(status === "SERVING" ? 200 : 503, { "content-type": "text/plain; charset=utf-8" });
      response.end(request.method === "GET" ? `${status}\n` : undefined);
      return;
    }
    if (options.pages?.(request, response)) return;
    connectHandler(request, response);
  };
  const { tls } = options;
  const server =
    tls === undefined
      ? http.createServer(onRequest)
      : https.createServer(
          { ...secureContextOptions(tls), requestCert: tls.clientCa !== undefined, rejectUnauthorized: true },
          onRequest,
        );
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
    updateTls(material) {
      if (!(server instanceof https.Server)) throw new Error("this HTTP port was started without TLS");
      server.setSecureContext(secureContextOptions(material));
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

import * as http from "node:http";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import { createConnectRouter, createContextKey, createContextValues } from "@connectrpc/connect";
import type { UniversalHandler } from "@connectrpc/connect/protocol";
import {
  compressionBrotli,
  compressionGzip,
  universalRequestFromNodeRequest,
  universalResponseToNodeResponse,
} from "@connectrpc/connect-node";
import type { ServingStatus } from "grpc-health-check";
import { StatusService } from "../../gen/ts/pynenc/status/v1/status_pb.js";
import { ANONYMOUS_PRINCIPAL, STREAM_CUT_OFF, serviceImplFromHandlers } from "../service/service-handlers.js";
import type { StatusServiceHandlers } from "../service/status-service.js";
import { HttpCallCredentials } from "./call-credentials.js";
import { connectCallLogInterceptor, peerContextValues } from "./call-log.js";
import { createConnectErrorInterceptor } from "./connect-error-interceptor.js";
import { answerCors, type CorsAllowOrigins } from "./cors-policy.js";
import { SERVE_DEFAULTS } from "./defaults.js";
import type { HttpPages } from "./http-pages.js";
import { createLogger, type Logger } from "./logger.js";
import { strictJsonBody } from "./strict-json-body.js";
import type { TlsMaterial } from "./tls/tls-material.js";

/** Options of the HTTP port; each defaults to SERVE_DEFAULTS. */
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
  /** The request headers must arrive within this long. */
  readonly headersTimeoutMs?: number;
  /** The whole request (headers and body) must arrive within this long; a response may take longer. */
  readonly requestTimeoutMs?: number;
  /** A kept-alive connection waits this long for its next request. */
  readonly keepAliveTimeoutMs?: number;
  /** A connection with nothing read or written for this long is closed (an open watch is never idle). */
  readonly idleTimeoutMs?: number;
  /** A watch cut off as too slow has its connection closed if its client has not read up to the error by then. */
  readonly watchCutOffGraceMs?: number;
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

/** JSON requests, and whether their messages come in envelopes (streams, gRPC-Web) or bare (Connect unary). */
const JSON_CONTENT_TYPE = /^application\/(json|connect\+json|grpc-web\+json)\s*(;|$)/i;

/** Whether a request's body is JSON that Connect would read leniently: uncompressed JSON. */
function jsonBodyKind(request: http.IncomingMessage): "bare" | "enveloped" | undefined {
  const match = JSON_CONTENT_TYPE.exec(request.headers["content-type"] ?? "");
  const encoding = request.headers["content-encoding"];
  if (match === null || (encoding !== undefined && encoding !== "identity")) return undefined;
  return match[1]!.toLowerCase() === "json" ? "bare" : "enveloped";
}

/**
 * Create the HTTP server around the same handlers as the gRPC port. Connect's router serves the
 * calls, under the service's error boundary; around it this port answers CORS, the health check
 * and its pages, checks JSON requests strictly (strict-json-body.ts), gives a cut-off stream's
 * client a short grace to read its error before the connection is dropped, and bounds how long a
 * connection may take to send or sit idle.
 */
export function createHttpServer(handlers: StatusServiceHandlers, options: HttpServerOptions = {}): HttpServer {
  const D = SERVE_DEFAULTS;
  const maxMessageBytes = options.maxMessageBytes ?? D.maxMessageBytes;
  const { servingStatus = () => "SERVING" } = options;
  const logger = options.logger ?? createLogger("error");
  const logCalls = logger.enabled("debug");
  const corsAllowOrigins = options.corsAllowOrigins ?? [];
  const errorBoundary = createConnectErrorInterceptor(logger);
  const router = createConnectRouter({
    // The call log is outermost: it sees the codes the error boundary gives.
    interceptors: logCalls ? [connectCallLogInterceptor(logger), errorBoundary] : [errorBoundary],
    readMaxBytes: maxMessageBytes,
    writeMaxBytes: maxMessageBytes,
    acceptCompression: [compressionGzip, compressionBrotli],
    // The proto3 JSON mapping's default (Connect's is to ignore unknown keys and enum names).
    jsonOptions: { ignoreUnknownFields: false },
  });
  router.service(
    StatusService,
    serviceImplFromHandlers(StatusService, handlers, (context) => ({
      signal: context.signal,
      principal: ANONYMOUS_PRINCIPAL,
      protocol: context.protocolName === "grpc-web" ? "grpc-web" : context.protocolName === "grpc" ? "grpc" : "connect",
      credentials: new HttpCallCredentials(context.requestHeader, context.values.get(NODE_REQUEST)),
      values: context.values,
    })),
  );
  const routes = new Map<string, UniversalHandler>(router.handlers.map((h) => [h.requestPath, h]));

  /** A cut-off stream's error goes out behind what the client has not read; if it has not read it soon, drop the connection. */
  const cutOffGraceMs = options.watchCutOffGraceMs ?? D.watchCutOffGraceMs;
  const cutOffFor = (request: http.IncomingMessage, response: http.ServerResponse) => () => {
    const timer = setTimeout(() => request.socket.destroy(), cutOffGraceMs);
    response.once("close", () => clearTimeout(timer));
  };

  // The request pipeline: CORS, the health check, the pages (/metrics, the dashboard), then the
  // Connect and gRPC-Web routes.
  const onRequest = (request: http.IncomingMessage, response: http.ServerResponse) => {
    if (answerCors(request, response, corsAllowOrigins)) return;
    const path = request.url?.split("?", 2)[0] ?? "";
    if (path === HEALTHZ_PATH && (request.method === "GET" || request.method === "HEAD")) {
      const status = servingStatus();
      response.writeHead(status === "SERVING" ? 200 : 503, { "content-type": "text/plain; charset=utf-8" });
      response.end(request.method === "GET" ? `${status}\n` : undefined);
      return;
    }
    if (options.pages?.(request, response)) return;
    const handler = routes.get(path);
    if (handler === undefined) {
      response.writeHead(404).end();
      return;
    }
    const values = (logCalls ? peerContextValues(request) : createContextValues())
      .set(NODE_REQUEST, request)
      .set(STREAM_CUT_OFF, cutOffFor(request, response));
    const universal = universalRequestFromNodeRequest(request, response, undefined, values);
    const kind = jsonBodyKind(request);
    const body =
      kind === undefined
        ? universal.body
        : strictJsonBody(
            universal.body as AsyncIterable<Uint8Array>,
            handler.method.input,
            kind === "enveloped",
            maxMessageBytes,
          );
    handler({ ...universal, body })
      .then((answer) => universalResponseToNodeResponse(answer, response))
      .catch((error: unknown) => logger.debug("http response failed", { error, method: handler.method.name }));
  };

  const requestTimeout = options.requestTimeoutMs ?? D.requestTimeoutMs;
  const limits: http.ServerOptions = {
    // The headers are part of the request (Node refuses a longer headers timeout).
    headersTimeout: Math.min(options.headersTimeoutMs ?? D.httpHeadersTimeoutMs, requestTimeout),
    // Node's requestTimeout ends when the request is received, not when the response is: a long
    // watch is not cut by it.
    requestTimeout,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? D.httpKeepAliveTimeoutMs,
    // How often Node looks for requests past those timeouts (its default, 30 s, would add up to that).
    connectionsCheckingInterval: Math.min(1_000, requestTimeout),
  };
  const { tls } = options;
  const server =
    tls === undefined
      ? http.createServer(limits, onRequest)
      : https.createServer(
          {
            ...limits,
            ...secureContextOptions(tls),
            requestCert: tls.clientCa !== undefined,
            rejectUnauthorized: true,
          },
          onRequest,
        );
  server.timeout = options.idleTimeoutMs ?? D.httpIdleTimeoutMs;
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

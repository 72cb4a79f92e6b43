import { createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { StatusService } from "../../gen/ts/pynenc/status/v1/status_pb.js";
import { baseUrlFromAddress } from "./base-url.js";
import type { StatusClient } from "./status-client-type.js";

export type { StatusClient } from "./status-client-type.js";

/** TLS to a server started with `--tls-cert` (and `--tls-client-ca`): PEM contents, not paths. */
export interface StatusClientTls {
  /** The CA that signed the server's certificate (default: the system's CAs). */
  readonly ca?: string | Buffer;
  /** The client certificate (chain) for mutual TLS, with its key. */
  readonly cert?: string | Buffer;
  readonly key?: string | Buffer;
}

/** How a Node client reaches the server. */
export interface StatusClientOptions {
  /**
   * `grpc` (default): gRPC over HTTP/2, to the gRPC port (`--listen`, 50051 by default).
   * `connect` or `grpc-web`: the Connect protocol or gRPC-Web over HTTP/1.1, to the HTTP port
   * (`--http-listen`, 8080 by default).
   */
  readonly transport?: "grpc" | "connect" | "grpc-web";
  /** Close a connection idle for this long, so that a script can exit (HTTP/2 keeps it otherwise). */
  readonly idleConnectionTimeoutMs?: number;
  /** Connect-ES interceptors, run on every call. */
  readonly interceptors?: Interceptor[];
  /** Sent as `authorization: Bearer TOKEN` on every call (a server with `--auth-principals` or `--auth-jwks`). */
  readonly token?: string;
  /** Speak TLS (the address becomes `https://`), with these certificates. */
  readonly tls?: StatusClientTls;
}

/** An interceptor that sends the bearer token with every call. */
function bearerToken(token: string): Interceptor {
  return (next) => (request) => {
    request.header.set("authorization", `Bearer ${token}`);
    return next(request);
  };
}

function transportFor(baseUrl: string, options: StatusClientOptions): Transport {
  const interceptors = [
    ...(options.token === undefined ? [] : [bearerToken(options.token)]),
    ...(options.interceptors ?? []),
  ];
  const nodeOptions =
    options.tls === undefined ? undefined : { ca: options.tls.ca, cert: options.tls.cert, key: options.tls.key };
  switch (options.transport ?? "grpc") {
    case "grpc":
      return createGrpcTransport({
        baseUrl,
        interceptors,
        idleConnectionTimeoutMs: options.idleConnectionTimeoutMs,
        nodeOptions,
      });
    case "connect":
      // The HTTP port is an HTTP/1.1 server (over TLS when it has a certificate).
      return createConnectTransport({ baseUrl, interceptors, httpVersion: "1.1", nodeOptions });
    case "grpc-web":
      return createGrpcWebTransport({ baseUrl, interceptors, httpVersion: "1.1", nodeOptions });
  }
}

/**
 * Create a client for the server at `address` (`HOST:PORT`, or a URL such as
 * `https://status.example.com`), over the port and protocol `options.transport` names.
 */
export function createStatusClient(address: string, options: StatusClientOptions = {}): StatusClient {
  return createClient(StatusService, transportFor(baseUrlFromAddress(address, options.tls !== undefined), options));
}

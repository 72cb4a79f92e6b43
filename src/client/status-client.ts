import { type Client, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { StatusService } from "../../gen/ts/pynenc/status/v1/status_pb.js";
import { baseUrlFromAddress } from "./base-url.js";

/** A client of pynenc.status.v1.StatusService, one method per RPC. */
export type StatusClient = Client<typeof StatusService>;

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
}

function transportFor(baseUrl: string, options: StatusClientOptions): Transport {
  const interceptors = options.interceptors ?? [];
  switch (options.transport ?? "grpc") {
    case "grpc":
      return createGrpcTransport({ baseUrl, interceptors, idleConnectionTimeoutMs: options.idleConnectionTimeoutMs });
    case "connect":
      // The HTTP port is an HTTP/1.1 server.
      return createConnectTransport({ baseUrl, interceptors, httpVersion: "1.1" });
    case "grpc-web":
      return createGrpcWebTransport({ baseUrl, interceptors, httpVersion: "1.1" });
  }
}

/**
 * Create a client for the server at `address` (`HOST:PORT`, or a URL such as
 * `https://status.example.com`), over the port and protocol `options.transport` names.
 */
export function createStatusClient(address: string, options: StatusClientOptions = {}): StatusClient {
  return createClient(StatusService, transportFor(baseUrlFromAddress(address), options));
}

import { createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import { StatusService } from "../../gen/ts/pynenc/status/v1/status_pb.js";
import { baseUrlFromAddress } from "./base-url.js";
import type { StatusClient } from "./status-client-type.js";

export * from "./generated.js";
export * from "./rpc-status-error.js";
// Only the type, from a module without Node: connect-node never reaches a browser bundle.
export type { StatusClient } from "./status-client-type.js";

/** How a browser client reaches the server's HTTP port (`--http-listen`); from another origin, the
 * server must allow it (`--cors-allow-origin`). */
export interface StatusClientOptions {
  /** `connect` (default): the Connect protocol; `grpc-web`: gRPC-Web. Browsers cannot speak gRPC. */
  readonly transport?: "connect" | "grpc-web";
  /** Connect-ES interceptors, run on every call. */
  readonly interceptors?: Interceptor[];
  /** Sent as `authorization: Bearer TOKEN` on every call (a server that authenticates). */
  readonly token?: string;
}

function transportFor(baseUrl: string, options: StatusClientOptions): Transport {
  const token = options.token;
  const authorization: Interceptor[] =
    token === undefined
      ? []
      : [
          (next) => (request) => {
            request.header.set("authorization", `Bearer ${token}`);
            return next(request);
          },
        ];
  const interceptors = [...authorization, ...(options.interceptors ?? [])];
  return options.transport === "grpc-web"
    ? createGrpcWebTransport({ baseUrl, interceptors })
    : createConnectTransport({ baseUrl, interceptors });
}

/**
 * Create a browser client (fetch, through @connectrpc/connect-web) for the server's HTTP port at
 * `address` (`HOST:PORT`, or a URL such as `https://status.example.com`).
 */
export function createStatusClient(address: string, options: StatusClientOptions = {}): StatusClient {
  return createClient(StatusService, transportFor(baseUrlFromAddress(address), options));
}

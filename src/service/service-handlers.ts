import type {
  DescMessage,
  DescMethod,
  DescMethodServerStreaming,
  DescMethodUnary,
  DescService,
  Message,
  MessageShape,
} from "@bufbuild/protobuf";
import { type ContextValues, createContextKey, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";

/**
 * What a port knows of who is calling, read only when the server authenticates (so a server that
 * authenticates nobody never parses a header or a certificate for it).
 */
export interface CallCredentials {
  /** The token of an `authorization: Bearer TOKEN` header (gRPC metadata or HTTP), if any. */
  bearerToken(): string | undefined;
  /** The CN of the client certificate the TLS handshake verified (mutual TLS), if any. */
  peerCommonName(): string | undefined;
  /** The peer's address, for logs. */
  peerAddress(): string;
}

/** What the handlers know of a call, whichever port it came through. */
export interface RpcContext {
  /** Aborted when the client goes away (or the call ends). */
  readonly signal: AbortSignal;
  /** Who calls, stored with every change it makes; ANONYMOUS_PRINCIPAL without authentication. */
  readonly principal: string;
  /** The wire protocol the call came in on (for metrics; the handlers do not depend on it). */
  readonly protocol?: RpcProtocol;
  /** The caller's credentials as the port received them; the server's access control reads them. */
  readonly credentials?: CallCredentials;
  /**
   * The port sends a response's encoding made ahead by its handler when there is one
   * (encoded-responses.ts), so large responses are worth encoding a slice at a time.
   */
  readonly sendsEncodingMadeAhead?: boolean;
  /** What the port passes on to handlers, such as STREAM_CUT_OFF. */
  readonly values?: ContextValues;
}

/** The protocols the server speaks: gRPC on the gRPC port; Connect and gRPC-Web on the HTTP port. */
export type RpcProtocol = "grpc" | "connect" | "grpc-web";

/** The principal of a call when the server authenticates nobody. */
export const ANONYMOUS_PRINCIPAL = "";

/**
 * Ends the call's stream now with `error`, even while the port is waiting for a slow client to read
 * what it sent: the port stops waiting, sends the error if the client reads again soon, and drops
 * the stream if it does not. For a handler that finds out from outside its own iteration (a watcher
 * whose buffer overflowed); its iteration then throws the same error, for a port that reads on.
 */
export type StreamCutOff = (error: Error) => void;

/** The port's StreamCutOff for the call (a port without one just reads the error on). */
export const STREAM_CUT_OFF = createContextKey<StreamCutOff>(() => {}, { description: "cut off the stream" });

/** The handler of a unary RPC: a complete response message, ready to encode. */
export type UnaryHandler<I extends DescMessage, O extends DescMessage> = (
  request: MessageShape<I>,
  context: RpcContext,
) => Promise<MessageShape<O>>;

/** The handler of a server-streaming RPC: complete response messages, ready to encode. */
export type ServerStreamingHandler<I extends DescMessage, O extends DescMessage> = (
  request: MessageShape<I>,
  context: RpcContext,
) => AsyncIterable<MessageShape<O>>;

/** The handler of one method, by its kind; a kind the server cannot serve has none (`never`). */
export type MethodHandler<M extends DescMethod> =
  M extends DescMethodUnary<infer I, infer O>
    ? UnaryHandler<I, O>
    : M extends DescMethodServerStreaming<infer I, infer O>
      ? ServerStreamingHandler<I, O>
      : never;

/**
 * The handlers of a service, derived from its descriptor: Connect's `ServiceImpl<S>`, narrowed to
 * what both ports need (complete messages out, an RpcContext in; serviceImplFromHandlers makes a
 * `ServiceImpl<S>` of it). An RPC added to the proto is a missing property until it has a
 * handler, and both ports serve the same map.
 */
export type ServiceHandlers<S extends DescService> = {
  readonly [K in keyof S["method"]]: MethodHandler<S["method"][K]>;
};

/** A method of a service and its handler, with the message types of the pair erased. */
export type BoundMethod =
  | {
      readonly kind: "unary";
      readonly method: DescMethod;
      readonly handler: (request: Message, context: RpcContext) => Promise<Message>;
    }
  | {
      readonly kind: "server_streaming";
      readonly method: DescMethod;
      readonly handler: (request: Message, context: RpcContext) => AsyncIterable<Message>;
    };

/**
 * Every method of `service`, in the descriptor's order, with its handler, for a transport that
 * decodes each request with its method's own descriptor. The handler map's type has one handler
 * per method (checked by the compiler), so the lookup by a method's local name never misses.
 */
export function boundMethods<S extends DescService>(service: S, handlers: ServiceHandlers<S>): BoundMethod[] {
  return service.methods.map((method): BoundMethod => {
    const handler = handlers[method.localName as keyof S["method"]];
    // The request is decoded with method.input and the response encoded with method.output, the
    // very descriptors the handler's types come from; a type cannot say that for a method picked
    // at run time, so the pair's message types are erased here, once.
    switch (method.methodKind) {
      case "unary":
        return { kind: "unary", method, handler: handler as UnaryHandler<DescMessage, DescMessage> };
      case "server_streaming":
        return {
          kind: "server_streaming",
          method,
          handler: handler as ServerStreamingHandler<DescMessage, DescMessage>,
        };
      default:
        // ServiceHandlers<S> makes such a handler `never`, so this is unreachable for a map that compiles.
        throw new Error(`${service.typeName}.${method.name}: ${method.methodKind} RPCs are not served`);
    }
  });
}

/**
 * The handlers as Connect's `ServiceImpl<S>`, for a Connect router: each call's HandlerContext
 * becomes the RpcContext `contextOf` makes of it.
 */
export function serviceImplFromHandlers<S extends DescService>(
  service: S,
  handlers: ServiceHandlers<S>,
  contextOf: (context: HandlerContext) => RpcContext,
): ServiceImpl<S> {
  const impl: Record<string, (request: Message, context: HandlerContext) => unknown> = {};
  for (const bound of boundMethods(service, handlers)) {
    impl[bound.method.localName] = (request, context) => bound.handler(request, contextOf(context));
  }
  // One function per method of the descriptor, each calling that method's own handler.
  return impl as unknown as ServiceImpl<S>;
}

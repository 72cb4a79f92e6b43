import type { DescService, Message } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { connectErrorFrom } from "../service/errors.js";
import { type BoundMethod, boundMethods, type RpcContext, type ServiceHandlers } from "../service/service-handlers.js";
import { WatcherTooSlowError } from "../store/index.js";
import type { RpcLabel, ServerMetrics } from "./server-metrics.js";

/** A gRPC status code as go-grpc-prometheus labels it (`OK`, `InvalidArgument`, ...). */
function codeName(code: Code | undefined): string {
  return code === undefined ? "OK" : Code[code];
}

/** The series of one method on one protocol: started, duration, and handled per code (made on first use). */
function rpcSeries(metrics: ServerMetrics, labels: Record<RpcLabel, string>) {
  const handled = new Map<Code | undefined, ReturnType<ServerMetrics["rpcHandled"]["labels"]>>();
  return {
    started: metrics.rpcStarted.labels(labels),
    seconds: metrics.rpcSeconds.labels(labels),
    handled(code: Code | undefined) {
      let child = handled.get(code);
      if (child === undefined) {
        child = metrics.rpcHandled.labels({ ...labels, grpc_code: codeName(code) });
        handled.set(code, child);
      }
      return child;
    },
  };
}

/** What kind of message a watch stream sent, for pynenc_status_watch_events_sent_total. */
function eventKind(message: Message): string {
  const event = (message as { event?: { case?: string; value?: { initial?: boolean } } }).event;
  if (event?.case === undefined) return "counts";
  return event.case === "change" && event.value?.initial === true ? "initial" : event.case;
}

/**
 * The handlers with every call measured: started, handled (by gRPC code) and its duration, by
 * method and by the protocol it came in on (RpcContext.protocol); streams also count as open
 * watchers, each message they send, and a watcher cut off as too slow. Both ports serve the
 * instrumented map, so gRPC, Connect and gRPC-Web calls are counted alike. A stream the client
 * ends counts as `Canceled`, as go-grpc-prometheus counts it.
 */
export function instrumentHandlers<S extends DescService>(
  service: S,
  handlers: ServiceHandlers<S>,
  metrics: ServerMetrics,
): ServiceHandlers<S> {
  const instrumented: Record<string, BoundMethod["handler"]> = {};
  for (const bound of boundMethods(service, handlers)) {
    const { method } = bound;
    const grpcType = bound.kind === "unary" ? "unary" : "server_stream";
    // The metrics' children per protocol, made once: a call then finds its series without
    // hashing its labels.
    const byProtocol = new Map<string, ReturnType<typeof rpcSeries>>();
    const seriesOf = (context: RpcContext) => {
      const protocol = context.protocol ?? "unknown";
      let series = byProtocol.get(protocol);
      if (series === undefined) {
        series = rpcSeries(metrics, {
          grpc_service: service.typeName,
          grpc_method: method.name,
          grpc_type: grpcType,
          protocol,
        });
        byProtocol.set(protocol, series);
      }
      return series;
    };
    if (bound.kind === "unary") {
      const { handler } = bound;
      instrumented[method.localName] = async (request, context) => {
        const series = seriesOf(context);
        series.started.inc();
        const started = performance.now();
        let code: Code | undefined;
        try {
          return await handler(request, context);
        } catch (error) {
          code = connectErrorFrom(error).code;
          throw error;
        } finally {
          series.seconds.observe((performance.now() - started) / 1000);
          series.handled(code).inc();
        }
      };
      continue;
    }
    const { handler } = bound;
    instrumented[method.localName] = async function* (request, context) {
      const series = seriesOf(context);
      series.started.inc();
      metrics.watchers.inc({ grpc_method: method.name });
      const started = performance.now();
      let code: Code | undefined = Code.Canceled;
      try {
        for await (const message of handler(request, context)) {
          metrics.watchEventsSent.inc({ grpc_method: method.name, event: eventKind(message) });
          yield message;
        }
        // A watch ends by itself only when its call was cancelled.
        code = context.signal.aborted ? Code.Canceled : undefined;
      } catch (error) {
        if (error instanceof WatcherTooSlowError) metrics.watchersTooSlow.inc();
        code = connectErrorFrom(error).code;
        throw error;
      } finally {
        series.seconds.observe((performance.now() - started) / 1000);
        metrics.watchers.dec({ grpc_method: method.name });
        series.handled(code).inc();
      }
    };
  }
  // One handler per method of the descriptor, each wrapping that method's own handler.
  return instrumented as unknown as ServiceHandlers<S>;
}

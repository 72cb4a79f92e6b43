import { create } from "@bufbuild/protobuf";
import { describe, expect, test } from "vitest";
import {
  StatusService,
  WatchStatusRequestSchema,
  type WatchStatusResponse,
  WatchStatusResponseSchema,
} from "../../gen/ts/pynenc/status/v1/status_pb.js";
import type { ServiceHandlers } from "../service/service-handlers.js";
import { WatcherTooSlowError } from "../store/index.js";
import { instrumentHandlers } from "./instrument-handlers.js";
import { createServerMetrics } from "./server-metrics.js";

const progress = create(WatchStatusResponseSchema, { event: { case: "progress", value: { revision: 1n } } });

/** Handlers whose WatchStatus sends one progress mark, then ends as `end` says. */
function handlersEnding(end: "ok" | "too-slow" | "error"): ServiceHandlers<typeof StatusService> {
  const handlers: Record<string, unknown> = {};
  for (const method of StatusService.methods) {
    handlers[method.localName] =
      method.methodKind === "unary"
        ? async () => {
            throw new Error("not used");
          }
        : async function* (): AsyncGenerator<WatchStatusResponse> {
            yield progress;
            if (end === "too-slow") throw new WatcherTooSlowError(1, 10);
            if (end === "error") throw new Error("boom");
          };
  }
  return handlers as unknown as ServiceHandlers<typeof StatusService>;
}

const cases = [
  { name: "a stream that ends by itself is OK", end: "ok", code: "OK", tooSlow: 0 },
  {
    name: "a watcher cut off as too slow is ResourceExhausted and counted",
    end: "too-slow",
    code: "ResourceExhausted",
    tooSlow: 1,
  },
  { name: "an unexpected error is Internal", end: "error", code: "Internal", tooSlow: 0 },
] as const;

describe("instrumentHandlers", () => {
  for (const c of cases) {
    test(c.name, async () => {
      const metrics = createServerMetrics();
      const handlers = instrumentHandlers(StatusService, handlersEnding(c.end), metrics);
      const context = { signal: new AbortController().signal, principal: "", protocol: "grpc" } as const;
      const received: unknown[] = [];
      try {
        for await (const message of handlers.watchStatus(create(WatchStatusRequestSchema), context))
          received.push(message);
      } catch {
        // The error reaches the port as it was thrown; only the metrics are checked here.
      }
      expect(received).toEqual([progress]);
      const labels = {
        grpc_service: StatusService.typeName,
        grpc_method: "WatchStatus",
        grpc_type: "server_stream",
        protocol: "grpc",
      };
      const value = async (name: string) => (await metrics.registry.getSingleMetric(name)!.get()).values;
      expect(await value("grpc_server_handled_total")).toEqual([
        { labels: { ...labels, grpc_code: c.code }, value: 1 },
      ]);
      expect((await value("pynenc_status_watchers_too_slow_total"))[0]?.value).toBe(c.tooSlow);
      expect((await value("pynenc_status_watchers"))[0]).toMatchObject({
        labels: { grpc_method: "WatchStatus" },
        value: 0,
      });
      expect(await value("pynenc_status_watch_events_sent_total")).toEqual([
        { labels: { grpc_method: "WatchStatus", event: "progress" }, value: 1 },
      ]);
    });
  }
});

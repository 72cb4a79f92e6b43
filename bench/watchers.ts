// A child process of the bench: N watchers on every change; reports whether each got all of them.
import * as grpc from "@grpc/grpc-js";
import type { WatchStatusResponse } from "../gen/ts/pynenc/status/v1/status_pb.js";
import { createGrpcJsClient } from "../test/helpers/grpc-js-client.js";

const [address, countText] = process.argv.slice(2) as [string, string];
const count = Number(countText);
const client = createGrpcJsClient(address);
const seen = Array.from({ length: count }, () => ({ changes: 0, last: 0, inOrder: true }));
let ready = 0;
const calls = seen.map((state) => {
  const call = (client as unknown as Record<string, (r: unknown) => grpc.ClientReadableStream<WatchStatusResponse>>).watchStatus!.call(
    client,
    {},
  );
  let started = false;
  call.on("data", (m: WatchStatusResponse) => {
    if (m.event.case === "progress" && !started) {
      started = true;
      if (++ready === count) process.send!({ ready: true });
    }
    if (m.event.case === "change") {
      const revision = Number(m.event.value.record!.revision);
      if (revision <= state.last) state.inOrder = false;
      state.last = revision;
      state.changes++;
    }
  });
  call.on("error", () => {});
  return call;
});

process.on("message", (message: { expected: number }) => {
  const deadline = Date.now() + 30_000;
  const check = () => {
    const complete = seen.filter((s) => s.changes === message.expected).length;
    if (complete === count || Date.now() > deadline) {
      process.send!({ complete, inOrder: seen.every((s) => s.inOrder), missing: count - complete });
      for (const call of calls) call.cancel();
      client.close();
      setTimeout(() => process.exit(0), 100);
    } else setTimeout(check, 50);
  };
  check();
});

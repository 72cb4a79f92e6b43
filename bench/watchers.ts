// A child process of the bench: N watchers on every change, each resuming after its last revision
// when the server cuts it off (too slow) exactly as a client should; reports whether each got
// every change once, in order, and how often it had to resume.
import * as grpc from "@grpc/grpc-js";
import type { WatchStatusResponse } from "../gen/ts/pynenc/status/v1/status_pb.js";
import { createGrpcJsClient } from "../test/helpers/grpc-js-client.js";

const [address, countText] = process.argv.slice(2) as [string, string];
const count = Number(countText);
const client = createGrpcJsClient(address);
type Watcher = {
  changes: number;
  last: number;
  inOrder: boolean;
  resumes: number;
  call?: grpc.ClientReadableStream<WatchStatusResponse>;
};
const watchers: Watcher[] = Array.from({ length: count }, () => ({ changes: 0, last: 0, inOrder: true, resumes: 0 }));
let ready = 0;
let stopping = false;

function watch(state: Watcher, startRevision: number): void {
  const call = (
    client as unknown as Record<string, (r: unknown) => grpc.ClientReadableStream<WatchStatusResponse>>
  ).watchStatus!.call(client, { startRevision: BigInt(startRevision) });
  state.call = call;
  let started = false;
  call.on("data", (m: WatchStatusResponse) => {
    if (m.event.case === "progress" && !started) {
      started = true;
      if (state.resumes === 0 && ++ready === count) process.send!({ ready: true });
    }
    if (m.event.case === "change") {
      const revision = Number(m.event.value.record!.revision);
      if (revision !== state.last + 1 && state.last !== 0) state.inOrder = false;
      state.last = revision;
      state.changes++;
    }
  });
  call.on("error", (error: grpc.ServiceError) => {
    if (stopping || error.code === grpc.status.CANCELLED) return;
    state.resumes++;
    // grpc-js reports the status before it hands over messages it still buffers: resume after them.
    setTimeout(() => watch(state, state.last + 1), 50);
  });
}

for (const state of watchers) watch(state, 0);

process.on("message", (message: { expected: number }) => {
  const started = Date.now();
  const check = () => {
    const complete = watchers.filter((s) => s.changes === message.expected).length;
    if (complete === count || Date.now() - started > 120_000) {
      stopping = true;
      process.send!({
        complete,
        inOrder: watchers.every((s) => s.inOrder),
        resumes: watchers.reduce((n, s) => n + s.resumes, 0),
        drainMs: Date.now() - started,
      });
      for (const state of watchers) state.call?.cancel();
      client.close();
      setTimeout(() => process.exit(0), 100);
    } else setTimeout(check, 50);
  };
  check();
});

// A child process of the bench: N open WatchCounts streams (50 open overview pages), each reading
// every update. Says when all have their first update; on "stop", ends them and reports how many
// updates they received.
import type * as grpc from "@grpc/grpc-js";
import type { WatchCountsResponse } from "../gen/ts/pynenc/status/v1/status_pb.js";
import { createGrpcJsClient } from "../test/helpers/grpc-js-client.js";

const [address, countText] = process.argv.slice(2) as [string, string];
const count = Number(countText);
const client = createGrpcJsClient(address);
const calls: Array<grpc.ClientReadableStream<WatchCountsResponse>> = [];
let ready = 0;
let updates = 0;

for (let i = 0; i < count; i++) {
  const call = (
    client as unknown as Record<string, (r: unknown) => grpc.ClientReadableStream<WatchCountsResponse>>
  ).watchCounts!.call(client, {});
  let first = true;
  call.on("data", () => {
    updates++;
    if (first) {
      first = false;
      if (++ready === count) process.send!({ ready: true });
    }
  });
  call.on("error", () => {});
  calls.push(call);
}

process.on("message", () => {
  for (const call of calls) call.cancel();
  process.send!({ updates });
  client.close();
  setTimeout(() => process.exit(0), 100);
});

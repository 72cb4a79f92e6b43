import { setPriority } from "node:os";
import { parentPort } from "node:worker_threads";
import { create, toBinary } from "@bufbuild/protobuf";
import { ListInvocationsResponseSchema } from "../../gen/ts/pynenc/status/v1/status_pb.js";
import { openSqlitePageReader, type SqlitePageReader } from "../store/sqlite/sqlite-page-reader.js";
import type { PageReply, PageRequest } from "./page-thread.js";
import { recordToProto } from "./proto-conversions.js";

// The page thread (page-thread.ts): one read-only connection per file, one page per message, each
// answered with its records encoded; the encoding's memory moves to the caller rather than being copied.

/** The page thread's nice value: 10 measured Get p99 3.5-4.0 ms beside 20 clients listing, 0 measured 4.0-4.8. */
const PAGE_THREAD_NICE = 10;

// Large pages are background work: when both want the CPU, the thread that answers calls goes first.
// On Linux a priority set with no pid is the calling thread's own (elsewhere it would be the process's).
if (process.platform === "linux") {
  try {
    setPriority(PAGE_THREAD_NICE);
  } catch {
    // Left at the process's priority.
  }
}

const readers = new Map<string, SqlitePageReader>();
const port = parentPort!;

port.on("message", ({ id, path, plan, size }: PageRequest) => {
  let reply: PageReply;
  try {
    let reader = readers.get(path);
    if (reader === undefined) {
      reader = openSqlitePageReader(path);
      readers.set(path, reader);
    }
    const read = reader.read(plan);
    const page = read.records.slice(0, size);
    // Every page response has its records as field 1: this is their encoding in any of them.
    const encoded = toBinary(
      ListInvocationsResponseSchema,
      create(ListInvocationsResponseSchema, { records: page.map(recordToProto) }),
    );
    reply = { id, revision: read.revision, encoded, more: read.records.length > size, last: page.at(-1) };
    const own = encoded.byteOffset === 0 && encoded.byteLength === encoded.buffer.byteLength;
    port.postMessage(reply, own ? [encoded.buffer as ArrayBuffer] : []);
  } catch (error) {
    port.postMessage({ id, error: error instanceof Error ? error.message : String(error) } satisfies PageReply);
  }
});

import { setImmediate as nextTurn } from "node:timers/promises";
import { create, type DescMessage, type MessageInitShape, type MessageShape, toBinary } from "@bufbuild/protobuf";
import type { StatusRecord } from "../../gen/ts/pynenc/status/v1/status_pb.js";
import type { RecordsAtRevision, StoredRecord } from "../store/index.js";
import { rememberEncoding } from "./encoded-responses.js";
import { recordToProto } from "./proto-conversions.js";
import type { RpcContext } from "./service-handlers.js";

/**
 * The most records a large read handles in one turn of the event loop: reading them (about 1 ms on
 * SQLite, whose index walk looks every row up in the table), converting them or encoding them
 * (about 0.6 ms). A page of 1,000 in one piece held the loop for 5-11 ms, and every Get that
 * arrived meanwhile waited for it.
 */
export const SLICE_RECORDS = 200;

/**
 * Read up to `limit` records as consecutive pages of at most SLICE_RECORDS, one per turn of the
 * event loop, each continuing after the last one's position. A record changed between two slices
 * can be read twice (its change moved it past the position): the later copy, which is newer, is
 * kept. The revision is the first slice's: every change up to it is in the records (some later
 * ones may be too), so a watch from the revision after it misses nothing, as after a page read in
 * one piece.
 */
export async function readInSlices(
  limit: number,
  readSlice: (after: StoredRecord | undefined, count: number) => Promise<RecordsAtRevision>,
): Promise<RecordsAtRevision> {
  const records = new Map<string, StoredRecord>();
  let revision: number | undefined;
  let last: StoredRecord | undefined;
  while (records.size < limit) {
    if (revision !== undefined) await nextTurn();
    // A page is read with one record more than it holds (is there a next page?): that one comes
    // with the last slice rather than in a slice and a turn of its own.
    const left = limit - records.size;
    const count = left <= SLICE_RECORDS + 1 ? left : SLICE_RECORDS;
    const slice = await readSlice(last, count);
    revision ??= slice.revision;
    for (const record of slice.records) {
      records.delete(record.invocationId);
      records.set(record.invocationId, record);
    }
    last = slice.records.at(-1);
    if (slice.records.length < count) break;
  }
  return { records: [...records.values()], revision: revision ?? 0 };
}

/**
 * The records of `ids`, asked for SLICE_RECORDS at a time, one slice per turn of the event loop; the
 * revision is the first slice's, as in readInSlices.
 */
export async function getInSlices(
  ids: readonly string[],
  get: (ids: readonly string[]) => Promise<RecordsAtRevision>,
): Promise<RecordsAtRevision> {
  const records: StoredRecord[] = [];
  let revision: number | undefined;
  for (const slice of slices(ids, SLICE_RECORDS)) {
    if (revision !== undefined) await nextTurn();
    const read = await get(slice);
    revision ??= read.revision;
    records.push(...read.records);
  }
  return { records, revision: revision ?? (await get([])).revision };
}

/** Split `items` into slices of at most `size`. */
function slices<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += size) result.push(items.slice(i, i + size));
  return result;
}

/** A response message whose `records` field holds StatusRecords. */
type WithRecords = DescMessage & { readonly field: { readonly records: unknown } };

/**
 * The response holding `records` and `fields`, built a slice of records per turn of the event loop.
 * For a port that sends encodings made ahead (gRPC's) and more than one slice, each slice is
 * encoded in its turn and the response returned stands in for its encoding (encoded-responses.ts).
 * The encoding is the concatenation of each slice's message with only its records, then the other
 * fields' message: a protobuf parser merges concatenated messages, appending repeated fields, and
 * these are the bytes toBinary writes for the whole response (fields in number order, `records`
 * being field 1).
 */
export async function responseInSlices<D extends WithRecords>(
  schema: D,
  records: readonly StoredRecord[],
  fields: Omit<MessageInitShape<D>, "records">,
  context: Pick<RpcContext, "sendsEncodingMadeAhead">,
): Promise<MessageShape<D>> {
  const withRecords = (protos: StatusRecord[]) =>
    create(schema, { ...fields, records: protos } as unknown as MessageInitShape<D>);
  if (context.sendsEncodingMadeAhead !== true || records.length <= SLICE_RECORDS) {
    const converted: StatusRecord[] = [];
    for (const [i, slice] of slices(records, SLICE_RECORDS).entries()) {
      if (i > 0) await nextTurn();
      converted.push(...slice.map(recordToProto));
    }
    return withRecords(converted);
  }
  const parts: Uint8Array[] = [];
  for (const [i, slice] of slices(records, SLICE_RECORDS).entries()) {
    if (i > 0) await nextTurn();
    parts.push(
      toBinary(schema, create(schema, { records: slice.map(recordToProto) } as unknown as MessageInitShape<D>)),
    );
  }
  return responseEncodedAs(schema, fields, parts);
}

/**
 * The response holding `fields`, standing in for an encoding whose records are `recordParts` (each
 * a message with only records; see responseInSlices).
 */
export function responseEncodedAs<D extends WithRecords>(
  schema: D,
  fields: Omit<MessageInitShape<D>, "records">,
  recordParts: readonly Uint8Array[],
): MessageShape<D> {
  const shell = create(schema, fields as MessageInitShape<D>);
  rememberEncoding(shell, Buffer.concat([...recordParts, toBinary(schema, shell)]));
  return shell;
}

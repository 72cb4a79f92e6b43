import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { describe, expect, test } from "vitest";
import {
  ListInvocationsResponseSchema,
  ListRecoveryCandidatesResponseSchema,
} from "../../gen/ts/pynenc/status/v1/status_pb.js";
import { InvocationStatus } from "../core/index.js";
import type { StoredRecord } from "../store/index.js";
import { encodingMadeAhead } from "./encoded-responses.js";
import { timestampToProto } from "./proto-conversions.js";
import { getInSlices, readInSlices, responseInSlices, SLICE_RECORDS } from "./sliced-reads.js";

function record(id: string, revision: number): StoredRecord {
  return {
    namespace: "",
    invocationId: id,
    status: InvocationStatus.REGISTERED,
    runnerId: revision % 2 === 0 ? null : `runner-${revision}`,
    timestamp: new Date(1_700_000_000_000 + revision),
    revision,
    taskId: "t",
    registeredRevision: revision,
    registeredAt: new Date(1_700_000_000_000 + revision),
  };
}

const records = (count: number) => Array.from({ length: count }, (_, i) => record(`inv-${i}`, i + 1));
const SENDS_AHEAD = { sendsEncodingMadeAhead: true };

describe("responses built in slices", () => {
  test("the encoding made ahead is byte for byte protobuf-es's encoding of the whole response", async () => {
    const many = records(2 * SLICE_RECORDS + 7);
    const fields = { nextPageToken: "next", revision: 4_242n };
    const whole = await responseInSlices(ListInvocationsResponseSchema, many, fields, {});
    expect(whole.records).toHaveLength(many.length);
    const standIn = await responseInSlices(ListInvocationsResponseSchema, many, fields, SENDS_AHEAD);
    const ahead = encodingMadeAhead(standIn);
    expect(ahead).toBeDefined();
    expect(Buffer.from(ahead!)).toEqual(Buffer.from(toBinary(ListInvocationsResponseSchema, whole)));
    // The records exist only encoded; the other fields are in the message too.
    expect(standIn.records).toEqual([]);
    expect(standIn.nextPageToken).toBe("next");
    const decoded = fromBinary(ListInvocationsResponseSchema, ahead!);
    expect(decoded.records.map((r) => r.invocationId)).toEqual(many.map((r) => r.invocationId));
    expect(decoded.revision).toBe(4_242n);
  });

  test("a message field after the records (a timestamp) is encoded too", async () => {
    const fields = { serverTime: timestampToProto(new Date(1_700_000_123_456)), revision: 9n };
    const many = records(SLICE_RECORDS + 1);
    const schema = ListRecoveryCandidatesResponseSchema;
    const bytes = encodingMadeAhead(await responseInSlices(schema, many, fields, SENDS_AHEAD))!;
    const whole = await responseInSlices(schema, many, fields, {});
    expect(Buffer.from(bytes)).toEqual(Buffer.from(toBinary(schema, whole)));
    expect(fromBinary(schema, bytes).serverTime?.nanos).toBe(456_000_000);
  });

  test("nothing is encoded ahead for a port that would not send it, nor for a small page", async () => {
    const fields = { nextPageToken: "", revision: 1n };
    const large = await responseInSlices(ListInvocationsResponseSchema, records(1_000), fields, {});
    expect(large.records).toHaveLength(1_000);
    expect(encodingMadeAhead(large)).toBeUndefined();
    const small = await responseInSlices(ListInvocationsResponseSchema, records(SLICE_RECORDS), fields, SENDS_AHEAD);
    expect(encodingMadeAhead(small)).toBeUndefined();
  });

  test("each slice is built in its own turn of the event loop", async () => {
    let turns = 0;
    let counting = true;
    const count = () => {
      turns++;
      if (counting) setImmediate(count);
    };
    setImmediate(count);
    await responseInSlices(ListInvocationsResponseSchema, records(5 * SLICE_RECORDS), {}, SENDS_AHEAD);
    counting = false;
    // A turn passes between each two of the five slices.
    expect(turns).toBeGreaterThanOrEqual(4);
  });
});

describe("reads in slices", () => {
  test("a page is read SLICE_RECORDS at a time, each slice after the last one's record", async () => {
    const all = records(1_000);
    const asked: Array<{ after: number; count: number }> = [];
    const read = await readInSlices(501, async (last, count) => {
      const after = last?.revision ?? 0;
      asked.push({ after, count });
      return { records: all.filter((r) => r.revision > after).slice(0, count), revision: 1_000 };
    });
    expect(read.records.map((r) => r.revision)).toEqual(all.slice(0, 501).map((r) => r.revision));
    expect(asked).toEqual([
      { after: 0, count: SLICE_RECORDS },
      { after: SLICE_RECORDS, count: SLICE_RECORDS },
      { after: 2 * SLICE_RECORDS, count: 501 - 2 * SLICE_RECORDS },
    ]);
    // A page of 1,000 and the one record that says whether another page follows: no slice of one.
    asked.length = 0;
    await readInSlices(1_001, async (last, count) => {
      asked.push({ after: last?.revision ?? 0, count });
      return { records: all.filter((r) => r.revision > (last?.revision ?? 0)).slice(0, count), revision: 1_000 };
    });
    expect(asked.map((a) => a.count)).toEqual([200, 200, 200, 200, 201]);
  });

  test("stops at a short slice: the end of the records", async () => {
    let calls = 0;
    const read = await readInSlices(1_000, async () => ({ records: calls++ === 0 ? records(3) : [], revision: 7 }));
    expect(read.records).toHaveLength(3);
    expect(calls).toBe(1);
  });

  test("a record changed between slices is kept once, its later copy, and the revision is the first slice's", async () => {
    // Revision order: inv-0 is read at revision 1, then changes (revision 1,001) before the next
    // slice, which reads it again at its new place, the end.
    let revision = 1_000;
    const store = records(SLICE_RECORDS + 100);
    const read = await readInSlices(1_000, async (last, count) => {
      const after = last?.revision ?? 0;
      const page = { records: store.filter((r) => r.revision > after).slice(0, count), revision };
      if (after === 0) {
        revision++;
        store.push({ ...record("inv-0", revision), status: InvocationStatus.PENDING });
        store.shift();
      }
      return page;
    });
    const ids = read.records.map((r) => r.invocationId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(SLICE_RECORDS + 100);
    expect(read.records.at(-1)).toMatchObject({ invocationId: "inv-0", status: InvocationStatus.PENDING });
    expect(read.revision).toBe(1_000);
  });

  test("ids are asked for a slice at a time, in order, at the first slice's revision", async () => {
    const ids = Array.from({ length: 450 }, (_, i) => `inv-${i}`);
    const asked: number[] = [];
    let revision = 10;
    const read = await getInSlices(ids, async (slice) => {
      asked.push(slice.length);
      return { records: slice.map((id, i) => record(id, i + 1)), revision: revision++ };
    });
    expect(asked).toEqual([SLICE_RECORDS, SLICE_RECORDS, 50]);
    expect(read.records.map((r) => r.invocationId)).toEqual(ids);
    expect(read.revision).toBe(10);
    expect(await getInSlices([], async () => ({ records: [], revision: 3 }))).toEqual({ records: [], revision: 3 });
  });
});

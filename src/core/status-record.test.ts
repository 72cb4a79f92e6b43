import { describe, expect, test } from "vitest";
import { ALL_STATUSES, InvocationStatus } from "./invocation-status.js";
import {
  createStatusRecord,
  parseTimestamp,
  StatusRecordJsonError,
  statusRecordFromJson,
  statusRecordToJson,
} from "./status-record.js";

const S = InvocationStatus;
const T = new Date("2024-05-06T07:08:09.123Z");

describe("statusRecordToJson", () => {
  const cases = [
    {
      name: "owned record",
      record: createStatusRecord(S.RUNNING, "r1", T),
      json: { status: "running", runner_id: "r1", timestamp: "2024-05-06T07:08:09.123Z" },
    },
    {
      name: "unowned record keeps runner_id as null",
      record: createStatusRecord(S.REGISTERED, null, T),
      json: { status: "registered", runner_id: null, timestamp: "2024-05-06T07:08:09.123Z" },
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      expect(statusRecordToJson(c.record)).toStrictEqual(c.json);
    });
  }

  test("serializes to pynenc's JSON text", () => {
    expect(JSON.stringify(statusRecordToJson(createStatusRecord(S.RUNNING, "r1", T)))).toBe(
      '{"status":"running","runner_id":"r1","timestamp":"2024-05-06T07:08:09.123Z"}',
    );
  });
});

describe("statusRecordFromJson", () => {
  test("reads pynenc's to_json output (isoformat with microseconds and +00:00)", () => {
    const json = JSON.parse('{"status":"running","runner_id":"r1","timestamp":"2024-05-06T07:08:09.123456+00:00"}');
    expect(statusRecordFromJson(json)).toEqual({ status: S.RUNNING, runnerId: "r1", timestamp: T });
  });

  const runnerCases: { name: string; json: Record<string, unknown>; runnerId: string | null }[] = [
    {
      name: "runner_id null",
      json: { status: "success", runner_id: null, timestamp: "2024-05-06T07:08:09.123Z" },
      runnerId: null,
    },
    { name: "runner_id missing", json: { status: "success", timestamp: "2024-05-06T07:08:09.123Z" }, runnerId: null },
    {
      name: "runner_id a string",
      json: { status: "pending", runner_id: "r2", timestamp: "2024-05-06T07:08:09.123Z" },
      runnerId: "r2",
    },
    {
      name: "runner_id empty string is kept",
      json: { status: "pending", runner_id: "", timestamp: "2024-05-06T07:08:09.123Z" },
      runnerId: "",
    },
    {
      name: "unknown fields are ignored",
      json: { status: "pending", runner_id: "r1", timestamp: "2024-05-06T07:08:09.123Z", extra: 1 },
      runnerId: "r1",
    },
  ];
  for (const c of runnerCases) {
    test(c.name, () => {
      expect(statusRecordFromJson(c.json)).toEqual({ status: c.json.status, runnerId: c.runnerId, timestamp: T });
    });
  }

  test("returns a frozen record", () => {
    const record = statusRecordFromJson({ status: "running", runner_id: "r1", timestamp: "2024-05-06T07:08:09Z" });
    expect(Object.isFrozen(record)).toBe(true);
  });
});

describe("round trip through JSON text", () => {
  for (const status of ALL_STATUSES) {
    for (const runnerId of [null, "r1"]) {
      test(`${status} owned by ${runnerId ?? "none"}`, () => {
        const record = createStatusRecord(status, runnerId, T);
        const text = JSON.stringify(statusRecordToJson(record));
        expect(statusRecordFromJson(JSON.parse(text))).toEqual(record);
      });
    }
  }

  test("pynenc JSON -> record -> JSON keeps the instant (normalised to UTC, milliseconds)", () => {
    const json = { status: "paused", runner_id: "r1", timestamp: "2024-05-06T09:08:09.123999+02:00" };
    expect(statusRecordToJson(statusRecordFromJson(json))).toStrictEqual({
      status: "paused",
      runner_id: "r1",
      timestamp: "2024-05-06T07:08:09.123Z",
    });
  });
});

describe("timestamps", () => {
  const cases: { name: string; text: string; iso: string }[] = [
    { name: "zone Z", text: "2024-05-06T07:08:09Z", iso: "2024-05-06T07:08:09.000Z" },
    { name: "zone +00:00", text: "2024-05-06T07:08:09+00:00", iso: "2024-05-06T07:08:09.000Z" },
    { name: "zone +02:00", text: "2024-05-06T07:08:09+02:00", iso: "2024-05-06T05:08:09.000Z" },
    { name: "zone -0530", text: "2024-05-06T07:08:09-0530", iso: "2024-05-06T12:38:09.000Z" },
    { name: "zone crossing midnight and year", text: "2024-12-31T23:30:00-01:00", iso: "2025-01-01T00:30:00.000Z" },
    { name: "milliseconds", text: "2024-05-06T07:08:09.123Z", iso: "2024-05-06T07:08:09.123Z" },
    { name: "microseconds truncated to ms", text: "2024-05-06T07:08:09.123456Z", iso: "2024-05-06T07:08:09.123Z" },
    {
      name: "microseconds truncated, not rounded",
      text: "2024-05-06T07:08:09.999999+00:00",
      iso: "2024-05-06T07:08:09.999Z",
    },
    { name: "one fractional digit", text: "2024-05-06T07:08:09.5Z", iso: "2024-05-06T07:08:09.500Z" },
    { name: "naive reads as UTC", text: "2024-05-06T07:08:09", iso: "2024-05-06T07:08:09.000Z" },
    {
      name: "naive with microseconds reads as UTC",
      text: "2024-05-06T07:08:09.123456",
      iso: "2024-05-06T07:08:09.123Z",
    },
    { name: "space instead of T", text: "2024-05-06 07:08:09.123456+00:00", iso: "2024-05-06T07:08:09.123Z" },
    { name: "space instead of T, naive", text: "2024-05-06 07:08:09", iso: "2024-05-06T07:08:09.000Z" },
    { name: "no seconds", text: "2024-05-06T07:08", iso: "2024-05-06T07:08:00.000Z" },
    { name: "leap day", text: "2024-02-29T00:00:00Z", iso: "2024-02-29T00:00:00.000Z" },
  ];
  for (const c of cases) {
    test(c.name, () => {
      expect(parseTimestamp(c.text).toISOString()).toBe(c.iso);
      const record = statusRecordFromJson({ status: "running", runner_id: "r1", timestamp: c.text });
      expect(record.timestamp.toISOString()).toBe(c.iso);
    });
  }
});

describe("invalid JSON records throw StatusRecordJsonError", () => {
  const ok = { status: "running", runner_id: "r1", timestamp: "2024-05-06T07:08:09Z" };
  const cases: { name: string; json: unknown }[] = [
    { name: "null", json: null },
    { name: "a string", json: "running" },
    { name: "a number", json: 42 },
    { name: "an array", json: [] },
    { name: "unknown status", json: { ...ok, status: "archived" } },
    { name: "status in upper case (enum name, not value)", json: { ...ok, status: "RUNNING" } },
    { name: "status missing", json: { runner_id: "r1", timestamp: ok.timestamp } },
    { name: "status a number", json: { ...ok, status: 7 } },
    { name: "runner_id a number", json: { ...ok, runner_id: 1 } },
    { name: "runner_id an object", json: { ...ok, runner_id: { id: "r1" } } },
    { name: "runner_id a boolean", json: { ...ok, runner_id: true } },
    { name: "timestamp missing", json: { status: "running", runner_id: "r1" } },
    { name: "timestamp null", json: { ...ok, timestamp: null } },
    { name: "timestamp a number", json: { ...ok, timestamp: 1714979289 } },
    { name: "timestamp empty", json: { ...ok, timestamp: "" } },
    { name: "timestamp 'yesterday'", json: { ...ok, timestamp: "yesterday" } },
    { name: "timestamp out of range fields", json: { ...ok, timestamp: "2024-13-45T99:00:00" } },
    { name: "timestamp date only", json: { ...ok, timestamp: "2024-05-06" } },
    { name: "timestamp day past month end", json: { ...ok, timestamp: "2024-02-30T10:00:00" } },
    { name: "timestamp 29 February in a common year", json: { ...ok, timestamp: "2023-02-29T10:00:00Z" } },
    { name: "timestamp 31 April", json: { ...ok, timestamp: "2024-04-31T10:00:00+02:00" } },
    { name: "timestamp minute 60", json: { ...ok, timestamp: "2024-05-06T07:60:00Z" } },
    { name: "timestamp offset beyond 24h", json: { ...ok, timestamp: "2024-05-06T07:08:09+25:00" } },
    { name: "timestamp with trailing garbage", json: { ...ok, timestamp: "2024-05-06T07:08:09Z tomorrow" } },
  ];
  for (const c of cases) {
    test(c.name, () => {
      expect(() => statusRecordFromJson(c.json)).toThrow(StatusRecordJsonError);
    });
  }
});

describe("createStatusRecord", () => {
  test("returns a frozen object", () => {
    const record = createStatusRecord(S.RUNNING, "r1", T);
    expect(Object.isFrozen(record)).toBe(true);
    expect(() => {
      (record as { status: string }).status = "success";
    }).toThrow(TypeError);
    expect(record.status).toBe(S.RUNNING);
  });

  test("runner defaults to null and timestamp to now", () => {
    const before = Date.now();
    const record = createStatusRecord(S.REGISTERED);
    expect(record.runnerId).toBeNull();
    expect(record.timestamp.getTime()).toBeGreaterThanOrEqual(before);
    expect(record.timestamp.getTime()).toBeLessThanOrEqual(Date.now());
  });

  test("keeps the given values", () => {
    expect(createStatusRecord(S.PAUSED, "r2", T)).toEqual({ status: S.PAUSED, runnerId: "r2", timestamp: T });
  });
});

import { type InvocationStatus, parseInvocationStatus } from "./invocation-status.js";

/** Immutable record combining a status with its owner (pynenc's InvocationStatusRecord). */
export interface InvocationStatusRecord {
  readonly status: InvocationStatus;
  /** Runner that owns the invocation; null when nobody does. */
  readonly runnerId: string | null;
  /** When this status was set. */
  readonly timestamp: Date;
}

/** pynenc's `to_json` shape of a record. */
export interface InvocationStatusRecordJson {
  status: string;
  runner_id: string | null;
  timestamp: string;
}

/** Create a frozen record; the timestamp defaults to now. */
export function createStatusRecord(
  status: InvocationStatus,
  runnerId: string | null = null,
  timestamp: Date = new Date(),
): InvocationStatusRecord {
  return Object.freeze({ status, runnerId, timestamp });
}

/** Serialize a record to pynenc's JSON shape (`to_json`). */
export function statusRecordToJson(record: InvocationStatusRecord): InvocationStatusRecordJson {
  return { status: record.status, runner_id: record.runnerId, timestamp: record.timestamp.toISOString() };
}

/** A JSON document that is not a status record. */
export class StatusRecordJsonError extends Error {
  override name = "StatusRecordJsonError";
}

// ISO 8601 date-time, optional fraction (any precision) and optional zone.
const ISO_DATE_TIME = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$/i;

/** Parse an ISO 8601 timestamp; one without a zone reads as UTC, as pynenc does. */
export function parseTimestamp(text: string): Date {
  const match = ISO_DATE_TIME.exec(text.trim());
  if (match === null) {
    throw new StatusRecordJsonError(`Invalid timestamp: ${JSON.stringify(text)}`);
  }
  const [, date, time, fraction, zone] = match;
  const millis = fraction === undefined ? "" : `.${fraction.slice(0, 3).padEnd(3, "0")}`;
  const offset = zone === undefined || zone.toUpperCase() === "Z" ? "Z" : normalizeOffset(zone);
  const parsed = new Date(`${date}T${time}${millis}${offset}`);
  // Date rolls impossible days over (2024-02-30 -> 2024-03-01); pynenc's fromisoformat rejects them.
  const wallClock = new Date(`${date}T${time}Z`);
  if (Number.isNaN(parsed.getTime()) || !wallClock.toISOString().startsWith(`${date}T${time}`)) {
    throw new StatusRecordJsonError(`Invalid timestamp: ${JSON.stringify(text)}`);
  }
  return parsed;
}

function normalizeOffset(zone: string): string {
  return zone.includes(":") ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
}

/** Deserialize pynenc's JSON shape (`from_json`) into a record. */
export function statusRecordFromJson(json: unknown): InvocationStatusRecord {
  if (typeof json !== "object" || json === null) {
    throw new StatusRecordJsonError("A status record must be a JSON object");
  }
  const { status, runner_id: runnerId, timestamp } = json as Record<string, unknown>;
  const parsedStatus = typeof status === "string" ? parseInvocationStatus(status) : undefined;
  if (parsedStatus === undefined) {
    throw new StatusRecordJsonError(`Unknown status: ${JSON.stringify(status)}`);
  }
  if (runnerId !== undefined && runnerId !== null && typeof runnerId !== "string") {
    throw new StatusRecordJsonError("runner_id must be a string or null");
  }
  if (typeof timestamp !== "string") {
    throw new StatusRecordJsonError("timestamp must be an ISO 8601 string");
  }
  return createStatusRecord(parsedStatus, runnerId ?? null, parseTimestamp(timestamp));
}

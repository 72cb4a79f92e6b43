import type { Duration } from "@bufbuild/protobuf/wkt";
import type { InvocationStatus, StatusConfiguration } from "../core/index.js";
import { invalidArgument } from "./errors.js";
import { durationToMs, statusFromProto, statusName } from "./proto-conversions.js";

/** The longest id (invocation, runner, task, namespace, queue) accepted, in UTF-8 bytes. */
export const MAX_ID_BYTES = 512;
/** The page size used when a request gives 0. */
export const DEFAULT_PAGE_SIZE = 100;
/** The largest page size served; larger requests get pages of this size. */
export const MAX_PAGE_SIZE = 1000;
/** The most items one batch request (BatchGet, BatchTransition, Heartbeat's runner_ids) may carry. */
export const MAX_BATCH_ITEMS = 1000;

/** A required id: non-empty, at most MAX_ID_BYTES. */
export function requireId(field: string, value: string): string {
  if (value.length === 0) throw invalidArgument(field, "must not be empty");
  return optionalId(field, value);
}

/** An id that may be empty ("" = none), at most MAX_ID_BYTES. */
export function optionalId(field: string, value: string): string {
  if (value.length > MAX_ID_BYTES / 3 && Buffer.byteLength(value) > MAX_ID_BYTES) {
    throw invalidArgument(field, `must be at most ${MAX_ID_BYTES} bytes`);
  }
  return value;
}

/** A request's namespace: validated like an id, and "" (the default namespace) allowed. */
export function namespaceOf(value: string): string {
  return optionalId("namespace", value);
}

/** A runner id that may be unset, but not empty when set. */
export function optionalRunnerId(field: string, value: string | undefined): string | null {
  return value === undefined ? null : requireId(field, value);
}

/**
 * A known status other than UNSPECIFIED, of the state machine the server serves: under
 * pynenc-0.3, INVOCATION_STATUS_RESUMED is INVALID_ARGUMENT naming the field and the profile.
 */
export function requireStatus(field: string, value: number, config: StatusConfiguration): InvocationStatus {
  const status = statusFromProto(value);
  if (status === undefined) {
    throw invalidArgument(field, value === 0 ? "must be set" : `unknown status ${value}`);
  }
  if (!config.has(status)) {
    throw invalidArgument(
      field,
      `${statusName(status)} is not a status of the ${config.profile} state machine this server serves ` +
        `(serve --state-machine ${config.profile})`,
      { profile: config.profile },
    );
  }
  return status;
}

/** A page size: 0 means `fallback`, larger than `max` means `max`. */
export function pageSize(field: string, value: number, fallback = DEFAULT_PAGE_SIZE, max = MAX_PAGE_SIZE): number {
  if (value < 0) throw invalidArgument(field, "must not be negative");
  return value === 0 ? fallback : Math.min(value, max);
}

/** The most invocations one ClaimAvailable takes. */
export const MAX_CLAIM_COUNT = 1000;

/** A claim size: 0 means 1, larger than the maximum means the maximum. */
export function claimCount(field: string, value: number): number {
  if (value < 0) throw invalidArgument(field, "must not be negative");
  return value === 0 ? 1 : Math.min(value, MAX_CLAIM_COUNT);
}

/** A revision the store can hold as a number. */
export function revisionNumber(field: string, value: bigint): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw invalidArgument(field, "is beyond any revision");
  return Number(value);
}

/** A repeated field of at most MAX_BATCH_ITEMS items. */
export function batchItems<T>(field: string, items: readonly T[]): readonly T[] {
  if (items.length > MAX_BATCH_ITEMS) {
    throw invalidArgument(field, `has ${items.length} items; at most ${MAX_BATCH_ITEMS} are accepted`);
  }
  return items;
}

/** A duration of zero or more, in milliseconds. */
export function nonNegativeDurationMs(field: string, value: Duration): number {
  const ms = durationToMs(value);
  if (!Number.isFinite(ms) || ms < 0 || value.nanos < -999_999_999 || value.nanos > 999_999_999) {
    throw invalidArgument(field, "must be a duration of zero or more");
  }
  return ms;
}

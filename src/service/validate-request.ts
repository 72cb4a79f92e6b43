import type { InvocationStatus } from "../core/index.js";
import { invalidArgument } from "./errors.js";
import { statusFromProto } from "./proto-conversions.js";

/** The longest id (invocation, runner, task) accepted, in UTF-8 bytes. */
export const MAX_ID_BYTES = 512;
/** The page size used when a request gives 0. */
export const DEFAULT_PAGE_SIZE = 100;
/** The largest page size served; larger requests get pages of this size. */
export const MAX_PAGE_SIZE = 1000;

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

/** A runner id that may be unset, but not empty when set. */
export function optionalRunnerId(field: string, value: string | undefined): string | null {
  return value === undefined ? null : requireId(field, value);
}

/** A known status other than UNSPECIFIED. */
export function requireStatus(field: string, value: number): InvocationStatus {
  const status = statusFromProto(value);
  if (status === undefined) {
    throw invalidArgument(field, value === 0 ? "must be set" : `unknown status ${value}`);
  }
  return status;
}

/** A page size: 0 means the default, larger than the maximum means the maximum. */
export function pageSize(field: string, value: number): number {
  if (value < 0) throw invalidArgument(field, "must not be negative");
  return value === 0 ? DEFAULT_PAGE_SIZE : Math.min(value, MAX_PAGE_SIZE);
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

import { UsageError } from "./cli-error.js";

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parse a duration such as `90s`, `15m`, `24h` or `7d` (a bare number is seconds), in milliseconds. */
export function parseDurationArgument(flag: string, value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(value.trim());
  if (match === null)
    throw new UsageError(`${flag} must be a duration like 90s, 15m, 24h or 7d, got ${JSON.stringify(value)}`);
  return Number(match[1]) * UNIT_MS[match[2] ?? "s"]!;
}

/** A duration as the flags take it, in the largest whole unit up to hours (`24h`, `90s`, `250ms`). */
export function formatDurationArgument(ms: number): string {
  for (const unit of ["h", "m", "s"]) {
    const unitMs = UNIT_MS[unit]!;
    if (ms > 0 && ms % unitMs === 0) return `${ms / unitMs}${unit}`;
  }
  return `${ms}ms`;
}

/** `--retain-changes`: a count of changes (`1000000`) or a duration (`24h`). */
export function parseRetainArgument(flag: string, value: string): { maxChanges?: number; maxAgeMs?: number } {
  if (/^\d+$/.test(value.trim())) return { maxChanges: Number(value) };
  return { maxAgeMs: parseDurationArgument(flag, value) };
}

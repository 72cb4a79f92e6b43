/** The roles a principal can hold (README, "Securing the service"). */
export const ROLES = ["reader", "producer", "runner", "admin"] as const;
/** One of ROLES. */
export type Role = (typeof ROLES)[number];

/** An authenticated caller: who it is and what it may do. */
export interface Caller {
  /** Recorded as the principal of every change it makes. */
  readonly name: string;
  readonly roles: ReadonlySet<Role>;
  /** Runner ids it may act as (`*` at the end matches any suffix); none without the runner role. */
  readonly runnerIds: readonly string[];
  /** Namespaces it may reach (same patterns); undefined means every namespace. */
  readonly namespaces: readonly string[] | undefined;
}

/** Whether `value` matches `pattern`: equal, or for `prefix*`, starting with the prefix. */
export function matchesPattern(pattern: string, value: string): boolean {
  return pattern.endsWith("*") ? value.startsWith(pattern.slice(0, -1)) : value === pattern;
}

/** Whether `value` matches any of `patterns`. */
export function matchesAnyPattern(patterns: readonly string[], value: string): boolean {
  return patterns.some((pattern) => matchesPattern(pattern, value));
}

/**
 * Check a list of roles, runner ids or namespaces from a principals file or a JWT; returns the
 * problem, or undefined when the value is well formed. `*` may only end a pattern.
 */
export function patternListProblem(value: unknown): string | undefined {
  if (!Array.isArray(value)) return "must be an array of strings";
  for (const item of value) {
    if (typeof item !== "string" || item === "") return "must hold non-empty strings";
    if (item.indexOf("*") !== -1 && item.indexOf("*") !== item.length - 1) {
      return `${JSON.stringify(item)}: * may only end a pattern`;
    }
  }
  return undefined;
}

/** The problem with a list of roles, or undefined. */
export function rolesProblem(value: unknown): string | undefined {
  if (!Array.isArray(value) || value.length === 0) return "must be a non-empty array of roles";
  for (const role of value) {
    if (!(ROLES as readonly unknown[]).includes(role)) {
      return `unknown role ${JSON.stringify(role)} (roles are ${ROLES.join(", ")})`;
    }
  }
  return undefined;
}

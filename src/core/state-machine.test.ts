import { describe, expect, test } from "vitest";
import {
  canTransitionTo,
  computeNewOwner,
  createStatusRecord,
  getAvailableForRunStatuses,
  getFinalStatuses,
  getStatusDefinition,
  type InvocationStatus,
  InvocationStatusError,
  InvocationStatusOwnershipError,
  type InvocationStatusRecord,
  InvocationStatusTransitionError,
  isAvailableForRun,
  isFinal,
  parseInvocationStatus,
  StatusDefinitionError,
  statusRecordTransition,
  validateOwnership,
  validateTransition,
} from "./index.js";

// An independent transcription of pynenc 0.2.3's status table (pynenc/invocation/status.py), row
// for row, as plain strings. It is the oracle for every case below and deliberately shares nothing
// with definitions.ts.
type Flag = "" | "yes";
type SpecTableRow = readonly [
  from: string | null,
  allowedTargets: readonly string[],
  final: Flag,
  availableForRun: Flag,
  requiresOwnership: Flag,
  acquires: Flag,
  releases: Flag,
  overrides: Flag,
];

// biome-ignore format: one aligned row per status reads as the table it transcribes
const SPEC_TABLE: readonly SpecTableRow[] = [
  //  from                           allowed targets                                                                  final  run    req    acq    rel    ovr
  [null,                           ["registered"],                                                                   "",    "",    "",    "",    "",    ""],
  ["registered",                   ["pending", "concurrency_controlled", "concurrency_controlled_final"],            "",    "yes", "",    "",    "yes", ""],
  ["concurrency_controlled",       ["rerouted"],                                                                     "",    "",    "",    "",    "yes", ""],
  ["rerouted",                     ["pending", "concurrency_controlled"],                                            "",    "yes", "",    "",    "yes", ""],
  ["pending",                      ["running", "killed", "rerouted", "pending_recovery"],                            "",    "",    "yes", "yes", "",    ""],
  ["pending_recovery",             ["rerouted"],                                                                     "",    "",    "",    "",    "yes", "yes"],
  ["running",                      ["paused", "killed", "retry", "success", "failed", "running_recovery"],           "",    "",    "yes", "",    "",    ""],
  ["running_recovery",             ["rerouted"],                                                                     "",    "",    "",    "",    "yes", "yes"],
  ["paused",                       ["resumed", "killed"],                                                            "",    "",    "yes", "",    "",    ""],
  ["resumed",                      ["paused", "killed", "retry", "success", "failed"],                               "",    "",    "yes", "",    "",    ""],
  ["killed",                       ["rerouted"],                                                                     "",    "",    "",    "",    "yes", ""],
  ["retry",                        ["pending"],                                                                      "",    "yes", "",    "",    "yes", ""],
  ["success",                      [],                                                                               "yes", "",    "",    "",    "yes", ""],
  ["failed",                       [],                                                                               "yes", "",    "",    "",    "yes", ""],
  ["concurrency_controlled_final", [],                                                                               "yes", "",    "",    "",    "yes", ""],
];

/** Statuses in pynenc's declaration order. */
const STATUSES = [
  "registered",
  "concurrency_controlled",
  "concurrency_controlled_final",
  "rerouted",
  "pending",
  "pending_recovery",
  "running",
  "running_recovery",
  "paused",
  "resumed",
  "killed",
  "success",
  "failed",
  "retry",
] as const;

interface SpecRow {
  allowed: ReadonlySet<string>;
  isFinal: boolean;
  availableForRun: boolean;
  requiresOwnership: boolean;
  acquiresOwnership: boolean;
  releasesOwnership: boolean;
  overridesOwnership: boolean;
}

const SPEC = new Map<string | null, SpecRow>(
  SPEC_TABLE.map(([from, allowed, fin, run, req, acq, rel, ovr]) => [
    from,
    {
      allowed: new Set(allowed),
      isFinal: fin === "yes",
      availableForRun: run === "yes",
      requiresOwnership: req === "yes",
      acquiresOwnership: acq === "yes",
      releasesOwnership: rel === "yes",
      overridesOwnership: ovr === "yes",
    },
  ]),
);

function spec(status: string | null): SpecRow {
  const row = SPEC.get(status);
  if (row === undefined) throw new Error(`transcription has no row for ${status}`);
  return row;
}

/** The core's enum value for a status string (fails loudly if the enum lacks it). */
function st(value: string): InvocationStatus {
  const status = parseInvocationStatus(value);
  if (status === undefined) throw new Error(`not a status: ${value}`);
  return status;
}

const T0 = new Date("2024-01-02T03:04:05.678Z");
const T1 = new Date("2024-06-07T08:09:10.111Z");

function record(status: string, owner: string | null): InvocationStatusRecord {
  return createStatusRecord(st(status), owner, T0);
}

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw, got a return");
}

// --- the oracle: pynenc's three rules of a transition, in order -------------------------------
// The target must be allowed; the ownership rules must hold; then the new owner is computed.

interface State {
  status: string;
  owner: string | null;
}

type Outcome =
  | { kind: "record"; status: string; owner: string | null }
  | { kind: "invalid-transition"; allowed: ReadonlySet<string> }
  | { kind: "ownership-violation"; currentOwner: string | null; attemptedOwner: string | null };

function expectedOutcome(cur: State | null, to: string, runner: string | null): Outcome {
  const fromRow = spec(cur?.status ?? null);
  // Rule 1: the target must be allowed.
  if (!fromRow.allowed.has(to)) return { kind: "invalid-transition", allowed: fromRow.allowed };
  const toRow = spec(to);
  // Rule 2: ownership, only when there is a current record and the target does not override.
  if (cur !== null && !toRow.overridesOwnership) {
    const violation = { kind: "ownership-violation", currentOwner: cur.owner, attemptedOwner: runner } as const;
    if (spec(cur.status).requiresOwnership && runner !== cur.owner) return violation;
    if (toRow.acquiresOwnership && runner === null) return violation;
  }
  // Rule 3: the new owner.
  const owner = toRow.releasesOwnership ? null : toRow.acquiresOwnership ? runner : (cur?.owner ?? null);
  return { kind: "record", status: to, owner };
}

// --- reachable states: explore from "new invocation" with runners {none, r1, r2} --------------

const RUNNERS = [null, "r1", "r2"] as const;
const stateKey = (s: State) => `${s.status}(owner=${s.owner ?? "none"})`;

function reachableStates(): State[] {
  const seen = new Map<string, State>();
  const queue: (State | null)[] = [null];
  while (queue.length > 0) {
    const cur = queue.shift() ?? null;
    for (const to of STATUSES) {
      for (const runner of RUNNERS) {
        const outcome = expectedOutcome(cur, to, runner);
        if (outcome.kind !== "record") continue;
        const next = { status: outcome.status, owner: outcome.owner };
        if (!seen.has(stateKey(next))) {
          seen.set(stateKey(next), next);
          queue.push(next);
        }
      }
    }
  }
  return [...seen.values()];
}

const REACHABLE = reachableStates();

// --- the cases ---------------------------------------------------------------------------------

interface TransitionCase {
  name: string;
  from: State | null;
  to: string;
  runner: string | null;
  expected: Outcome;
}

/** none, the owner and another runner; for an unowned state "none" already is the owner. */
function runnersFor(owner: string | null): (string | null)[] {
  const other = owner === "r1" ? "r2" : "r1";
  return [...new Set([null, owner, other])];
}

function transitionCases(): TransitionCase[] {
  const cases: TransitionCase[] = [];
  for (const from of [null, ...REACHABLE]) {
    for (const to of STATUSES) {
      for (const runner of runnersFor(from?.owner ?? null)) {
        const fromName = from === null ? "new invocation" : stateKey(from);
        cases.push({
          name: `${fromName} -> ${to} by ${runner ?? "none"}`,
          from,
          to,
          runner,
          expected: expectedOutcome(from, to, runner),
        });
      }
    }
  }
  return cases;
}

const TRANSITION_CASES = transitionCases();

describe("the test's transcription of pynenc's table", () => {
  test("has one row per status plus the new invocation", () => {
    expect(new Set(SPEC.keys())).toEqual(new Set([null, ...STATUSES]));
    expect(SPEC.size).toBe(SPEC_TABLE.length);
  });

  test("reachable states: releasing statuses unowned, acquiring and inheriting ones owned by r1 or r2", () => {
    const expected = [
      ...[
        "registered",
        "concurrency_controlled",
        "concurrency_controlled_final",
        "rerouted",
        "pending_recovery",
        "running_recovery",
        "killed",
        "success",
        "failed",
        "retry",
      ].map((status) => ({ status, owner: null })),
      ...["pending", "running", "paused", "resumed"].flatMap((status) => [
        { status, owner: "r1" },
        { status, owner: "r2" },
      ]),
    ];
    expect(new Set(REACHABLE.map(stateKey))).toEqual(new Set(expected.map(stateKey)));
  });

  test("every kind of outcome occurs among the cases", () => {
    const kinds = new Set(TRANSITION_CASES.map((c) => c.expected.kind));
    expect(kinds).toEqual(new Set(["record", "invalid-transition", "ownership-violation"]));
  });
});

describe("statusRecordTransition over every reachable state, target and runner", () => {
  for (const c of TRANSITION_CASES) {
    test(c.name, () => {
      const current = c.from === null ? null : record(c.from.status, c.from.owner);
      const run = () => statusRecordTransition(current, st(c.to), c.runner, T1);
      const expected = c.expected;
      switch (expected.kind) {
        case "record": {
          const next = run();
          expect(next).toEqual({ status: expected.status, runnerId: expected.owner, timestamp: T1 });
          expect(Object.isFrozen(next)).toBe(true);
          break;
        }
        case "invalid-transition": {
          const error = thrownBy(run);
          expect(error).toBeInstanceOf(InvocationStatusTransitionError);
          const e = error as InvocationStatusTransitionError;
          expect({ from: e.from, to: e.to, allowed: new Set(e.allowed) }).toEqual({
            from: c.from?.status ?? null,
            to: c.to,
            allowed: expected.allowed,
          });
          expect(e.allowed).toHaveLength(expected.allowed.size);
          break;
        }
        case "ownership-violation": {
          const error = thrownBy(run);
          expect(error).toBeInstanceOf(InvocationStatusOwnershipError);
          const e = error as InvocationStatusOwnershipError;
          expect({ from: e.from, to: e.to, currentOwner: e.currentOwner, attemptedOwner: e.attemptedOwner }).toEqual({
            from: c.from?.status ?? null,
            to: c.to,
            currentOwner: expected.currentOwner,
            attemptedOwner: expected.attemptedOwner,
          });
          expect(e.reason).toEqual(expect.any(String));
          break;
        }
      }
      // The input record is never changed.
      if (c.from !== null) expect(current).toEqual({ status: c.from.status, runnerId: c.from.owner, timestamp: T0 });
    });
  }

  test("the timestamp defaults to now", () => {
    const before = Date.now();
    const next = statusRecordTransition(null, st("registered"), null);
    expect(next.timestamp.getTime()).toBeGreaterThanOrEqual(before);
    expect(next.timestamp.getTime()).toBeLessThanOrEqual(Date.now());
  });

  test("both errors are InvocationStatusErrors", () => {
    expect(thrownBy(() => statusRecordTransition(null, st("running"), "r1"))).toBeInstanceOf(InvocationStatusError);
    expect(thrownBy(() => statusRecordTransition(record("running", "r1"), st("success"), "r2"))).toBeInstanceOf(
      InvocationStatusError,
    );
  });
});

describe("validateTransition", () => {
  // Per source status: the outcome for every target, "ok" or the allowed targets named by the error.
  for (const from of [null, ...STATUSES]) {
    test(`from ${from ?? "new invocation"}`, () => {
      const allowed = spec(from).allowed;
      const actual: Record<string, unknown> = {};
      const expected: Record<string, unknown> = {};
      for (const to of STATUSES) {
        expected[to] = allowed.has(to) ? "ok" : { from, to, allowed };
        try {
          validateTransition(from === null ? null : st(from), st(to));
          actual[to] = "ok";
        } catch (error) {
          expect(error).toBeInstanceOf(InvocationStatusTransitionError);
          const e = error as InvocationStatusTransitionError;
          actual[to] = { from: e.from, to: e.to, allowed: new Set(e.allowed) };
        }
      }
      expect(actual).toEqual(expected);
    });
  }
});

describe("validateOwnership", () => {
  const cases: {
    name: string;
    current: InvocationStatusRecord | null;
    to: string;
    runner: string | null;
    violation: boolean;
  }[] = [
    { name: "new invocation, no runner", current: null, to: "registered", runner: null, violation: false },
    // Ownership is not checked for new invocations, even for a target that acquires.
    { name: "new invocation -> pending by none", current: null, to: "pending", runner: null, violation: false },
    {
      name: "requires: owner may change",
      current: record("running", "r1"),
      to: "success",
      runner: "r1",
      violation: false,
    },
    {
      name: "requires: other runner may not",
      current: record("running", "r1"),
      to: "success",
      runner: "r2",
      violation: true,
    },
    {
      name: "requires: no runner may not",
      current: record("running", "r1"),
      to: "success",
      runner: null,
      violation: true,
    },
    {
      name: "override skips requires (other runner)",
      current: record("running", "r1"),
      to: "running_recovery",
      runner: "r2",
      violation: false,
    },
    {
      name: "override skips requires (no runner)",
      current: record("pending", "r1"),
      to: "pending_recovery",
      runner: null,
      violation: false,
    },
    {
      name: "acquire without runner",
      current: record("registered", null),
      to: "pending",
      runner: null,
      violation: true,
    },
    { name: "acquire with runner", current: record("registered", null), to: "pending", runner: "r1", violation: false },
    {
      name: "no requirement, any runner",
      current: record("killed", null),
      to: "rerouted",
      runner: "r2",
      violation: false,
    },
    // Unreachable records, as a store could hold them: the rules still apply literally.
    {
      name: "requires with no owner, no runner",
      current: record("pending", null),
      to: "running",
      runner: null,
      violation: false,
    },
    {
      name: "requires with no owner, a runner",
      current: record("pending", null),
      to: "running",
      runner: "r1",
      violation: true,
    },
    {
      name: "requires passes, then acquire without runner",
      current: record("pending", null),
      to: "pending",
      runner: null,
      violation: true,
    },
    // validateOwnership checks ownership only, not whether the transition is allowed.
    {
      name: "ignores transition validity",
      current: record("success", null),
      to: "running",
      runner: "r1",
      violation: false,
    },
  ];

  for (const c of cases) {
    test(c.name, () => {
      const run = () => validateOwnership(c.current, st(c.to), c.runner);
      if (!c.violation) {
        expect(run).not.toThrow();
        return;
      }
      const e = thrownBy(run) as InvocationStatusOwnershipError;
      expect(e).toBeInstanceOf(InvocationStatusOwnershipError);
      expect({ from: e.from, to: e.to, currentOwner: e.currentOwner, attemptedOwner: e.attemptedOwner }).toEqual({
        from: c.current?.status ?? null,
        to: c.to,
        currentOwner: c.current?.runnerId ?? null,
        attemptedOwner: c.runner,
      });
    });
  }
});

describe("computeNewOwner", () => {
  const cases: {
    name: string;
    current: InvocationStatusRecord | null;
    to: string;
    runner: string | null;
    owner: string | null;
  }[] = [
    { name: "release drops the owner", current: record("running", "r1"), to: "success", runner: "r1", owner: null },
    {
      name: "release ignores the runner",
      current: record("pending", "r1"),
      to: "pending_recovery",
      runner: "r2",
      owner: null,
    },
    { name: "acquire takes the runner", current: record("registered", null), to: "pending", runner: "r1", owner: "r1" },
    { name: "acquire replaces the owner", current: record("pending", "r1"), to: "pending", runner: "r2", owner: "r2" },
    {
      name: "acquire with no runner gives no owner",
      current: record("registered", null),
      to: "pending",
      runner: null,
      owner: null,
    },
    { name: "inherit keeps the owner", current: record("pending", "r1"), to: "running", runner: "r2", owner: "r1" },
    { name: "inherit keeps no owner", current: record("pending", null), to: "running", runner: "r1", owner: null },
    { name: "inherit from a new invocation gives no owner", current: null, to: "running", runner: "r1", owner: null },
    { name: "new invocation -> registered releases", current: null, to: "registered", runner: "r1", owner: null },
  ];

  for (const c of cases) {
    test(c.name, () => {
      expect(computeNewOwner(c.current, st(c.to), c.runner)).toBe(c.owner);
    });
  }
});

describe("status queries against the transcription", () => {
  for (const status of STATUSES) {
    test(status, () => {
      const row = spec(status);
      const d = getStatusDefinition(st(status));
      expect({ ...d, allowedTransitions: new Set(d.allowedTransitions) }).toEqual({
        allowedTransitions: row.allowed,
        isFinal: row.isFinal,
        availableForRun: row.availableForRun,
        requiresOwnership: row.requiresOwnership,
        acquiresOwnership: row.acquiresOwnership,
        releasesOwnership: row.releasesOwnership,
        overridesOwnership: row.overridesOwnership,
      });
      expect(isFinal(st(status))).toBe(row.isFinal);
      expect(isAvailableForRun(st(status))).toBe(row.availableForRun);
      const reachable = STATUSES.filter((to) => canTransitionTo(st(status), st(to)));
      expect(new Set(reachable)).toEqual(row.allowed);
    });
  }

  test("getStatusDefinition of an unknown status throws StatusDefinitionError", () => {
    expect(() => getStatusDefinition("archived" as InvocationStatus)).toThrow(StatusDefinitionError);
  });

  test("getFinalStatuses", () => {
    expect(new Set(getFinalStatuses())).toEqual(new Set(["success", "failed", "concurrency_controlled_final"]));
  });

  test("getAvailableForRunStatuses", () => {
    expect(new Set(getAvailableForRunStatuses())).toEqual(new Set(["registered", "rerouted", "retry"]));
  });
});

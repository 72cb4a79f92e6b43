import { describe, expect, test } from "vitest";
import {
  PYNENC_STATUS_DEFINITIONS,
  STATUS_CONFIG,
  StatusConfiguration,
  type StatusDefinition,
  StatusDefinitionError,
  type StatusDefinitionTable,
  validateDefinitions,
  validateServerTransitions,
} from "./definitions.js";
import { InvocationStatus } from "./invocation-status.js";
import { PYNENC_SERVER_TRANSITIONS, type ServerTransitions } from "./server-transitions.js";

const S = InvocationStatus;

// pynenc 0.2.3's status table (pynenc/invocation/status.py), transcribed by hand (state-machine.test.ts
// holds its own copy on purpose: each test file checks the core against pynenc, not against the
// other test).
interface SpecRow {
  from: string | null;
  allowed: readonly string[];
  isFinal?: true;
  availableForRun?: true;
  requiresOwnership?: true;
  acquiresOwnership?: true;
  releasesOwnership?: true;
  overridesOwnership?: true;
}

const SPEC_ROWS: readonly SpecRow[] = [
  { from: null, allowed: ["registered"] },
  {
    from: "registered",
    allowed: ["pending", "concurrency_controlled", "concurrency_controlled_final"],
    availableForRun: true,
    releasesOwnership: true,
  },
  { from: "concurrency_controlled", allowed: ["rerouted"], releasesOwnership: true },
  { from: "rerouted", allowed: ["pending", "concurrency_controlled"], availableForRun: true, releasesOwnership: true },
  {
    from: "pending",
    allowed: ["running", "killed", "rerouted", "pending_recovery"],
    requiresOwnership: true,
    acquiresOwnership: true,
  },
  { from: "pending_recovery", allowed: ["rerouted"], releasesOwnership: true, overridesOwnership: true },
  {
    from: "running",
    allowed: ["paused", "killed", "retry", "success", "failed", "running_recovery"],
    requiresOwnership: true,
  },
  { from: "running_recovery", allowed: ["rerouted"], releasesOwnership: true, overridesOwnership: true },
  { from: "paused", allowed: ["resumed", "killed"], requiresOwnership: true },
  { from: "resumed", allowed: ["paused", "killed", "retry", "success", "failed"], requiresOwnership: true },
  { from: "killed", allowed: ["rerouted"], releasesOwnership: true },
  { from: "retry", allowed: ["pending"], availableForRun: true, releasesOwnership: true },
  { from: "success", allowed: [], isFinal: true, releasesOwnership: true },
  { from: "failed", allowed: [], isFinal: true, releasesOwnership: true },
  { from: "concurrency_controlled_final", allowed: [], isFinal: true, releasesOwnership: true },
];

const FLAGS = [
  "isFinal",
  "availableForRun",
  "requiresOwnership",
  "acquiresOwnership",
  "releasesOwnership",
  "overridesOwnership",
] as const;

/** A copy of the shipped table with one definition patched (or removed with `null`). */
function tableWith(
  status: InvocationStatus | null,
  patch: (Partial<Omit<StatusDefinition, "allowedTransitions">> & { allowedTransitions?: readonly string[] }) | null,
): StatusDefinitionTable {
  const table = new Map(PYNENC_STATUS_DEFINITIONS);
  if (patch === null) {
    table.delete(status);
    return table;
  }
  const base = PYNENC_STATUS_DEFINITIONS.get(status);
  if (base === undefined) throw new Error(`no shipped definition for ${status}`);
  const { allowedTransitions, ...flags } = patch;
  table.set(status, {
    ...base,
    ...flags,
    allowedTransitions:
      allowedTransitions === undefined ? base.allowedTransitions : new Set(allowedTransitions as InvocationStatus[]),
  });
  return table;
}

describe("the shipped definitions equal pynenc's table", () => {
  test("one definition per status plus the new invocation", () => {
    expect(new Set(PYNENC_STATUS_DEFINITIONS.keys())).toEqual(new Set(SPEC_ROWS.map((r) => r.from)));
  });

  for (const row of SPEC_ROWS) {
    describe(row.from ?? "new invocation", () => {
      const definition = () => PYNENC_STATUS_DEFINITIONS.get(row.from as InvocationStatus | null);
      test("allowed transitions", () => {
        expect(new Set(definition()?.allowedTransitions)).toEqual(new Set(row.allowed));
      });
      for (const flag of FLAGS) {
        test(flag, () => {
          expect(definition()?.[flag]).toBe(row[flag] ?? false);
        });
      }
    });
  }
});

describe("StatusConfiguration derived sets", () => {
  const cases: { name: string; actual: () => ReadonlySet<InvocationStatus>; expected: InvocationStatus[] }[] = [
    {
      name: "finalStatuses",
      actual: () => STATUS_CONFIG.finalStatuses,
      expected: [S.SUCCESS, S.FAILED, S.CONCURRENCY_CONTROLLED_FINAL],
    },
    {
      name: "availableForRunStatuses",
      actual: () => STATUS_CONFIG.availableForRunStatuses,
      expected: [S.REGISTERED, S.REROUTED, S.RETRY],
    },
    {
      name: "ownershipRequiredStatuses",
      actual: () => STATUS_CONFIG.ownershipRequiredStatuses,
      expected: [S.PENDING, S.RUNNING, S.PAUSED, S.RESUMED],
    },
    { name: "ownershipAcquireStatuses", actual: () => STATUS_CONFIG.ownershipAcquireStatuses, expected: [S.PENDING] },
    {
      name: "ownershipReleaseStatuses",
      actual: () => STATUS_CONFIG.ownershipReleaseStatuses,
      expected: [
        S.REGISTERED,
        S.CONCURRENCY_CONTROLLED,
        S.CONCURRENCY_CONTROLLED_FINAL,
        S.REROUTED,
        S.PENDING_RECOVERY,
        S.RUNNING_RECOVERY,
        S.KILLED,
        S.SUCCESS,
        S.FAILED,
        S.RETRY,
      ],
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      expect(new Set(c.actual())).toEqual(new Set(c.expected));
    });
  }

  test("sets come from the table it was given, not from the shipped one", () => {
    const config = new StatusConfiguration(
      tableWith(S.KILLED, { allowedTransitions: [], isFinal: true, availableForRun: true }),
    );
    expect(config.finalStatuses.has(S.KILLED)).toBe(true);
    expect(config.availableForRunStatuses.has(S.KILLED)).toBe(true);
    expect(STATUS_CONFIG.finalStatuses.has(S.KILLED)).toBe(false);
  });

  test("getDefinition(null) is the new invocation's definition", () => {
    expect(STATUS_CONFIG.getDefinition(null)).toBe(PYNENC_STATUS_DEFINITIONS.get(null));
    expect([...STATUS_CONFIG.getDefinition(null).allowedTransitions]).toEqual([S.REGISTERED]);
  });

  test("getDefinition of an unknown status throws StatusDefinitionError", () => {
    expect(() => STATUS_CONFIG.getDefinition("archived" as InvocationStatus)).toThrow(StatusDefinitionError);
  });
});

describe("validateDefinitions", () => {
  test("the shipped table passes", () => {
    expect(() => validateDefinitions(PYNENC_STATUS_DEFINITIONS)).not.toThrow();
    expect(() => new StatusConfiguration(PYNENC_STATUS_DEFINITIONS)).not.toThrow();
  });

  const broken: { name: string; table: StatusDefinitionTable }[] = [
    { name: "a status that both acquires and releases", table: tableWith(S.PENDING, { releasesOwnership: true }) },
    {
      name: "a new invocation that both acquires and releases",
      table: tableWith(null, { acquiresOwnership: true, releasesOwnership: true }),
    },
    { name: "a final status with targets", table: tableWith(S.SUCCESS, { allowedTransitions: [S.REGISTERED] }) },
    { name: "a status made final while keeping its targets", table: tableWith(S.RUNNING, { isFinal: true }) },
    {
      name: "a status that overrides and requires ownership",
      table: tableWith(S.RUNNING, { overridesOwnership: true }),
    },
    {
      name: "a recovery status that also requires ownership",
      table: tableWith(S.PENDING_RECOVERY, { requiresOwnership: true }),
    },
    { name: "a missing status", table: tableWith(S.KILLED, null) },
    { name: "a missing new-invocation definition", table: tableWith(null, null) },
    { name: "a target with no definition", table: tableWith(S.RETRY, { allowedTransitions: [S.PENDING, "archived"] }) },
  ];

  for (const c of broken) {
    test(`rejects ${c.name}`, () => {
      expect(() => validateDefinitions(c.table)).toThrow(StatusDefinitionError);
      expect(() => new StatusConfiguration(c.table)).toThrow(StatusDefinitionError);
    });
  }
});

describe("the server's own transitions", () => {
  test("a new invocation starts in what the new-invocation definition allows: REGISTERED", () => {
    expect([...STATUS_CONFIG.registrationStatuses]).toEqual([S.REGISTERED]);
  });

  test("pynenc's: claims take an invocation to PENDING", () => {
    expect(STATUS_CONFIG.serverTransitions.claim).toBe(S.PENDING);
  });

  const routes: { from: InvocationStatus; route: readonly InvocationStatus[] | undefined }[] = [
    { from: S.PENDING, route: [S.PENDING, S.PENDING_RECOVERY, S.REROUTED] },
    { from: S.RUNNING, route: [S.RUNNING, S.RUNNING_RECOVERY, S.REROUTED] },
    ...[S.REGISTERED, S.PAUSED, S.RESUMED, S.KILLED, S.SUCCESS].map((from) => ({ from, route: undefined })),
  ];
  for (const c of routes) {
    test(`recovery route from ${c.from}`, () => {
      const route = STATUS_CONFIG.recoveryRouteFrom(c.from);
      expect(route && [route.from, route.recovering, route.rerouted]).toEqual(c.route);
    });
  }

  test("the shipped transitions fit the shipped table", () => {
    expect(() => validateServerTransitions(PYNENC_STATUS_DEFINITIONS, PYNENC_SERVER_TRANSITIONS)).not.toThrow();
  });

  const pending = PYNENC_SERVER_TRANSITIONS.pendingRecovery;
  const broken: { name: string; table?: StatusDefinitionTable; transitions: Partial<ServerTransitions> }[] = [
    { name: "a claim status that does not acquire ownership", transitions: { claim: S.RUNNING } },
    { name: "two recovery routes from one status", transitions: { runnerRecovery: pending } },
    {
      name: "a recovery from a status nobody owns",
      transitions: { pendingRecovery: { from: S.KILLED, recovering: S.REROUTED, rerouted: S.REROUTED } },
    },
    {
      name: "a recovery route that is not a path of allowed transitions",
      transitions: { pendingRecovery: { ...pending, recovering: S.RUNNING_RECOVERY } },
    },
    {
      name: "a recovery status that does not override ownership",
      transitions: { pendingRecovery: { ...pending, recovering: S.KILLED } },
    },
    {
      name: "a recovery that does not end available for run",
      table: tableWith(S.REROUTED, { availableForRun: false }),
      transitions: {},
    },
  ];
  for (const c of broken) {
    test(`rejects ${c.name}`, () => {
      const table = c.table ?? PYNENC_STATUS_DEFINITIONS;
      const transitions = { ...PYNENC_SERVER_TRANSITIONS, ...c.transitions };
      expect(() => validateServerTransitions(table, transitions)).toThrow(StatusDefinitionError);
      expect(() => new StatusConfiguration(table, transitions)).toThrow(StatusDefinitionError);
    });
  }
});

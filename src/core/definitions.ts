import { ALL_STATUSES, InvocationStatus } from "./invocation-status.js";
import { PYNENC_SERVER_TRANSITIONS, type RecoveryRoute, type ServerTransitions } from "./server-transitions.js";

/** Declarative rules of one status (pynenc's StatusDefinition). */
export interface StatusDefinition {
  readonly allowedTransitions: ReadonlySet<InvocationStatus>;
  readonly isFinal: boolean;
  readonly availableForRun: boolean;
  readonly requiresOwnership: boolean;
  readonly acquiresOwnership: boolean;
  readonly releasesOwnership: boolean;
  readonly overridesOwnership: boolean;
}

/** The yes/no rules of a status, by name. */
export type StatusFlags = Omit<StatusDefinition, "allowedTransitions">;

/** The yes/no rules of a definition (or of anything that carries them under the same names). */
export function statusFlags(d: StatusFlags): StatusFlags {
  return {
    isFinal: d.isFinal,
    availableForRun: d.availableForRun,
    requiresOwnership: d.requiresOwnership,
    acquiresOwnership: d.acquiresOwnership,
    releasesOwnership: d.releasesOwnership,
    overridesOwnership: d.overridesOwnership,
  };
}

/** The table of definitions; the `null` key holds the rules of a new invocation. */
export type StatusDefinitionTable = ReadonlyMap<InvocationStatus | null, StatusDefinition>;

type DefinitionInit = Partial<Omit<StatusDefinition, "allowedTransitions">> & {
  allowedTransitions?: readonly InvocationStatus[];
};

function define(init: DefinitionInit): StatusDefinition {
  return Object.freeze({
    allowedTransitions: new Set(init.allowedTransitions ?? []),
    isFinal: init.isFinal ?? false,
    availableForRun: init.availableForRun ?? false,
    requiresOwnership: init.requiresOwnership ?? false,
    acquiresOwnership: init.acquiresOwnership ?? false,
    releasesOwnership: init.releasesOwnership ?? false,
    overridesOwnership: init.overridesOwnership ?? false,
  });
}

const S = InvocationStatus;

/** pynenc 0.2.3's state machine, as data. */
export const PYNENC_STATUS_DEFINITIONS: StatusDefinitionTable = new Map<InvocationStatus | null, StatusDefinition>([
  [null, define({ allowedTransitions: [S.REGISTERED] })],
  [
    S.REGISTERED,
    define({
      allowedTransitions: [S.PENDING, S.CONCURRENCY_CONTROLLED, S.CONCURRENCY_CONTROLLED_FINAL],
      availableForRun: true,
      releasesOwnership: true,
    }),
  ],
  [S.CONCURRENCY_CONTROLLED, define({ allowedTransitions: [S.REROUTED], releasesOwnership: true })],
  [
    S.REROUTED,
    define({
      allowedTransitions: [S.PENDING, S.CONCURRENCY_CONTROLLED],
      availableForRun: true,
      releasesOwnership: true,
    }),
  ],
  [
    S.PENDING,
    define({
      allowedTransitions: [S.RUNNING, S.KILLED, S.REROUTED, S.PENDING_RECOVERY],
      requiresOwnership: true,
      acquiresOwnership: true,
    }),
  ],
  [S.PENDING_RECOVERY, define({ allowedTransitions: [S.REROUTED], releasesOwnership: true, overridesOwnership: true })],
  [
    S.RUNNING,
    define({
      allowedTransitions: [S.PAUSED, S.KILLED, S.RETRY, S.SUCCESS, S.FAILED, S.RUNNING_RECOVERY],
      requiresOwnership: true,
    }),
  ],
  [S.RUNNING_RECOVERY, define({ allowedTransitions: [S.REROUTED], releasesOwnership: true, overridesOwnership: true })],
  [S.PAUSED, define({ allowedTransitions: [S.RESUMED, S.KILLED], requiresOwnership: true })],
  [
    S.RESUMED,
    define({
      allowedTransitions: [S.PAUSED, S.KILLED, S.RETRY, S.SUCCESS, S.FAILED],
      requiresOwnership: true,
    }),
  ],
  [S.KILLED, define({ allowedTransitions: [S.REROUTED], releasesOwnership: true })],
  [S.SUCCESS, define({ isFinal: true, releasesOwnership: true })],
  [S.FAILED, define({ isFinal: true, releasesOwnership: true })],
  [S.RETRY, define({ allowedTransitions: [S.PENDING], availableForRun: true, releasesOwnership: true })],
  [S.CONCURRENCY_CONTROLLED_FINAL, define({ isFinal: true, releasesOwnership: true })],
]);

/**
 * pynenc 0.3.0 to 0.4.x's state machine, as data: 0.2.3's without RESUMED, a paused invocation
 * going back to RUNNING (or KILLED) instead.
 */
export const PYNENC_0_3_STATUS_DEFINITIONS: StatusDefinitionTable = new Map<InvocationStatus | null, StatusDefinition>(
  [...PYNENC_STATUS_DEFINITIONS]
    .filter(([status]) => status !== S.RESUMED)
    .map(([status, definition]) => [
      status,
      status === S.PAUSED ? define({ allowedTransitions: [S.RUNNING, S.KILLED], requiresOwnership: true }) : definition,
    ]),
);

/** A definitions table that breaks one of pynenc's consistency rules. */
export class StatusDefinitionError extends Error {
  override name = "StatusDefinitionError";
}

/**
 * Complete configuration of status behaviour (pynenc's StatusConfiguration): the definitions and
 * the transitions the server makes on its own, checked once when created, and the status sets
 * derived from them. Stores read every rule from here, so another state machine is another
 * configuration, not other code.
 */
export class StatusConfiguration {
  /** The statuses of this state machine, in pynenc's declaration order. */
  readonly statuses: readonly InvocationStatus[];
  /** The statuses a new invocation may take (the new-invocation definition's targets). */
  readonly registrationStatuses: ReadonlySet<InvocationStatus>;
  readonly finalStatuses: ReadonlySet<InvocationStatus>;
  readonly availableForRunStatuses: ReadonlySet<InvocationStatus>;
  readonly ownershipRequiredStatuses: ReadonlySet<InvocationStatus>;
  readonly ownershipAcquireStatuses: ReadonlySet<InvocationStatus>;
  readonly ownershipReleaseStatuses: ReadonlySet<InvocationStatus>;

  constructor(
    readonly definitions: StatusDefinitionTable,
    readonly serverTransitions: ServerTransitions = PYNENC_SERVER_TRANSITIONS,
    /** The name this state machine is chosen by (`serve --state-machine`) and pinned under in a store. */
    readonly profile = "custom",
    statuses: readonly InvocationStatus[] = ALL_STATUSES,
  ) {
    validateDefinitions(definitions, statuses);
    validateServerTransitions(definitions, serverTransitions);
    this.statuses = Object.freeze(ALL_STATUSES.filter((s) => statuses.includes(s)));
    const where = (pick: (d: StatusDefinition) => boolean) =>
      new Set(this.statuses.filter((s) => pick(this.getDefinition(s))));
    this.registrationStatuses = this.getDefinition(null).allowedTransitions;
    this.finalStatuses = where((d) => d.isFinal);
    this.availableForRunStatuses = where((d) => d.availableForRun);
    this.ownershipRequiredStatuses = where((d) => d.requiresOwnership);
    this.ownershipAcquireStatuses = where((d) => d.acquiresOwnership);
    this.ownershipReleaseStatuses = where((d) => d.releasesOwnership);
  }

  /** Whether the status is one of this state machine's. */
  has(status: InvocationStatus): boolean {
    return this.definitions.has(status);
  }

  /** The definition of a status, or of a new invocation for `null`. */
  getDefinition(status: InvocationStatus | null): StatusDefinition {
    const definition = this.definitions.get(status);
    if (definition === undefined) {
      throw new StatusDefinitionError(`No definition for status ${status ?? "None"}`);
    }
    return definition;
  }

  /** The recovery route of an invocation left in `status`, if the server recovers that status. */
  recoveryRouteFrom(status: InvocationStatus): RecoveryRoute | undefined {
    const { pendingRecovery, runnerRecovery } = this.serverTransitions;
    if (status === pendingRecovery.from) return pendingRecovery;
    if (status === runnerRecovery.from) return runnerRecovery;
    return undefined;
  }
}

/**
 * Check that the server's own transitions fit the definitions; throws StatusDefinitionError. A
 * claim gives the invocation to the claiming runner, and a recovery brings one back from a status
 * that requires its owner, through a status that overrides ownership, to one available for run.
 */
export function validateServerTransitions(definitions: StatusDefinitionTable, transitions: ServerTransitions): void {
  const get = (status: InvocationStatus) => {
    const definition = definitions.get(status);
    if (definition === undefined) throw new StatusDefinitionError(`Status ${status} has no definition`);
    return definition;
  };
  const claim = get(transitions.claim);
  if (!claim.acquiresOwnership) {
    throw new StatusDefinitionError(`The claim status ${transitions.claim} must acquire ownership`);
  }
  const routes = [transitions.pendingRecovery, transitions.runnerRecovery];
  if (routes[0]!.from === routes[1]!.from) {
    throw new StatusDefinitionError(`Both recovery routes start from ${routes[0]!.from}`);
  }
  for (const { from, recovering, rerouted } of routes) {
    const route = `${from} -> ${recovering} -> ${rerouted}`;
    if (!get(from).requiresOwnership) {
      throw new StatusDefinitionError(`Recovery ${route}: ${from} has no owner to lose`);
    }
    if (!get(from).allowedTransitions.has(recovering) || !get(recovering).allowedTransitions.has(rerouted)) {
      throw new StatusDefinitionError(`Recovery ${route} is not a path of allowed transitions`);
    }
    if (!get(recovering).overridesOwnership) {
      throw new StatusDefinitionError(`Recovery ${route}: ${recovering} must override ownership`);
    }
    if (!get(rerouted).availableForRun) {
      throw new StatusDefinitionError(`Recovery ${route}: ${rerouted} must be available for run`);
    }
  }
}

/**
 * Check the rules pynenc checks when it loads its table; throws StatusDefinitionError. A table
 * defines a subset of the statuses (a profile leaves out those its pynenc version lacks), the new
 * invocation among them, and every target it names.
 */
export function validateDefinitions(
  definitions: StatusDefinitionTable,
  statuses: readonly InvocationStatus[] = ALL_STATUSES,
): void {
  if (!definitions.has(null)) throw new StatusDefinitionError("Status None (a new invocation) has no definition");
  for (const status of statuses) {
    if (!definitions.has(status)) {
      throw new StatusDefinitionError(`Status ${status} has no definition`);
    }
  }
  for (const status of definitions.keys()) {
    if (status !== null && !statuses.includes(status)) {
      throw new StatusDefinitionError(`Status ${status} is defined but is not a status of this state machine`);
    }
  }
  for (const [status, d] of definitions) {
    const name = status ?? "None";
    if (d.acquiresOwnership && d.releasesOwnership) {
      throw new StatusDefinitionError(`Status ${name} cannot both acquire and release ownership`);
    }
    if (d.isFinal && d.allowedTransitions.size > 0) {
      throw new StatusDefinitionError(`Final status ${name} cannot have allowed transitions`);
    }
    if (d.overridesOwnership && d.requiresOwnership) {
      throw new StatusDefinitionError(`Status ${name} cannot both override and require ownership`);
    }
    for (const target of d.allowedTransitions) {
      if (!definitions.has(target)) {
        throw new StatusDefinitionError(`Status ${name} allows ${target}, which has no definition`);
      }
    }
  }
}

/** pynenc 0.2.x's state machine (the seed's), the default profile. */
export const STATUS_CONFIG = new StatusConfiguration(
  PYNENC_STATUS_DEFINITIONS,
  PYNENC_SERVER_TRANSITIONS,
  "pynenc-0.2",
);

/** pynenc 0.3.0 to 0.4.x's state machine: no RESUMED, PAUSED goes back to RUNNING. */
export const PYNENC_0_3_STATUS_CONFIG = new StatusConfiguration(
  PYNENC_0_3_STATUS_DEFINITIONS,
  PYNENC_SERVER_TRANSITIONS,
  "pynenc-0.3",
  ALL_STATUSES.filter((status) => status !== InvocationStatus.RESUMED),
);

/** The state machines a server can serve, by profile name; the first is the default. */
export const STATE_MACHINE_PROFILES: ReadonlyMap<string, StatusConfiguration> = new Map(
  [STATUS_CONFIG, PYNENC_0_3_STATUS_CONFIG].map((config) => [config.profile, config]),
);

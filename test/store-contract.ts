import { afterEach, beforeEach, describe } from "vitest";
import type { StatusStore } from "../src/store/index.js";
import { describeBatchContract } from "./contract/batch.js";
import type { ContractContext, StoreFactory } from "./contract/contract-context.js";
import { describeLifecycleContract } from "./contract/lifecycle.js";
import { describeNamespaceContract } from "./contract/namespaces.js";
import { describeQueryContract } from "./contract/queries.js";
import { describeRunnerContract } from "./contract/runners.js";
import { describeTransitionContract } from "./contract/transitions.js";
import { describeWatchContract } from "./contract/watch.js";

export type { StoreFactory } from "./contract/contract-context.js";

/**
 * The behaviour every store backend must have. Each backend's test file calls this with a
 * factory, so memory, SQLite and Redis are held to one contract.
 */
export function describeStoreContract(name: string, factory: StoreFactory): void {
  describe(`store contract: ${name}`, () => {
    let store: StatusStore;
    // A clock the tests move by hand: recovery, leases and retention depend on it.
    let clockMs = 0;
    const context: ContractContext = {
      store: () => store,
      factory,
      now: () => clockMs,
      advance: (ms) => {
        clockMs += ms;
      },
    };
    beforeEach(async () => {
      clockMs = Date.parse("2026-01-01T00:00:00Z");
      store = await factory({ now: () => new Date(clockMs) });
    });
    afterEach(async () => {
      await store.close();
    });

    describeTransitionContract(context);
    describeBatchContract(context);
    describeQueryContract(context);
    describeNamespaceContract(context);
    describeRunnerContract(context);
    describeLifecycleContract(context);
    describeWatchContract(context);
  });
}

import { InvocationStatus as S } from "../src/core/index.js";
import { createMemoryStore, createSqliteStore, type StatusStore } from "../src/store/index.js";

const STORED = Number(process.env.BENCH_RECOVERY_INVOCATIONS ?? 1_000_000);
const STALE = 1_000;
const POLICY = { maxPendingMs: 60_000, runnerDeadAfterMs: 600_000 };

/**
 * Fill a store with STORED invocations (all but STALE registered and waiting; STALE taken as
 * PENDING by a runner), through the store's own transitions in large groups.
 */
async function fill(store: StatusStore): Promise<void> {
  const group = 10_000;
  for (let start = 0; start < STORED; start += group) {
    const ids = Array.from({ length: Math.min(group, STORED - start) }, (_, i) => `inv-${start + i}`);
    await Promise.all(
      ids.map((invocationId) =>
        store.transition({ namespace: "", invocationId, status: S.REGISTERED, runnerId: null, taskId: "" }),
      ),
    );
  }
  await store.claimAvailable({ namespace: "", runnerId: "bench-runner", maxCount: STALE, taskId: "" });
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await run();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/** The cost of one recovery pass with STORED invocations, with nothing to do and with STALE to recover. */
export async function benchRecoveryScan(sqlitePath: string): Promise<void> {
  console.log(`\n### recovery pass with ${STORED.toLocaleString("en")} invocations stored\n`);
  console.log(
    "| store | fill (s) | pass with nothing to recover (ms) | pass recovering " +
      STALE +
      " PENDING (ms) |\n|---|---|---|---|",
  );
  for (const [name, open] of [
    ["memory", (now: () => Date) => createMemoryStore({ now })],
    ["sqlite", (now: () => Date) => createSqliteStore(sqlitePath, { now })],
  ] as const) {
    let clock = Date.now();
    const store = open(() => new Date(clock));
    const fillMs = await timed(() => fill(store));
    await store.recover(POLICY); // warm
    let idle = Infinity;
    for (let i = 0; i < 5; i++) idle = Math.min(idle, await timed(() => store.recover(POLICY)));
    clock += POLICY.maxPendingMs + 1;
    let recovered = 0;
    const busy = await timed(async () => {
      recovered = (await store.recover(POLICY)).length;
    });
    if (recovered !== STALE * 2) throw new Error(`recovered ${recovered} changes, expected ${STALE * 2}`);
    console.log(`| ${name} | ${(fillMs / 1000).toFixed(1)} | ${idle.toFixed(2)} | ${busy.toFixed(1)} |`);
    await store.close();
  }
}

import { describe, expect, test } from "vitest";
import { InvocationStatus as S } from "../../src/core/index.js";
import { type ContractContext, command, heartbeat, NS, startRunning } from "./contract-context.js";

/** Runners: heartbeats with what pynenc keeps about each runner, and the listing. */
export function describeRunnerContract(context: ContractContext): void {
  const store = () => context.store();

  describe("runners", () => {
    test("a heartbeat creates a runner, later ones move its last heartbeat; the store's clock is returned", async () => {
      const first = await store().heartbeat(heartbeat("r1"));
      expect(first).toEqual(new Date(context.now()));
      context.advance(5_000);
      await store().heartbeat(heartbeat("r1"));
      const { runners, now } = await store().listRunners(NS);
      expect(now).toEqual(new Date(context.now()));
      expect(runners).toEqual([
        {
          runnerId: "r1",
          createdAt: first,
          lastHeartbeat: new Date(context.now()),
          canRunAtomicService: false,
          consumedQueues: [],
          owned: new Map(),
        },
      ]);
    });

    test("many runners at one time, with their atomic-service flag and queues; unset keeps what is stored", async () => {
      await store().heartbeat(heartbeat(["p", "c1"], { canRunAtomicService: true, consumedQueues: ["q1", "q2"] }));
      context.advance(1_000);
      await store().heartbeat(heartbeat(["c1", "c2"]));
      context.advance(1_000);
      await store().heartbeat(heartbeat("p", { canRunAtomicService: false, consumedQueues: [] }));
      const { runners } = await store().listRunners(NS);
      const byId = new Map(runners.map((r) => [r.runnerId, r]));
      expect(byId.get("p")).toMatchObject({ canRunAtomicService: false, consumedQueues: [] });
      expect(byId.get("c1")).toMatchObject({ canRunAtomicService: true, consumedQueues: ["q1", "q2"] });
      expect(byId.get("c2")).toMatchObject({ canRunAtomicService: false, consumedQueues: [] });
      expect(byId.get("c1")!.lastHeartbeat.getTime() - byId.get("c1")!.createdAt.getTime()).toBe(1_000);
    });

    test("runners come by creation time, then id", async () => {
      await store().heartbeat(heartbeat(["r-b", "r-a"]));
      context.advance(10);
      await store().heartbeat(heartbeat("r-0"));
      context.advance(10);
      await store().heartbeat(heartbeat("r-b")); // a later heartbeat does not move it
      expect((await store().listRunners(NS)).runners.map((r) => r.runnerId)).toEqual(["r-a", "r-b", "r-0"]);
    });

    test("each runner says how many invocations it owns, per status", async () => {
      await store().heartbeat(heartbeat(["r1", "r2"]));
      await startRunning(store(), "a", "r1");
      await startRunning(store(), "b", "r1");
      await store().transition(command("c", S.REGISTERED));
      await store().transition(command("c", S.PENDING, "r1"));
      await startRunning(store(), "d", "r2");
      await store().transition(command("d", S.SUCCESS, "r2"));
      const byId = new Map((await store().listRunners(NS)).runners.map((r) => [r.runnerId, r.owned]));
      expect(byId.get("r1")).toEqual(
        new Map([
          [S.PENDING, 1],
          [S.RUNNING, 2],
        ]),
      );
      expect(byId.get("r2")).toEqual(new Map());
    });
  });
}

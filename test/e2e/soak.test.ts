// A soak in the normal test run: 20 Python runners (examples/python-runner, claim mode) work
// through 400 invocations of a SQLite server with fast recovery, while 5 of them are killed in the
// middle of their work. Every invocation still reaches a final status through recovery, and no
// invocation ever has two owners.

import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  type HistoryEntry,
  InvocationStatus as S,
  type StatusRecord,
  StatusService,
} from "../../gen/ts/pynenc/status/v1/status_pb.js";
import { jsonLines, killRunning, startCollectedProcess, waitUntil } from "../helpers/child-processes.js";
import { REPO_ROOT, type ServerProcess, startServerProcess } from "../helpers/server-process.js";
import { assertToolchain, locateToolchain, skipWithoutToolchain } from "../helpers/toolchain.js";

const COUNT = 400;
const RUNNERS = 20;
const KILLED = 5;
/** Runners that work longer than --runner-dead-after-seconds: only their heartbeats keep them alive. */
const SLOW = ["slow-0", "slow-1"];
const DEAD_AFTER_S = 3;
/** How late (ms) a change sent by a runner just before its SIGKILL may still be applied. */
const KILL_TOLERANCE_MS = 1000;

const tools = locateToolchain();
const skip = skipWithoutToolchain(tools, "soak with Python runners");
let dir: string;
let server: ServerProcess | undefined;
const children: ChildProcess[] = [];

function startChild(command: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  return startCollectedProcess(command, args, children, env);
}

interface RunnerLine {
  runner: string;
  invocation_id: string;
  final: "success" | "failed" | "retry";
  attempt: number;
}

const isEnd = (s: S) => s === S.SUCCESS || s === S.FAILED;
const at = (e: HistoryEntry) => timestampMs(e.record!.timestamp!);
const owner = (e: HistoryEntry) => e.record!.runnerId ?? null;
/** The status of an entry that may not exist (before the first, after the last). */
const statusOf = (e: HistoryEntry | undefined) => (e === undefined ? undefined : e.record!.status);

/** Each run that ended (SUCCESS, FAILED or RETRY right after RUNNING) as "attempt|runner|final". */
function runsEnded(entries: HistoryEntry[]): string[] {
  const runs: string[] = [];
  let attempt = 0;
  entries.forEach((entry, i) => {
    const status = entry.record!.status;
    if ([S.SUCCESS, S.FAILED, S.RETRY].includes(status) && statusOf(entries[i - 1]) === S.RUNNING) {
      runs.push(`${attempt}|${owner(entries[i - 1]!)}|${S[status].toLowerCase()}`);
    }
    if (status === S.RETRY) attempt++;
  });
  return runs;
}

describe.skipIf(skip)("soak: Python runners killed mid-work, recovery finishes everything", () => {
  beforeAll(() => {
    assertToolchain(tools);
    dir = mkdtempSync(join(tmpdir(), "pynenc-status-soak-"));
  });
  afterAll(async () => {
    killRunning(children);
    await server?.kill();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test(`${RUNNERS} runners, ${KILLED} killed mid-work, ${COUNT} invocations all final`, {
    timeout: 90_000,
  }, async () => {
    const started = Date.now();
    server = await startServerProcess([
      "--store",
      `sqlite:${join(dir, "soak.db")}`,
      "--max-pending-seconds",
      "3",
      "--runner-dead-after-seconds",
      String(DEAD_AFTER_S),
      "--recovery-interval-seconds",
      "0.5",
    ]);
    const target = server.grpcAddress;
    const client = createClient(StatusService, createGrpcTransport({ baseUrl: `http://${target}` }));

    // The live state of every invocation, from a watch of every change since revision 1.
    const current = new Map<string, StatusRecord>();
    const stopWatch = new AbortController();
    let watchError: unknown;
    const watching = (async () => {
      for await (const response of client.watchStatus({ startRevision: 1n }, { signal: stopWatch.signal })) {
        if (response.event.case === "change")
          current.set(response.event.value.record!.invocationId, response.event.value.record!);
      }
    })().catch((error: unknown) => {
      if (!stopWatch.signal.aborted) watchError = error;
    });
    const finals = () => {
      if (watchError) throw watchError;
      return [...current.values()].filter((r) => isEnd(r.status)).length;
    };

    const ids = Array.from({ length: COUNT }, (_, i) => `soak-${String(i).padStart(3, "0")}`);
    for (let i = 0; i < COUNT; i += 100) {
      await Promise.all(
        ids.slice(i, i + 100).map((invocationId) => client.transition({ invocationId, status: S.REGISTERED })),
      );
    }

    const runnerPy = join(REPO_ROOT, "examples", "python-runner", "runner.py");
    const env = { ...process.env, PYTHONPATH: join(REPO_ROOT, "gen", "python"), PYTHONDONTWRITEBYTECODE: "1" };
    const runnerIds = [...Array.from({ length: RUNNERS - SLOW.length }, (_, i) => `r${i}`), ...SLOW];
    const runners = new Map(
      runnerIds.map((id) => {
        const slow = SLOW.includes(id);
        const args = [
          runnerPy,
          "--target",
          target,
          "--runner-id",
          id,
          "--claim",
          "--heartbeat-seconds",
          "0.5",
          // A batch small enough that its last invocation starts well within --max-pending-seconds.
          "--claim-batch",
          slow ? "1" : "3",
          "--work-seconds",
          slow ? String(DEAD_AFTER_S + 0.5) : "0.3",
          "--idle-exit-seconds",
          "120", // they are stopped at the end, not by idling
        ];
        return [id, startChild(tools.python, args, env)] as const;
      }),
    );
    const log = () => [...runners].map(([id, r]) => `--- ${id}\n${r.stderr()}`).join("\n");

    // At a quarter done, kill the 5 (fast) runners that started a RUNNING invocation most recently,
    // so each is killed in the middle of that run.
    await waitUntil(
      () => finals() >= COUNT / 4,
      45_000,
      () => `25% final (${finals()}); runner logs:\n${log()}`,
    );
    let victims: StatusRecord[] = [];
    const chooseVictims = () => {
      const byRunner = new Map<string, StatusRecord>();
      for (const r of current.values()) {
        if (r.status !== S.RUNNING || SLOW.includes(r.runnerId!)) continue;
        const seen = byRunner.get(r.runnerId!);
        if (!seen || seen.revision < r.revision) byRunner.set(r.runnerId!, r);
      }
      const recent = Date.now() - 150; // at least half of its 0.3 s of work is still ahead
      victims = [...byRunner.values()]
        .filter((r) => timestampMs(r.timestamp!) > recent)
        .sort((a, b) => Number(b.revision - a.revision));
      return victims.length >= KILLED;
    };
    await waitUntil(chooseVictims, 10_000, () => `${KILLED} runners mid-work`);
    const killedAt = new Map<string, number>();
    for (const victim of victims.slice(0, KILLED)) {
      killedAt.set(victim.runnerId!, Date.now());
      runners.get(victim.runnerId!)!.child.kill("SIGKILL");
    }
    const midWork = victims.slice(0, KILLED);
    const finalAtKill = finals();

    await waitUntil(
      () => finals() === COUNT,
      45_000,
      () => `every invocation final (${finals()}/${COUNT}); runner logs:\n${log()}`,
    );
    const allFinalAfter = Date.now() - started;

    // The survivors are all still working (none crashed); stop them.
    const survivors = [...runners].filter(([id]) => !killedAt.has(id));
    for (const [id, r] of survivors) {
      expect(r.child.exitCode, `${id} exited early:\n${r.stderr()}`).toBeNull();
      expect(r.stderr(), id).not.toMatch(/Traceback/);
      r.child.kill("SIGTERM");
    }
    await Promise.all([...runners.values()].map((r) => r.exited));
    stopWatch.abort();
    await watching;

    const lines = [...runners.values()].flatMap((r) => jsonLines<RunnerLine>(r.stdout()));
    const linesBy = new Map<string, string[]>();
    for (const l of lines)
      linesBy.set(l.invocation_id, [...(linesBy.get(l.invocation_id) ?? []), `${l.attempt}|${l.runner}|${l.final}`]);

    let runningRecoveries = 0;
    let pendingRecoveries = 0;
    const recoveredFrom = new Map<string, number>(); // killed runner -> invocations recovered from it
    for (let i = 0; i < COUNT; i += 50) {
      const histories = await Promise.all(
        ids.slice(i, i + 50).map(async (invocationId) => {
          const [{ record }, { entries }] = await Promise.all([
            client.get({ invocationId }),
            client.getHistory({ invocationId }),
          ]);
          return { invocationId, record: record!, entries };
        }),
      );
      for (const { invocationId, record, entries } of histories) {
        const where = `${invocationId}: ${entries.map((e) => `${S[e.record!.status]}(${owner(e) ?? "-"})`).join(" ")}`;
        expect(isEnd(record.status), where).toBe(true);
        expect(entries.at(-1)!.record, where).toEqual(record);
        entries.forEach((entry, k) => {
          const prev = entries[k - 1];
          const status = entry.record!.status;
          expect(entry.previousStatus, where).toBe(statusOf(prev) ?? S.UNSPECIFIED);
          // Never two owners: the owner only changes hands through an entry with no owner.
          if (prev && owner(prev) !== null && owner(entry) !== null) expect(owner(entry), where).toBe(owner(prev));
          if (status === S.RUNNING) {
            expect(statusOf(prev), where).toBe(S.PENDING);
            expect(owner(entry), where).toBe(owner(prev!));
          }
          // A killed runner changes nothing after its death.
          const killed = owner(entry) === null ? undefined : killedAt.get(owner(entry)!);
          if (killed !== undefined) expect(at(entry), where).toBeLessThanOrEqual(killed + KILL_TOLERANCE_MS);
          // Recoveries name their rule and (for RUNNING) the silent runner, then reroute.
          if (status === S.RUNNING_RECOVERY || status === S.PENDING_RECOVERY) {
            const from = owner(prev!)!;
            expect(owner(entry), where).toBeNull();
            expect(statusOf(entries[k + 1]), where).toBe(S.REROUTED);
            expect(SLOW, `${where}: a runner that heartbeats was recovered`).not.toContain(from);
            if (status === S.RUNNING_RECOVERY) {
              runningRecoveries++;
              expect(prev!.record!.status, where).toBe(S.RUNNING);
              expect(entry.reason, where).toMatch(/runner-dead-after-seconds/);
              expect(entry.reason, where).toContain(`runner ${from} `);
            } else {
              pendingRecoveries++;
              expect(prev!.record!.status, where).toBe(S.PENDING);
              expect(entry.reason, where).toMatch(/max-pending-seconds/);
            }
            if (killedAt.has(from)) {
              recoveredFrom.set(from, (recoveredFrom.get(from) ?? 0) + 1);
              // Its heartbeats (every 0.5 s) went on until the kill, so its silence starts then.
              if (status === S.RUNNING_RECOVERY) {
                expect(at(entry), where).toBeGreaterThan(killedAt.get(from)! + DEAD_AFTER_S * 1000 - 1000);
              }
            }
          }
        });
        // The runners' stdout agrees with the history: each reported run is a run that ended,
        // by the runner that owned its RUNNING entry, and every run a survivor ended is reported.
        const reported = linesBy.get(invocationId) ?? [];
        const ended = runsEnded(entries);
        expect(new Set(reported).size, where).toBe(reported.length);
        for (const line of reported) expect(ended, where).toContain(line);
        for (const run of ended) if (!killedAt.has(run.split("|")[1]!)) expect(reported, where).toContain(run);
      }
    }

    // Each killed runner's run in progress was taken back from it by the dead-runner rule.
    for (const { invocationId, runnerId, revision } of midWork) {
      const { entries } = await client.getHistory({ invocationId });
      const k = entries.findIndex((e) => e.record!.revision === revision);
      expect(owner(entries[k]!)).toBe(runnerId);
      expect(statusOf(entries[k + 1]), `${runnerId} was not killed mid-work on ${invocationId}`).toBe(
        S.RUNNING_RECOVERY,
      );
    }
    expect([...recoveredFrom.keys()].sort()).toEqual([...killedAt.keys()].sort());
    // The slow runners, kept alive by heartbeats alone, finished runs longer than the dead-runner limit.
    for (const id of SLOW) expect(lines.filter((l) => l.runner === id).length, id).toBeGreaterThan(0);
    expect(await server.stop()).toBe(0);

    const events = (name: string) => log().split(`"event": "${name}"`).length - 1;
    console.info(
      `soak: ${finalAtKill}/${COUNT} final at the kill of ${[...killedAt.keys()].join(", ")}; all final after ` +
        `${(allFinalAfter / 1000).toFixed(1)} s; recoveries: ${runningRecoveries} running, ${pendingRecoveries} pending; ` +
        `runner events: ${events("lost")} lost, ${events("heartbeat_failed")} heartbeat_failed`,
    );
  });
});

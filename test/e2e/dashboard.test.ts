import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Client, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { InvocationStatus as S, StatusService } from "../../gen/ts/pynenc/status/v1/status_pb.js";
import { chromiumAvailable, launchChromium, type TestBrowser, waitForCounts } from "../helpers/chromium.js";
import { freePort, REPO_ROOT, type ServerProcess, startServerProcess } from "../helpers/server-process.js";
import { run, VENV_PYTHON } from "../helpers/toolchain.js";

// What the functions given to page.waitForFunction and page.evaluate use: they run in the page.
// (Declared here, in this module only: the DOM library would type every Node file as a browser's.)
interface PageElement {
  readonly textContent: string | null;
  getAttribute(name: string): string | null;
}
declare const document: {
  readonly documentElement: { readonly scrollWidth: number };
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): ArrayLike<PageElement> & Iterable<PageElement>;
};
declare const window: { readonly innerWidth: number };

// The dashboard in a real headless Chromium (Debian's, driven by playwright-core), served by a real
// server process on SQLite; invocations come from the Python client, as a pynenc runner sends them.
const available = chromiumAvailable();
const dir = mkdtempSync(join(tmpdir(), "pynenc-status-dashboard-"));
let browser: TestBrowser;
let server: ServerProcess;
let client: Client<typeof StatusService>;
let flags: string[];

/** Register invocations through the generated Python client (gen/python) on the gRPC port. */
async function registerWithPython(ids: string[], taskId: string): Promise<void> {
  const script = `
import sys, grpc
from pynenc_status.v1 import status_pb2, status_pb2_grpc
stub = status_pb2_grpc.StatusServiceStub(grpc.insecure_channel(sys.argv[1]))
for invocation_id in sys.argv[3:]:
    stub.Transition(status_pb2.TransitionRequest(
        invocation_id=invocation_id, task_id=sys.argv[2],
        status=status_pb2.InvocationStatus.INVOCATION_STATUS_REGISTERED))
`;
  const result = await run(VENV_PYTHON, ["-c", script, server.grpcAddress, taskId, ...ids], {
    env: { ...process.env, PYTHONPATH: join(REPO_ROOT, "gen", "python"), PYTHONDONTWRITEBYTECODE: "1" },
  });
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
}

/** The overview's count of a status (`total` for all), or undefined before the first update. */
async function shownCount(page: Page, status: string): Promise<number | undefined> {
  const text = await page.getByTestId(`count-${status}`).textContent();
  const digits = (text ?? "").replace(/\D/g, "");
  return digits === "" ? undefined : Number(digits);
}

/** The counts CountInvocations gives, by pynenc's status name, with `total`. */
async function serverCounts(): Promise<Record<string, number>> {
  const response = await client.countInvocations({});
  const counts: Record<string, number> = { total: Number(response.total) };
  for (const c of response.counts) counts[S[c.status].toLowerCase()] = Number(c.count);
  return counts;
}

async function startServer(): Promise<void> {
  server = await startServerProcess(flags);
  client = createClient(StatusService, createGrpcTransport({ baseUrl: `http://${server.grpcAddress}` }));
}

describe.runIf(available)("the dashboard in headless Chromium", () => {
  beforeAll(async () => {
    // Fixed ports: a restarted server must come back where the open page looks for it.
    flags = [
      "--store",
      `sqlite:${join(dir, "dashboard.db")}`,
      "--listen",
      `127.0.0.1:${await freePort()}`,
      "--http-listen",
      `127.0.0.1:${await freePort()}`,
    ];
    await startServer();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("invocations registered through the Python client show on the overview within a second", async () => {
    const page = await browser.newPage();
    await page.goto(`http://${server.httpAddress}/`);
    await waitForCounts(page, { total: 0, registered: 0 }, 10_000);
    await page.locator(".diagram svg").waitFor();
    await registerWithPython(["py-0", "py-1", "py-2", "py-3", "py-4"], "app.tasks.add");
    const registeredAt = Date.now();
    await waitForCounts(page, { total: 5, registered: 5 }, 1_000);
    expect(Date.now() - registeredAt).toBeLessThan(1_000);
    // The state diagram carries the same count on its node.
    expect(await page.locator("#status-registered text").last().textContent()).toBe("5");
    await client.transition({ invocationId: "py-0", status: S.PENDING, runnerId: "runner-a" });
    await client.transition({ invocationId: "py-0", status: S.RUNNING, runnerId: "runner-a" });
    await client.transition({ invocationId: "py-1", status: S.PENDING, runnerId: "runner-b" });
    await client.heartbeat({ runnerId: "runner-a" });
    await waitForCounts(page, { registered: 3, pending: 1, running: 1 }, 1_000);
    await browser.screenshot(page, "overview");
    await page.close();
  });

  test("opening an invocation shows its history, and its new changes as they happen", async () => {
    const page = await browser.newPage();
    await page.goto(`http://${server.httpAddress}/#/invocations`);
    await page.locator('a[href="#/invocation/py-0"]').click();
    const timeline = page.getByTestId("timeline").locator("li");
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="timeline"] li').length === 3);
    expect(await timeline.allTextContents()).toEqual([
      expect.stringMatching(/^new → registered/),
      expect.stringMatching(/^registered → pending runner runner-a/),
      expect.stringMatching(/^pending → running runner runner-a/),
    ]);
    await client.transition({ invocationId: "py-0", status: S.SUCCESS, runnerId: "runner-a" });
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="timeline"] li').length === 4);
    expect(await timeline.last().textContent()).toMatch(/^running → success/);
    expect(await page.getByTestId("record").textContent()).toContain("success");
    await browser.screenshot(page, "invocation");
    await page.close();
  });

  test("the invocations table filters by status, id prefix, task and runner", async () => {
    await client.transition({ invocationId: "other-0", status: S.REGISTERED, taskId: "app.tasks.mul" });
    const page = await browser.newPage();
    await page.goto(`http://${server.httpAddress}/#/invocations`);
    const ids = () =>
      page
        .locator('[data-testid="invocations"] tbody tr[data-id]')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute("data-id")));
    const waitForIds = (expected: string[]) =>
      page.waitForFunction(
        (want) =>
          [...document.querySelectorAll('[data-testid="invocations"] tbody tr[data-id]')]
            .map((r) => r.getAttribute("data-id"))
            .join() === want.join(),
        expected,
      );
    await waitForIds(["other-0", "py-0", "py-1", "py-4", "py-3", "py-2"]);
    await page.selectOption('select[name="status"]', "registered");
    await waitForIds(["other-0", "py-4", "py-3", "py-2"]);
    await page.fill('input[name="prefix"]', "py-");
    await page.press('input[name="prefix"]', "Enter");
    await waitForIds(["py-4", "py-3", "py-2"]);
    expect(page.url()).toContain("status=registered");
    // Live: an invocation that newly matches comes to the top.
    await client.transition({ invocationId: "py-5", status: S.REGISTERED, taskId: "app.tasks.add" });
    await waitForIds(["py-5", "py-4", "py-3", "py-2"]);
    await page.selectOption('select[name="status"]', "");
    await page.fill('input[name="prefix"]', "");
    await page.fill('input[name="runner"]', "runner-b");
    await page.press('input[name="runner"]', "Enter");
    await waitForIds(["py-1"]);
    await page.fill('input[name="runner"]', "");
    await page.fill('input[name="task"]', "app.tasks.mul");
    await page.press('input[name="task"]', "Enter");
    await waitForIds(["other-0"]);
    expect(await ids()).toEqual(["other-0"]);
    await browser.screenshot(page, "invocations-filtered");
    await page.close();
  });

  test("every view fits a phone-sized screen", async () => {
    const page = await browser.newPage({ width: 390, height: 844 });
    for (const route of ["#/", "#/invocations", "#/invocation/py-0", "#/runners", "#/feed"]) {
      await page.goto(`http://${server.httpAddress}/${route}`);
      await page.locator("main h2").first().waitFor();
      await page.waitForTimeout(300);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, route).toBeLessThanOrEqual(0);
    }
    await page.goto(`http://${server.httpAddress}/#/`);
    await waitForCounts(page, await serverCounts(), 5_000);
    await browser.screenshot(page, "overview-phone");
    await page.close();
  });

  test("killed and restarted under an open page, the page recovers by itself: counts match, the feed has no gap and no duplicate", async () => {
    const overview = await browser.newPage();
    await overview.goto(`http://${server.httpAddress}/`);
    const feed = await browser.newPage();
    await feed.goto(`http://${server.httpAddress}/#/feed`);
    await feed.locator('[data-state="live"]').waitFor();
    const firstRevision = Number((await client.countInvocations({})).revision) + 1;
    await registerWithPython(["before-0", "before-1"], "app.tasks.add");
    await feed.waitForFunction(() => document.querySelectorAll('[data-testid="feed"] li').length === 2);

    await server.kill();
    await overview.locator('[data-state="reconnecting"]').waitFor({ timeout: 10_000 });
    await startServer();
    // Changes made before the page is back are replayed from its last revision; later ones arrive live.
    await registerWithPython(["after-0", "after-1", "after-2"], "app.tasks.add");
    await client.transition({ invocationId: "after-0", status: S.PENDING, runnerId: "runner-c" });
    await overview.locator('[data-state="live"]').waitFor({ timeout: 20_000 });
    await waitForCounts(overview, await serverCounts(), 5_000);
    for (const [status, n] of Object.entries(await serverCounts()))
      expect(await shownCount(overview, status), status).toBe(n);

    const lastRevision = Number((await client.countInvocations({})).revision);
    await feed.waitForFunction(
      (n) => document.querySelectorAll('[data-testid="feed"] li').length >= n,
      lastRevision - firstRevision + 1,
      {
        timeout: 20_000,
      },
    );
    const revisions = await feed
      .locator('[data-testid="feed"] li')
      .evaluateAll((items) => items.map((li) => Number(li.getAttribute("data-revision"))));
    const expected = Array.from({ length: lastRevision - firstRevision + 1 }, (_, i) => lastRevision - i);
    expect(revisions).toEqual(expected);
    await browser.screenshot(overview, "restart-overview");
    await browser.screenshot(feed, "restart-feed");
    await overview.close();
    await feed.close();
  });
});

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createStatusClient, InvocationStatus as S, type StatusClient } from "../../src/client/index.js";
import { chromiumAvailable, launchChromium, type TestBrowser, waitForCounts } from "../helpers/chromium.js";
import { tokenSha256 } from "../helpers/secured-server.js";
import { type ServerProcess, startServerProcess } from "../helpers/server-process.js";

// What the functions given to page.waitForFunction run on: the page's document.
interface PageElement {
  readonly textContent: string | null;
}
declare const document: {
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): ArrayLike<PageElement>;
};

// The dashboard of a server with principals, in Debian's headless Chromium: it asks for a token,
// and once given one, its streams start over with it and go live.
const available = chromiumAvailable();
const dir = mkdtempSync(join(tmpdir(), "pynenc-status-sign-in-"));
const DASHBOARD_TOKEN = "dashboard-token-0123456789";
let browser: TestBrowser;
let server: ServerProcess;
let producer: StatusClient;

/** Register invocations as the producer, through the TypeScript client on the gRPC port. */
async function register(...ids: string[]): Promise<void> {
  for (const invocationId of ids) await producer.transition({ invocationId, status: S.REGISTERED, taskId: "t" });
}

/** Type a token into the sign-in form and send it. */
async function signIn(page: Page, token: string): Promise<void> {
  await page.getByTestId("token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
}

describe.runIf(available)("the dashboard of a server with principals", () => {
  beforeAll(async () => {
    const principals = join(dir, "principals.json");
    writeFileSync(
      principals,
      JSON.stringify({
        principals: [
          { name: "dashboard", token_sha256: tokenSha256(DASHBOARD_TOKEN), roles: ["reader"] },
          { name: "producer", token_sha256: tokenSha256("producer-token"), roles: ["producer"] },
        ],
      }),
    );
    server = await startServerProcess(["--store", "memory", "--auth-principals", principals]);
    producer = createStatusClient(server.grpcAddress, { token: "producer-token" });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("asks for a token; signed in, the overview's counts and the live feed follow the server", async () => {
    await register("a-0", "a-1");
    const page = await browser.newPage();
    await page.goto(`http://${server.httpAddress}/`);
    await page.getByTestId("sign-in").waitFor();
    expect(await page.locator("#connection").textContent()).toBe("signed out");
    expect(await page.getByTestId("sign-in-prompt").textContent()).toMatch(/sign in with a token/);
    await browser.screenshot(page, "sign-in");

    // A token the server does not know, then one whose principal may not read: the form again, saying why.
    await signIn(page, "not-a-token");
    await page.getByText("refused this token: the bearer token is not known").waitFor();
    await signIn(page, "Bearer producer-token");
    await page.getByText(/principal producer may not call DescribeStateMachine/).waitFor();

    // The dashboard's token (pasted with its scheme and a line break): the overview goes live.
    await signIn(page, ` Bearer ${DASHBOARD_TOKEN}\n`);
    await waitForCounts(page, { total: 2, registered: 2 });
    expect(await page.getByTestId("sign-in").count()).toBe(0);
    await page.locator('[data-state="live"]').waitFor();
    await register("b-0", "b-1", "b-2");
    await waitForCounts(page, { total: 5, registered: 5 });
    await browser.screenshot(page, "sign-in-overview");

    // WatchStatus carries the token too: the live feed shows a new change.
    await page.goto(`http://${server.httpAddress}/#/feed`);
    await page.locator('[data-state="live"]').waitFor();
    await register("c-0");
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="feed"] li').length === 1);

    // A reload keeps the tab's token; signing out forgets it and asks again.
    await page.goto(`http://${server.httpAddress}/#/`);
    await page.reload();
    await waitForCounts(page, { total: 6, registered: 6 });
    await page.getByRole("button", { name: "sign out" }).click();
    await page.getByTestId("sign-in").waitFor();
    expect(await page.getByRole("button", { name: "sign out" }).isVisible()).toBe(false);
    await page.close();
  });
});

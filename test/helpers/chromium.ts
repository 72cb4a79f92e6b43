import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { REPO_ROOT } from "./server-process.js";

/** Debian's Chromium (`apt-get install chromium`; .ci/run installs it). Playwright downloads nothing. */
export const CHROMIUM = "/usr/bin/chromium";

/** Where browser tests save their screenshots (gitignored). */
export const ARTIFACTS_DIR = join(REPO_ROOT, "test-artifacts");

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * Whether the browser suites can run. In CI a missing Chromium fails them (nothing may be skipped
 * there); locally they are skipped with a loud warning.
 */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  const message = `${CHROMIUM} is missing; install Debian's chromium (\`apt-get install -y chromium\`; .ci/run does).`;
  if (process.env.CI === "true") throw new Error(message);
  console.warn(`\n!!! SKIPPING: ${message}\n`);
  return false;
}

/** A headless Chromium with a fresh profile. */
export interface TestBrowser {
  readonly context: BrowserContext;
  /** A new tab, phone-sized when asked. */
  newPage(viewport?: { width: number; height: number }): Promise<Page>;
  /** Save a screenshot of `page` as test-artifacts/NAME.png; returns its path. */
  screenshot(page: Page, name: string): Promise<string>;
  close(): Promise<void>;
}

/** Start Chromium (Debian's, through playwright-core) on a fresh --user-data-dir. */
export async function launchChromium(): Promise<TestBrowser> {
  const userDataDir = mkdtempSync(join(tmpdir(), "pynenc-status-chromium-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1280, height: 900 },
  });
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  return {
    context,
    async newPage(viewport) {
      const page = await context.newPage();
      if (viewport !== undefined) await page.setViewportSize(viewport);
      return page;
    },
    async screenshot(page, name) {
      const path = join(ARTIFACTS_DIR, `${name}.png`);
      await page.screenshot({ path, fullPage: true });
      return path;
    },
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** The page's document, as the function waitForCounts runs in the browser sees it. */
declare const document: { querySelector(selector: string): { readonly textContent: string | null } | null };

/** Wait until the dashboard shows these counts (its tiles, by pynenc's status name, and `total`). */
export async function waitForCounts(page: Page, expected: Record<string, number>, timeoutMs = 5_000): Promise<void> {
  await page.waitForFunction(
    (want) =>
      Object.entries(want).every(
        ([status, n]) =>
          (document.querySelector(`[data-testid="count-${status}"]`)?.textContent ?? "").replace(/\D/g, "") ===
          String(n),
      ),
    expected,
    { timeout: timeoutMs, polling: 20 },
  );
}

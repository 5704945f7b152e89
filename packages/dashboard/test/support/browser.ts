/**
 * What the dashboard's browser tests share: the page built by scripts/build-page.mjs (only when stale, so test files
 * running at once never swap it under each other), headless Debian Chromium through playwright-core, a folder of
 * artifacts per test file, and `capture`, which saves a screenshot with the accessibility tree (ARIA snapshot).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";

/** Deadline of each wait in the browser tests, for a loaded machine. */
export const WAIT = 15_000;

const CHROMIUM = "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Builds the page if its sources changed, then starts headless Chromium. */
export async function launchBrowser(): Promise<Browser> {
  execFileSync(process.execPath, [join(__dirname, "..", "..", "scripts", "build-page.mjs"), "--if-stale"], {
    stdio: "pipe",
  });
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}

/** A new folder for a test file's screenshots and snapshots, under the system's temp folder. */
export function artifactFolder(name: string): string {
  return mkdtempSync(join(tmpdir(), `cpppo-dashboard-${name}-`));
}

/** Saves a screenshot and the ARIA snapshot of the page in `folder`; returns the snapshot for checks. */
export async function capture(page: Page, folder: string, name: string): Promise<string> {
  await page.screenshot({ path: join(folder, `${name}.png`), fullPage: true });
  const tree = await page.locator("body").ariaSnapshot();
  writeFileSync(join(folder, `${name}.aria.yml`), tree);
  return tree;
}

/**
 * The dashboard end to end in headless Chromium (playwright-core driving Debian's /usr/bin/chromium): a real simulator
 * and web API on port 0, a real EtherNet/IP client, the page built by scripts/build-page.mjs. Each state is saved as a
 * screenshot with its accessibility tree (ARIA snapshot) under a temp folder, and the tree is checked for the text
 * that state must show. The simulator and client come from their packages' sources: @cpppo/enip-server depends on
 * this package, so a devDependency back would be a cycle.
 */
import { writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { EnipClient } from "../../enip-client/src/index.js";
import { Controller, EnipServer, startWebApi, type WebApi } from "../../enip-server/src/index.js";
import { DASHBOARD_CSP } from "../src/index.js";
import { artifactFolder, capture, launchBrowser, WAIT } from "./support/browser.js";

const MARKUP = '<img src=x id=pwned><b id="bold">not bold</b>';
const artifacts = artifactFolder("e2e");

jest.setTimeout(55_000);

const tags = ["SCADA=INT[100]", "SPEED=REAL", "TEXT=STRING", "COUNT=DINT"];

describe("dashboard in headless Chromium", () => {
  let browser: Browser;
  let controller: Controller;
  let server: EnipServer;
  let web: WebApi;
  let client: EnipClient | undefined;
  let enipPort = 0;
  let webPort = 0;

  const start = async (token?: string) => {
    server = await EnipServer.start({ controller, host: "127.0.0.1", port: enipPort });
    enipPort = server.tcpAddress?.port ?? 0;
    web = await startWebApi({
      server,
      host: "127.0.0.1",
      port: webPort,
      dashboard: true,
      ...(token !== undefined && { token }),
    });
    webPort = web.address.port;
  };
  const stop = async () => {
    await client?.close().catch(() => undefined);
    client = undefined;
    await web.close();
    await server.close();
  };

  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });
  beforeEach(() => {
    controller = new Controller({ tags });
    controller.tags.get("TEXT")?.setValues(0, [MARKUP]);
    enipPort = 0;
    webPort = 0;
  });

  it("shows live values, edits, injects an error, closes a connection, and survives a restart", async () => {
    await start();
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const blocked: string[] = [];
    page.on("console", (m) => {
      if (/Content.Security.Policy/i.test(m.text())) blocked.push(m.text());
    });
    try {
      const response = await page.goto(web.url, { timeout: WAIT });
      expect(response?.headers()["content-security-policy"]).toBe(DASHBOARD_CSP);
      expect(response?.headers()["cache-control"]).toBe("no-cache");
      await page.getByRole("row", { name: /SCADA/ }).waitFor({ timeout: WAIT });
      await page.getByText("Live", { exact: true }).waitFor({ timeout: WAIT });

      // The markup in a string value is shown as text, never parsed.
      expect(await page.locator("#pwned, #bold").count()).toBe(0);
      expect(await page.getByRole("row", { name: /TEXT/ }).textContent()).toContain(MARKUP);
      let tree = await capture(page, artifacts, "1-live");
      expect(tree).toContain("Simulator dashboard");
      expect(tree).toContain("1756-L61/B LOGIX5561");
      expect(tree).toContain(MARKUP.replace(/"/g, '\\"'));

      // A value written by an EtherNet/IP client appears within 200 ms (timed in the page, not by polling).
      client = await EnipClient.connect({ host: "127.0.0.1", port: enipPort });
      await page.getByRole("button", { name: /^Close connection / }).waitFor({ timeout: WAIT });
      // The connections list shows the peer and the session RegisterSession gave it.
      const [info] = server.connections();
      const session = `0x${(info?.session ?? 0).toString(16).toUpperCase().padStart(8, "0")}`;
      expect(info?.session).not.toBe(0);
      await page.getByRole("row", { name: new RegExp(`${info?.id}.*${session}`) }).waitFor({ timeout: WAIT });
      await page.evaluate(() => {
        const cell = document.querySelector("#tags tbody tr:first-child td.value") as HTMLElement;
        (window as unknown as { seen: Promise<number> }).seen = new Promise<number>((resolve) => {
          const observer = new MutationObserver(() => {
            if (cell.textContent?.includes("[0] 4242")) {
              observer.disconnect();
              resolve(performance.timeOrigin + performance.now());
            }
          });
          observer.observe(cell, { subtree: true, childList: true, characterData: true });
        });
      });
      const written = await client.write("SCADA[0]", [4242], { type: "INT" });
      const wroteAt = Date.now();
      expect(written.ok).toBe(true);
      const seenAt = await page.evaluate(() => (window as unknown as { seen: Promise<number> }).seen);
      const latency = seenAt - wroteAt;
      writeFileSync(join(artifacts, "latency.txt"), `${latency.toFixed(1)} ms\n`);
      expect(latency).toBeLessThan(200);
      tree = await capture(page, artifacts, "2-written");
      expect(tree).toContain("[0] 4242");

      // Edit an element range in the page; read it back over EtherNet/IP.
      await page.getByRole("button", { name: "Edit SCADA" }).click();
      await page.getByLabel("First element").fill("5");
      await page.getByLabel("Values (comma-separated)").fill("11, 12, 13");
      await page.getByRole("button", { name: "Save" }).click();
      await page.getByText("SCADA attribute[5-7] written.").waitFor({ timeout: WAIT });
      const back = await client.read("SCADA[5]", { elements: 3 });
      expect(back.value).toEqual([11, 12, 13]);
      tree = await capture(page, artifacts, "3-edited");
      expect(tree).toContain("[5] 11");

      // A refused value gets the API's reason.
      await page.getByRole("button", { name: "Edit SCADA" }).click();
      await page.getByLabel("Values (comma-separated)").fill("nope");
      await page.getByRole("button", { name: "Save" }).click();
      await page.getByText(/must be a number/).waitFor({ timeout: WAIT });
      await page.keyboard.press("Escape");
      expect(
        await page.getByRole("button", { name: "Edit SCADA" }).evaluate((b) => b === document.activeElement),
      ).toBe(true);

      // Array paging through the JSON API, and a value written past the first page follows live.
      await page.getByRole("button", { name: "Later elements of SCADA" }).click();
      await page.getByText("16–31 of 100").waitFor({ timeout: WAIT });
      expect(await client.write("SCADA[20]", [2020], { type: "INT" })).toMatchObject({ ok: true });
      await page.getByText("[20] 2020").waitFor({ timeout: WAIT });
      await page.getByRole("button", { name: "Earlier elements of SCADA" }).click();
      await page.getByText("0–15 of 100").waitFor({ timeout: WAIT });

      // The name filter (a glob) and the reply delay.
      await page.getByLabel("Filter by name (glob)").fill("S[CP]*");
      await page.getByText("2 of 4 tags match").waitFor({ timeout: WAIT });
      expect(await page.getByRole("row", { name: /^TEXT/ }).count()).toBe(0);
      await page.getByLabel("Filter by name (glob)").fill("");
      await page.getByText("4 of 4 tags match").waitFor({ timeout: WAIT });
      await page.getByLabel("Delay (seconds)").fill("0.01");
      await page.getByRole("button", { name: "Set delay" }).click();
      await page.getByText("Reply delay set to 0.01 s.").waitFor({ timeout: WAIT });
      expect(server.delay.value).toBe(0.01);

      // Inject an error on SPEED from the page: the client gets it.
      await page.getByRole("button", { name: "Edit SPEED" }).click();
      await page.getByLabel("Error status (0 = none)").fill("8");
      await page.getByRole("button", { name: "Save" }).click();
      await page.getByRole("row", { name: /SPEED/ }).getByText("0x08").waitFor({ timeout: WAIT });
      const failed = await client.read("SPEED");
      expect(failed.ok).toBe(false);
      expect(failed.status).toBe(8);
      tree = await capture(page, artifacts, "4-error");
      expect(tree).toMatch(/SPEED.*0x08/);
      await page.getByText(/Errors\/s/).waitFor({ timeout: WAIT });
      await page.waitForFunction(
        () => Number(document.querySelector("#counters dd:nth-of-type(4)")?.textContent) >= 1,
        undefined,
        { timeout: WAIT },
      );

      // Close the client's connection from the page.
      await page.getByRole("button", { name: /^Close connection / }).click();
      await page.getByText("No connections").waitFor({ timeout: WAIT });
      expect(server.connections()).toHaveLength(0);
      tree = await capture(page, artifacts, "5-closed");
      expect(tree).toContain("No connections");
      await client.close().catch(() => undefined);
      client = undefined;

      // Stop the server: the banner; start it again: the page recovers by itself.
      await stop();
      await page
        .getByRole("alert")
        .getByText(/server went away/)
        .waitFor({ timeout: WAIT });
      tree = await capture(page, artifacts, "6-away");
      expect(tree).toMatch(/alert.*server went away/);
      await start();
      await page.getByRole("alert").waitFor({ state: "hidden", timeout: WAIT });
      await page.getByText("Live", { exact: true }).waitFor({ timeout: WAIT });
      // Numeric tags draw a sparkline (uPlot's canvas) once they have two points (one a second at least).
      await page.locator('[aria-label="Trend of SPEED"] canvas').first().waitFor({ timeout: WAIT });
      tree = await capture(page, artifacts, "7-back");
      expect(tree).not.toContain("went away");
      expect(blocked).toEqual([]);

      // Phone width, dark scheme: one column, nothing wider than the screen.
      await page.setViewportSize({ width: 390, height: 844 });
      await page.emulateMedia({ colorScheme: "dark" });
      const layout = await page.evaluate(() => ({
        overflow: document.documentElement.scrollWidth - window.innerWidth,
        background: getComputedStyle(document.body).backgroundColor,
      }));
      expect(layout.overflow).toBeLessThanOrEqual(0);
      expect(layout.background).toBe("rgb(13, 17, 23)");
      tree = await capture(page, artifacts, "8-phone-dark");
      expect(tree).toContain("Tags");
    } finally {
      await context.close();
      await stop().catch(() => undefined);
    }
  });

  it("asks for the token once per session, and another site's page cannot write", async () => {
    await start("t0ken");
    // Another origin (same host, other port: same-site, still not this API's page).
    const evil: Server = createServer((_req, res) => {
      res.writeHead(200, { "Content-Type": "text/html" });
      res.end(
        `<!DOCTYPE html><title>other</title><script>
        const target = ${JSON.stringify(`${web.url}/api.json?group=tags&match=COUNT&command=attribute%5B0%5D&value=666&token=t0ken`)};
        Promise.allSettled([fetch(target, {mode: "no-cors"}), fetch(target)]).then(() => { document.title = "done"; });
        </script>`,
      );
    });
    await new Promise<void>((resolve) => evil.listen(0, "127.0.0.1", resolve));
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    try {
      await page.goto(`http://127.0.0.1:${(evil.address() as { port: number }).port}/`, { timeout: WAIT });
      await page.waitForFunction(() => document.title === "done", undefined, { timeout: WAIT });
      expect(controller.tags.get("COUNT")?.values()).toEqual([0]);

      await page.goto(web.url, { timeout: WAIT });
      const token = page.getByLabel("Web token");
      await token.waitFor({ timeout: WAIT });
      let tree = await capture(page, artifacts, "9-token");
      expect(tree).toMatch(/alert.*needs the web token/);
      expect(await page.getByRole("row", { name: /SCADA/ }).count()).toBe(0);
      await token.fill("wrong");
      await page.getByRole("button", { name: "Connect" }).click();
      await page.getByText(/token was refused/).waitFor({ timeout: WAIT });
      await token.fill("t0ken");
      await page.getByRole("button", { name: "Connect" }).click();
      await page.getByRole("row", { name: /SCADA/ }).waitFor({ timeout: WAIT });
      // Kept for the session: a reload goes straight to the tags.
      await page.reload();
      await page.getByRole("row", { name: /COUNT/ }).waitFor({ timeout: WAIT });
      expect(await page.getByLabel("Web token").isVisible()).toBe(false);
      // Keyboard: the first Tab reaches the skip link.
      await page.keyboard.press("Tab");
      expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Skip to the tags");
      // The page's own writes carry the token and pass.
      await page.getByRole("button", { name: "Edit COUNT" }).click();
      await page.getByLabel("Value", { exact: true }).fill("77");
      await page.getByRole("button", { name: "Save" }).click();
      await page.getByText("COUNT attribute[0] written.").waitFor({ timeout: WAIT });
      expect(controller.tags.get("COUNT")?.values()).toEqual([77]);
      tree = await capture(page, artifacts, "10-token-kept");
      expect(tree).toContain("COUNT");
    } finally {
      await context.close();
      await new Promise<void>((resolve) => evil.close(() => resolve()));
      await stop();
    }
  });
});

/**
 * The `--historize` time-range plot end to end in headless Chromium: a real simulator records a real EtherNet/IP
 * client's writes through @cpppo/history's writer (as `enip-server --historize` does), the web API reads them back
 * through its reader, and the page draws them with uPlot, its time axis in the server's zone (America/Edmonton,
 * while the browser runs in UTC) with the zone's abbreviation. Screenshots and ARIA snapshots are written as
 * artifacts, and the snapshots are checked for the points' count and the axis labels.
 */
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { EnipClient } from "../../enip-client/src/index.js";
import {
  Controller,
  EnipServer,
  type HistoryReply,
  historize,
  startWebApi,
  type WebApi,
} from "../../enip-server/src/index.js";
import { getZone, HistoryWriter, readRecordBatches } from "../../history/src/index.js";
import { artifactFolder, capture, launchBrowser, WAIT } from "./support/browser.js";

const ZONE = "America/Edmonton";
const artifacts = artifactFolder("history-e2e");

jest.setTimeout(55_000);

describe("history plot in headless Chromium", () => {
  let browser: Browser;
  let server: EnipServer;
  let web: WebApi;
  let writer: HistoryWriter;
  let client: EnipClient | undefined;
  let stopRecording: () => void;

  beforeAll(async () => {
    const path = join(artifacts, "plc.hst");
    writer = new HistoryWriter(path);
    const controller = new Controller({ tags: ["SCADA=INT[4]", "SPEED=REAL"] });
    stopRecording = historize(controller, writer);
    server = await EnipServer.start({ controller, host: "127.0.0.1", port: 0 });
    web = await startWebApi({
      server,
      host: "127.0.0.1",
      port: 0,
      dashboard: true,
      history: {
        read: (range) => readRecordBatches(path, range),
        zone: getZone(ZONE),
        flush: () => writer.flush(),
      },
    });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await client?.close().catch(() => undefined);
    await browser?.close();
    await web?.close();
    await server?.close();
    stopRecording?.();
    await writer?.close();
  });

  it("plots a tag's recorded writes over the last 5 minutes and a custom range, axes in the server's zone", async () => {
    client = await EnipClient.connect({ host: "127.0.0.1", port: server.tcpAddress?.port ?? 0 });
    const written = [3, 141, 59, 26, 535];
    // Half a second apart: wider than a bucket of a 5-minute plot (300 s / 666), so none is decimated away.
    for (const v of written) {
      expect((await client.write("SCADA[1]", [v], { type: "INT" })).ok).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect((await client.write("SPEED", [2.5], { type: "REAL" })).ok).toBe(true);

    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, timezoneId: "UTC" });
    const page = await context.newPage();
    try {
      await page.goto(web.url, { timeout: WAIT });
      await page.getByRole("heading", { name: "History" }).waitFor({ timeout: WAIT });
      await page.getByLabel("Tag", { exact: true }).fill("SCADA");
      await page.getByLabel("Time range").selectOption({ label: "Last 5 minutes" });
      const replied = page.waitForResponse((r) => r.url().includes("/api/history?"), { timeout: WAIT });
      await page.getByRole("button", { name: "Plot", exact: true }).click();
      const reply = (await (await replied).json()) as HistoryReply;
      // The server's points: SCADA[1] holds every value the client wrote, in order.
      const scada1 = reply.series.find((s) => s.name === "SCADA[1]");
      expect(scada1?.values).toEqual(written);
      expect(reply.count).toBeGreaterThanOrEqual(written.length);
      expect(reply.zone.name).toBe(ZONE);
      const abbreviation = reply.zone.segments[0]?.abbreviation as string;
      expect(abbreviation).toMatch(/^M[SD]T$/);

      const caption = page.locator("#history-caption");
      await caption.getByText(`${reply.count} points of SCADA`).waitFor({ timeout: WAIT });
      const axis = page.locator("#history-axis");
      await axis.getByText(`Time axis (${ZONE}):`).waitFor({ timeout: WAIT });
      const tree = await capture(page, artifacts, "1-history-5min");
      // The points' count and the axis labels with the zone's abbreviation, as the accessibility tree shows them.
      expect(tree).toContain(`img "History of SCADA: ${reply.count} points from `);
      expect(tree).toMatch(
        new RegExp(
          `${reply.count} points of SCADA \\(\\d+ recorded\\) from \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d(:\\d\\d)? ${abbreviation} to`,
        ),
      );
      const labels = /Time axis \(America\/Edmonton\): ([^"\n]*)/.exec(tree)?.[1]?.split(", ") ?? [];
      expect(labels.length).toBeGreaterThanOrEqual(2);
      for (const label of labels)
        expect(label).toMatch(new RegExp(`^\\d\\d:\\d\\d(:\\d\\d)? ${abbreviation}$`));
      // The labels are the server zone's wall clock, not the browser's UTC: each lies within the range there.
      const wallMinute = (t: number) => Math.floor((t + (reply.zone.segments[0]?.offset ?? 0)) / 60);
      const [from, to] = [wallMinute(reply.since), wallMinute(reply.until)];
      for (const label of labels) {
        const [h, m] = label.split(/[: ]/).map(Number) as [number, number];
        const minute = h * 60 + m;
        // The wall minute of the label, placed in the day of `from` (or the next, across midnight).
        const day = Math.floor(from / 1440) * 1440;
        const at = day + minute < from ? day + 1440 + minute : day + minute;
        expect(at).toBeGreaterThanOrEqual(from);
        expect(at).toBeLessThanOrEqual(to);
      }
      expect(await page.locator("#history-plot canvas").count()).toBeGreaterThan(0);

      // A custom range that ends before the writes shows no points, and says so.
      await page.getByLabel("Time range").selectOption({ label: "Custom" });
      await page.getByLabel("From (this browser's time)").fill("2020-01-01T00:00:00");
      await page.getByLabel("To", { exact: true }).fill("2020-01-01T01:00:00");
      await page.getByRole("button", { name: "Plot", exact: true }).click();
      await caption
        .getByText(/^No points of SCADA from 2019-12-31 17:00 MST to 18:00 MST/)
        .waitFor({ timeout: WAIT });
      await capture(page, artifacts, "2-history-custom-empty");

      // The row's History button plots that tag (one series, the REAL written).
      const next = page.waitForResponse((r) => r.url().includes("/api/history?"), { timeout: WAIT });
      await page.getByLabel("Time range").selectOption({ label: "Last hour" });
      await page.getByRole("button", { name: "Plot the history of SPEED" }).click();
      const speed = (await (await next).json()) as HistoryReply;
      expect(speed.series.map((s) => s.name)).toEqual(["SPEED[0]"]);
      expect(speed.series[0]?.values).toContain(2.5);
      await caption.getByText(`${speed.count} points of SPEED`).waitFor({ timeout: WAIT });
      await capture(page, artifacts, "3-history-speed");
    } finally {
      await context.close();
    }
  });
});

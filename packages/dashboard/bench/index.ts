/**
 * The dashboard's benchmarks (issue 15): (1) 1,000 tags changing 10 times a second with one dashboard open in
 * headless Chromium: the server's CPU for the event stream, and the page's handler time, frame interval and lag
 * (no growing backlog); (2) 50 dashboards (event-stream readers in another process) on one simulator: the p99
 * latency of a normal EtherNet/IP client (another process) against none.
 */
import { execFileSync, spawn } from "node:child_process";
import { join } from "node:path";
import { printMachine, report } from "@cpppo/bench-kit";
import { chromium } from "playwright-core";
import { Controller, EnipServer, startWebApi } from "../../enip-server/src/index.js";

const here = import.meta.dirname;
const tsx = join(here, "..", "..", "..", "node_modules", ".bin", "tsx");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const quantile = (values: number[], q: number) => {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
};
const median = (values: number[]) => quantile(values, 0.5);

/** Writes every tag every 100 ms (10 changes a second each); returns the stop function. */
function churn(controller: Controller, names: string[]): () => void {
  let n = 0;
  const timer = setInterval(() => {
    n++;
    for (const name of names) controller.tags.get(name)?.setValues(0, [n]);
  }, 100);
  return () => clearInterval(timer);
}

/** This process's CPU over `ms`, as a fraction of one core. */
async function cpu(ms: number): Promise<number> {
  const u0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(ms);
  const u = process.cpuUsage(u0);
  return (u.user + u.system) / 1000 / (performance.now() - t0);
}

function run(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(tsx, ["--conditions=@cpppo/source", ...args], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
    });
    child.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`${args[0]} exited ${code}`))));
  });
}

async function thousandTags(): Promise<void> {
  const names = Array.from({ length: 1000 }, (_, i) => `T${i}`);
  const controller = new Controller({ tags: names.map((n) => `${n}=DINT`) });
  const server = await EnipServer.start({ controller, host: "127.0.0.1", port: 0 });
  const web = await startWebApi({ server, host: "127.0.0.1", port: 0, dashboard: true });
  const stop = churn(controller, names);
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  try {
    await sleep(1000);
    const idle = await cpu(5000);
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.addInitScript(() => {
      const w = window as unknown as { lags: number[]; loaf: number[] };
      w.lags = [];
      w.loaf = [];
      const Native = window.EventSource;
      window.EventSource = class extends Native {
        constructor(url: string | URL, init?: EventSourceInit) {
          super(url, init);
          this.addEventListener("tags", (e) => {
            w.lags.push(Date.now() - (JSON.parse((e as MessageEvent<string>).data) as { at: number }).at);
          });
        }
      };
      try {
        new PerformanceObserver((list) => {
          for (const e of list.getEntries()) w.loaf.push(e.duration);
        }).observe({ type: "long-animation-frame", buffered: true });
      } catch {
        // Not in this browser.
      }
    });
    await page.goto(web.url);
    await page.getByRole("row", { name: /T49/ }).waitFor({ timeout: 20_000 });
    await sleep(2000);
    await page.evaluate(() => {
      const w = window as unknown as { lags: number[]; loaf: number[] };
      w.lags.length = 0;
      w.loaf.length = 0;
      performance.clearMeasures();
    });
    // Frame intervals from here on (a frame that waits on the page's work comes late). A string: tsx would wrap
    // a named function in a helper the page does not have.
    await page.evaluate(`{
      let last = 0;
      const step = (t) => {
        if (last) window.frames_.push(t - last);
        last = t;
        requestAnimationFrame(step);
      };
      window.frames_ = [];
      requestAnimationFrame(step);
    }`);
    const watched = await cpu(10_000);
    const stats = await page.evaluate(() => {
      const w = window as unknown as { lags: number[]; loaf: number[] };
      return {
        lags: w.lags,
        frames: (window as unknown as { frames_: number[] }).frames_,
        loaf: w.loaf,
        handler: performance.getEntriesByName("cpppo:tags").map((e) => e.duration),
      };
    });
    console.log(
      `# 1000 tags x 10/s: server CPU ${(idle * 100).toFixed(1)} % of a core without a dashboard, ${(watched * 100).toFixed(1)} % with one; ${stats.lags.length} tags events, ${stats.frames.length} frames, ${stats.loaf.length} long animation frames (> 50 ms)`,
    );
    report("dashboard.stream-cpu-1000-tags", Math.max(0, watched - idle) * 100, "%core");
    report("dashboard.page-tags-handler-p95", quantile(stats.handler, 0.95), "ms");
    report("dashboard.page-frame-interval-p95", quantile(stats.frames, 0.95), "ms");
    // A frame later than 1.5 display frames (25 ms at 60 Hz) is one the page's work held back.
    report(
      "dashboard.page-late-frames",
      (stats.frames.filter((f) => f > 25).length / stats.frames.length) * 100,
      "%",
    );
    report("dashboard.page-event-lag-p95", quantile(stats.lags, 0.95), "ms");
    const half = Math.floor(stats.lags.length / 2);
    report("dashboard.page-event-lag-first-half-median", median(stats.lags.slice(0, half)), "ms");
    report("dashboard.page-event-lag-second-half-median", median(stats.lags.slice(half)), "ms");
  } finally {
    stop();
    await browser.close();
    await web.close();
    await server.close();
  }
}

async function fiftyDashboards(): Promise<void> {
  const names = Array.from({ length: 100 }, (_, i) => `T${i}`);
  const controller = new Controller({ tags: ["D=DINT", ...names.map((n) => `${n}=DINT`)] });
  const server = await EnipServer.start({ controller, host: "127.0.0.1", port: 0 });
  const web = await startWebApi({ server, host: "127.0.0.1", port: 0 });
  const stop = churn(controller, names);
  const port = String(server.tcpAddress?.port);
  const client = async () =>
    JSON.parse(await run([join(here, "latency-client.ts"), port, "5000"])) as { p50: number; p99: number };
  const without: number[] = [];
  const withDashboards: number[] = [];
  try {
    for (let round = 0; round < 5; round++) {
      without.push((await client()).p99);
      const readers = spawn(
        tsx,
        ["--conditions=@cpppo/source", join(here, "sse-clients.ts"), `${web.url}/api/events`, "50"],
        { stdio: ["ignore", "pipe", "inherit"] },
      );
      await new Promise<void>((resolve) =>
        readers.stdout.on("data", (c: Buffer) => c.includes("ready") && resolve()),
      );
      withDashboards.push((await client()).p99);
      readers.kill();
      await new Promise((resolve) => readers.once("exit", resolve));
    }
    console.log(
      `# 50 dashboards: p99 without ${without.map((v) => v.toFixed(3)).join(", ")} ms; with ${withDashboards.map((v) => v.toFixed(3)).join(", ")} ms`,
    );
    const a = median(without);
    const b = median(withDashboards);
    report("dashboard.enip-read-p99-no-dashboards", a, "ms");
    report("dashboard.enip-read-p99-50-dashboards", b, "ms");
    report("dashboard.enip-read-p99-rise", ((b - a) / a) * 100, "%");
  } finally {
    stop();
    await web.close();
    await server.close();
  }
}

printMachine();
execFileSync(process.execPath, [join(here, "..", "scripts", "build-page.mjs")], { stdio: "inherit" });
await thousandTags();
await fiftyDashboards();

import { execFileSync } from "node:child_process";
import { EventEmitter } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { main } from "../src/main.js";
import { DEADLINE_MS, Sink } from "./support/sink.js";

const DASHBOARD = resolve(__dirname, "..", "..", "..", "packages", "dashboard");

describe("enip-server -w serves the dashboard", () => {
  let workDir: string;
  beforeAll(() => {
    // The page is a build product: build it when this checkout has not, or its sources changed.
    execFileSync(process.execPath, [join(DASHBOARD, "scripts", "build-page.mjs"), "--if-stale"], {
      stdio: "pipe",
    });
  });
  beforeEach(async () => {
    workDir = await mkdtemp(join(tmpdir(), "enip-server-dashboard-"));
  });
  afterEach(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  it("at / with its CSP and caching, /api unchanged, and the event stream at /api/events", async () => {
    const stdout = new Sink();
    const stderr = new Sink();
    const signals = new EventEmitter();
    const exit = main(["-v", "-a", "127.0.0.1:0", "-A", "-w", "127.0.0.1:0", "SCADA=INT[10]"], {
      stdout,
      stderr,
      env: {},
      cwd: workDir,
      home: workDir,
      systemDir: workDir,
      signals,
    });
    try {
      const web = Number((await stdout.waitFor(/Web API address = \('127\.0\.0\.1', (\d+)\)/))[1]);
      const base = `http://127.0.0.1:${web}`;
      const opts = { signal: AbortSignal.timeout(DEADLINE_MS), redirect: "manual" as const };
      const page = await fetch(`${base}/`, opts);
      expect(page.status).toBe(200);
      expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(page.headers.get("cache-control")).toBe("no-cache");
      expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
      const html = await page.text();
      const script = /<script type="module" src="([^"]+)"><\/script>/.exec(html)?.[1] ?? "";
      expect(script).toMatch(/^\/assets\/main-\w+\.js$/);
      const js = await fetch(`${base}${script}`, opts);
      expect(js.status).toBe(200);
      expect(js.headers.get("cache-control")).toContain("immutable");
      await js.arrayBuffer();

      const api = await fetch(`${base}/api/tags/SCADA/error`, opts);
      expect(api.headers.get("content-type")).toBe("application/json; charset=utf-8");
      expect(((await api.json()) as { data: unknown }).data).toEqual({ tags: { SCADA: { error: 0 } } });

      const events = await fetch(`${base}/api/events`, opts);
      expect(events.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
      const reader = events.body?.getReader();
      let text = "";
      while (!text.includes("\n\n") && reader) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
        if (text.includes("event: hello")) break;
      }
      expect(text).toContain("event: hello");
      await reader?.cancel();
      expect(stderr.text).toContain(`dashboard on ${base}/`);
    } finally {
      signals.emit("SIGINT");
      expect(await exit).toBe(0);
    }
  });
});

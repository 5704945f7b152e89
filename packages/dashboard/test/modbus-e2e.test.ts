/**
 * `modbus-sim -w` in headless Chromium: the same page shows the simulator's register and coil ranges, a value
 * written by a real Modbus client (Debian's mbpoll) appears, an edit in the page reads back over Modbus/TCP, and an
 * error set on a range makes the client's request fail; a polling mbpoll shows as a connection with its unit id, its
 * requests and exceptions move the counters, the page closes it, and the reply delay set in the page holds a raw
 * Modbus/TCP request. The CLI comes from its app's source (see e2e.test.ts).
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { EventEmitter, once } from "node:events";
import { connect } from "node:net";
import type { Browser } from "playwright-core";
import { main } from "../../../apps/modbus-sim/src/main.js";
import { artifactFolder, capture, launchBrowser, WAIT } from "./support/browser.js";

const artifacts = artifactFolder("modbus-e2e");

jest.setTimeout(55_000);

class Sink {
  text = "";
  private waiters: (() => void)[] = [];
  write(chunk: string): boolean {
    this.text += chunk;
    for (const w of this.waiters.splice(0)) w();
    return true;
  }
  async waitFor(re: RegExp): Promise<RegExpExecArray> {
    const deadline = Date.now() + WAIT;
    for (;;) {
      const m = re.exec(this.text);
      if (m) return m;
      if (Date.now() > deadline) throw new Error(`no ${re} in ${JSON.stringify(this.text)}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }
}

/** Runs mbpoll once; resolves to its exit status and output (never rejects on a non-zero status). */
function mbpoll(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile("mbpoll", ["-m", "tcp", "-1", ...args], { timeout: WAIT }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
    );
  });
}

/** Milliseconds one raw FC3 request (unit 1, holding register 40001) takes to be answered on `port`. */
async function timedRead(port: number): Promise<number> {
  const socket = connect({ port: Number(port), host: "127.0.0.1" });
  await once(socket, "connect");
  const started = performance.now();
  socket.write(Buffer.from("000100000006010300000001", "hex"));
  const replied = once(socket, "data");
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error(`no reply within ${WAIT} ms`)), WAIT).unref(),
  );
  try {
    const [reply] = (await Promise.race([replied, timeout])) as [Buffer];
    expect(reply.toString("hex")).toBe("00010000000501030200" + "07");
    return performance.now() - started;
  } finally {
    socket.destroy();
  }
}

describe("modbus-sim -w: the dashboard for registers and coils", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("shows ranges live, edits them, and an injected error fails the client's request", async () => {
    const stdout = new Sink();
    const stderr = new Sink();
    const signals = new EventEmitter();
    const exit = main(["-a", "127.0.0.1:0", "-w", "127.0.0.1:0", "40001-40010=7", "1-8=1"], {
      stdout,
      stderr,
      signals,
      cwd: artifacts,
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    try {
      const port = (await stdout.waitFor(/address = 127\.0\.0\.1:(\d+)/))[1] ?? "";
      const url = (await stdout.waitFor(/Web dashboard = (\S+)/))[1] ?? "";
      await page.goto(url, { timeout: WAIT });
      await page.getByRole("row", { name: /^40001 HOLDING_REGISTER\[10\]/ }).waitFor({ timeout: WAIT });
      await page.getByRole("row", { name: /^1 COIL\[8\]/ }).waitFor({ timeout: WAIT });
      expect(await page.getByRole("row", { name: /^40001/ }).textContent()).toContain("[0] 7");

      // A register written by mbpoll appears in the page.
      expect((await mbpoll(["-p", port, "-t", "4", "-r", "1", "127.0.0.1", "1234"])).code).toBe(0);
      await page.getByText("[0] 1234").waitFor({ timeout: WAIT });

      // An element range edited in the page reads back over Modbus/TCP.
      await page.getByRole("button", { name: "Edit 40001" }).click();
      await page.getByLabel("First element").fill("2");
      await page.getByLabel("Values (comma-separated)").fill("5, 6");
      await page.getByRole("button", { name: "Save" }).click();
      await page.getByText("40001 attribute[2-3] written.").waitFor({ timeout: WAIT });
      const back = await mbpoll(["-p", port, "-t", "4", "-r", "3", "-c", "2", "127.0.0.1"]);
      expect(back.out).toMatch(/\[3\]:\s+5\b/);
      expect(back.out).toMatch(/\[4\]:\s+6\b/);

      // A coil set false in the page.
      await page.getByRole("button", { name: "Edit 1" }).click();
      await page.getByLabel("Values (comma-separated)").fill("false");
      await page.getByRole("button", { name: "Save" }).click();
      await page.getByText("1 attribute[0] written.").waitFor({ timeout: WAIT });
      const coil = await mbpoll(["-p", port, "-t", "0", "-r", "1", "-c", "2", "127.0.0.1"]);
      expect(coil.out).toMatch(/\[1\]:\s+0\b/);
      expect(coil.out).toMatch(/\[2\]:\s+1\b/);

      // An error on the range refuses the client's read.
      await page.getByRole("button", { name: "Edit 40001" }).click();
      await page.getByLabel("Error status (0 = none)").fill("4");
      await page.getByRole("button", { name: "Save" }).click();
      await page
        .getByRole("row", { name: /^40001/ })
        .getByText("0x04")
        .waitFor({ timeout: WAIT });
      const refused = await mbpoll(["-p", port, "-t", "4", "-r", "1", "127.0.0.1"]);
      expect(refused.code).not.toBe(0);
      const tree = await capture(page, artifacts, "modbus");
      expect(tree).toMatch(/40001 HOLDING_REGISTER\[10\] \[0\] 1234 \[1\] 7 \[2\] 5 \[3\] 6/);
      expect(tree).toMatch(/row "1 COIL\[8\] \[0\] false \[1\] true/);
    } finally {
      await context.close();
      signals.emit("SIGINT");
      expect(await exit).toBe(0);
    }
  });

  it("shows a polling client's connection and counters, closes it, and sets the reply delay", async () => {
    const stdout = new Sink();
    const stderr = new Sink();
    const signals = new EventEmitter();
    const exit = main(["-a", "127.0.0.1:0", "-w", "127.0.0.1:0", "40001-40010=7"], {
      stdout,
      stderr,
      signals,
      cwd: artifacts,
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    let poller: ChildProcess | undefined;
    try {
      const port = (await stdout.waitFor(/address = 127\.0\.0\.1:(\d+)/))[1] ?? "";
      const url = (await stdout.waitFor(/Web dashboard = (\S+)/))[1] ?? "";
      await page.goto(url, { timeout: WAIT });
      await page.getByText("Live", { exact: true }).waitFor({ timeout: WAIT });
      await page.getByText("No connections").waitFor({ timeout: WAIT });

      // mbpoll polls unit 5 every 100 ms for 20 registers: past the 10 defined, so each read is an exception.
      poller = spawn(
        "mbpoll",
        ["-m", "tcp", "-p", port, "-a", "5", "-t", "4", "-r", "1", "-c", "20", "-l", "100", "127.0.0.1"],
        {
          stdio: "ignore",
        },
      );
      const close = page.getByRole("button", { name: /^Close connection 127_0_0_1_\d+$/ });
      await close.first().waitFor({ timeout: WAIT });
      const label = (await close.first().getAttribute("aria-label")) ?? "";
      const id = label.replace("Close connection ", "");
      const row = page.getByRole("row", { name: new RegExp(`^${id} 127\\.0\\.0\\.1:\\d+ 5 \\d+`) });
      await row.waitFor({ timeout: WAIT });
      expect(await page.getByRole("columnheader", { name: "Unit ids" }).count()).toBe(1);
      // The counters move: requests/s and errors/s above zero, the totals growing.
      await page.waitForFunction(
        () => {
          const dd = [...document.querySelectorAll("#counters dd")].map((d) => Number(d.textContent));
          return (dd[0] ?? 0) > 0 && (dd[1] ?? 0) > 0 && (dd[2] ?? 0) >= 3 && (dd[3] ?? 0) >= 3;
        },
        undefined,
        { timeout: WAIT },
      );
      let tree = await capture(page, artifacts, "modbus-connection");
      expect(tree).toMatch(new RegExp(`rowheader "${id}"`));
      expect(tree).toMatch(/term: Requests\/s\s+- definition: "[1-9][\d.]*"/);
      expect(tree).toMatch(/term: Errors\/s\s+- definition: "[1-9][\d.]*"/);

      // Closed from the page: that connection leaves the list (mbpoll may connect again, under another port).
      await page.getByRole("button", { name: label }).click();
      await page.getByText(`Connection ${id} closed.`).waitFor({ timeout: WAIT });
      await page
        .getByRole("rowheader", { name: id, exact: true })
        .waitFor({ state: "detached", timeout: WAIT });
      poller.kill();
      await page.getByText("No connections").waitFor({ timeout: WAIT });

      // The reply delay set in the page holds a request; set back to 0, replies are prompt again.
      expect(await timedRead(Number(port))).toBeLessThan(WAIT);
      await page.getByLabel("Delay (seconds)").fill("0.4");
      await page.getByRole("button", { name: "Set delay" }).click();
      await page.getByText("Reply delay set to 0.4 s.").waitFor({ timeout: WAIT });
      expect(await timedRead(Number(port))).toBeGreaterThanOrEqual(390);
      await page.getByLabel("Delay (seconds)").fill("0");
      await page.getByRole("button", { name: "Set delay" }).click();
      await page.getByText("Reply delay set to 0 s.").waitFor({ timeout: WAIT });
      tree = await capture(page, artifacts, "modbus-delay");
      expect(tree).toContain('textbox "Delay (seconds)": "0"');
    } finally {
      poller?.kill();
      await context.close();
      signals.emit("SIGINT");
      expect(await exit).toBe(0);
    }
  });
});

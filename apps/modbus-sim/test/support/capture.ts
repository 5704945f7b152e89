/**
 * A live loopback capture with tshark while a test talks to the simulator, then tshark's verdict on it with the
 * Modbus/TCP dissector on the simulator's port: frames, malformed frames and expert errors (Wireshark, a third
 * party, decides whether the wire is clean).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** How long tshark may take to start, to catch up or to stop. */
const WAIT_MS = 20_000;

/** What tshark made of the capture. */
export interface CaptureVerdict {
  /** One summary line per Modbus/TCP frame. */
  lines: string[];
  malformed: string[];
  expertErrors: string[];
  /** `-V` detail of the flagged frames, for a failing test's message. */
  detail: string;
}

/** A running capture of TCP port `port` on `lo`. */
export class LoopbackCapture {
  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    private readonly file: string,
    readonly port: number,
  ) {}

  /**
   * Starts `tshark -i lo -f "tcp port PORT" -w FILE` and resolves once it is capturing: tshark says "Capturing on"
   * a moment before packets reach the file, so empty connections to the port probe until one shows in it.
   */
  static async start(port: number): Promise<LoopbackCapture> {
    const dir = mkdtempSync(join(tmpdir(), "modbus-sim-capture-"));
    const file = join(dir, "capture.pcapng");
    const child = spawn("tshark", ["-i", "lo", "-f", `tcp port ${port}`, "-w", file], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let err = "";
    await new Promise<void>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`tshark did not start capturing: ${err}`)), WAIT_MS);
      child.stderr?.on("data", (c: Buffer) => {
        err += c.toString();
        if (/Capturing on/.test(err)) {
          clearTimeout(timer);
          ok();
        }
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        fail(new Error(`tshark exited ${code}: ${err}`));
      });
    });
    const capture = new LoopbackCapture(child, dir, file, port);
    const deadline = Date.now() + WAIT_MS;
    while (capture.count("tcp") === 0) {
      if (Date.now() > deadline) throw new Error("tshark captures nothing");
      const probe = connect(port, "127.0.0.1");
      probe.on("error", () => undefined);
      probe.on("connect", () => probe.end());
      await new Promise((ok) => setTimeout(ok, 200));
      probe.destroy();
    }
    return capture;
  }

  /** Frames matching `filter` in the file so far (0 while tshark is still writing its first records). */
  private count(filter: string): number {
    try {
      return this.decode(["-Y", filter]).length;
    } catch {
      return 0; // a file tshark is still writing may end mid-record
    }
  }

  private decode(args: string[]): string[] {
    const out = execFileSync(
      "tshark",
      ["-r", this.file, "-d", `tcp.port==${this.port},mbtcp`, "-o", `mbtcp.tcp.port:${this.port}`, ...args],
      { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 60_000 },
    );
    return out.split("\n").filter(Boolean);
  }

  /**
   * Waits until the file holds at least `frames` Modbus/TCP frames (tshark writes as it captures) or the deadline
   * passes, stops tshark and returns its verdict (the caller checks the count).
   */
  async stop(frames: number): Promise<CaptureVerdict> {
    const deadline = Date.now() + WAIT_MS;
    while (Date.now() < deadline && this.count("mbtcp") < frames)
      await new Promise((ok) => setTimeout(ok, 200));
    const exited = new Promise((ok) => this.child.once("exit", ok));
    this.child.kill("SIGINT");
    await exited;
    const lines = this.decode(["-Y", "mbtcp"]);
    const malformed = this.decode(["-Y", "_ws.malformed"]);
    const expertErrors = this.decode(["-Y", "_ws.expert.severity >= 0x00800000"]);
    const detail =
      malformed.length + expertErrors.length > 0
        ? this.decode([
            "-Y",
            "_ws.malformed || _ws.expert.severity >= 0x00800000",
            "-V",
            "-O",
            "mbtcp,modbus",
          ]).join("\n")
        : "";
    return { lines, malformed, expertErrors, detail };
  }

  /** Kills tshark if it still runs and deletes the capture. */
  remove(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
    rmSync(this.dir, { recursive: true, force: true });
  }
}

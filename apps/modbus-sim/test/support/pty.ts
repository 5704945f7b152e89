/** A socat pty pair, the serial line of the RTU tests: what one end writes the other reads, at no baud rate. */
import { type ChildProcess, spawn } from "node:child_process";

/** How long socat may take to make its ptys. */
const WAIT_MS = 20_000;

/** A running pair: its two device paths, and `close()` to end socat. */
export interface PtyPair {
  a: string;
  b: string;
  child: ChildProcess;
  close: () => Promise<void>;
}

/** Starts `socat -d -d pty,raw,echo=0 pty,raw,echo=0` and resolves with the two /dev/pts paths it reports. */
export async function ptyPair(): Promise<PtyPair> {
  const child = spawn("socat", ["-d", "-d", "pty,raw,echo=0", "pty,raw,echo=0"], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let err = "";
  const paths = await new Promise<string[]>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`socat made no ptys: ${err}`)), WAIT_MS);
    child.stderr?.on("data", (c: Buffer) => {
      err += c.toString();
      const found = [...err.matchAll(/PTY is (\/dev\/\S+)/g)].map((m) => m[1] as string);
      if (found.length >= 2 && /starting data transfer loop/.test(err)) {
        clearTimeout(timer);
        ok(found);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      fail(new Error(`socat exited ${code}: ${err}`));
    });
  });
  const close = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((ok) => child.once("exit", ok));
    child.kill("SIGTERM");
    await exited;
  };
  return { a: paths[0] as string, b: paths[1] as string, child, close };
}

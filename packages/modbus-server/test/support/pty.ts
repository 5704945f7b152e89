/** A socat pty pair: two linked serial devices for RTU tests. */
import { type ChildProcess, spawn } from "node:child_process";

export interface PtyPair {
  a: string;
  b: string;
  close(): Promise<void>;
}

/** Starts `socat -d -d pty,raw,echo=0 pty,raw,echo=0` and reads the two device paths from its stderr (10 s deadline). */
export function openPtyPair(): Promise<PtyPair> {
  const child: ChildProcess = spawn("socat", ["-d", "-d", "pty,raw,echo=0", "pty,raw,echo=0"], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  return new Promise((resolve, reject) => {
    const paths: string[] = [];
    let text = "";
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`socat gave no pty paths within 10 s: ${text}`));
    }, 10_000);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      for (const match of text.matchAll(/PTY is (\S+)/g))
        if (!paths.includes(match[1] as string)) paths.push(match[1] as string);
      if (paths.length === 2 && text.includes("starting data transfer loop")) {
        clearTimeout(timer);
        const exited = new Promise<void>((r) => child.once("exit", () => r()));
        resolve({
          a: paths[0] as string,
          b: paths[1] as string,
          close: async () => {
            if (child.exitCode === null) child.kill();
            await exited;
          },
        });
      }
    });
  });
}

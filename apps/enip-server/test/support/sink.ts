/** Test support for in-process runs of `main`: a stream double that records what was written and can wait for it. */

/** How long a test waits for a line, a reply or a file before it fails. */
export const DEADLINE_MS = 8_000;

/** Records the text written to it (stdout or stderr of a run) and resolves waits for a pattern in it. */
export class Sink {
  text = "";
  private waiters: (() => void)[] = [];
  write(chunk: string): boolean {
    this.text += chunk;
    for (const w of this.waiters.splice(0)) w();
    return true;
  }
  lines(): string[] {
    return this.text.split("\n").filter((l) => l !== "");
  }
  /** Resolves with the first match of `re` in what was written, waiting up to the deadline. */
  async waitFor(re: RegExp): Promise<RegExpExecArray> {
    const end = Date.now() + DEADLINE_MS;
    for (;;) {
      const m = re.exec(this.text);
      if (m) return m;
      if (Date.now() > end) throw new Error(`timed out waiting for ${re} in ${JSON.stringify(this.text)}`);
      await new Promise<void>((r) => {
        const timer = setTimeout(r, 50);
        this.waiters.push(() => {
          clearTimeout(timer);
          r();
        });
      });
    }
  }
}

import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";

/** A fresh temporary folder for one test, removed by the returned `cleanup`. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(os.tmpdir(), "cpppo-history-"));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Collects an async iterable into an array. */
export async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}

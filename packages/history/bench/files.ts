// File figures of @cpppo/history: records written to and read from .gz per second, each as a ratio to a raw
// zlib stream of the same bytes measured in the same run (the cost of compression alone).
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { constants, createGunzip, deflateRawSync, gzipSync } from "node:zlib";
import { report, reportRatio } from "@cpppo/bench-kit";
import { formatRecord, HistoryWriter, readRecordBatches, readRecords } from "../src/index.js";

const T0 = 1405461824.186;
const N = 1_000_000;
const CHUNK = 1 << 20;

/**
 * Best of three runs of `run`, in units per second of this process's CPU time (user + system, every thread):
 * the machine is shared, and CPU time holds steady while other processes take the cores in bursts.
 */
async function best(units: number, run: () => Promise<unknown> | unknown): Promise<number> {
  let top = 0;
  for (let i = 0; i < 3; i++) {
    const before = process.cpuUsage();
    await run();
    const used = process.cpuUsage(before);
    top = Math.max(top, units / ((used.user + used.system) / 1e6));
  }
  return top;
}

/** Runs the file figures whose names start with `only` (all when empty). */
export async function benchFiles(only = ""): Promise<void> {
  const wanted = (figure: string) => `history.${figure}`.startsWith(only) || figure.startsWith(only);
  if (!wanted("write-gz") && !wanted("read-gz")) return;
  const dir = mkdtempSync(join(os.tmpdir(), "cpppo-history-bench-"));
  try {
    // Historize-like records: a 4-element write of a tag, one every 10 ms.
    const serial = ["Tag_Name", [0, 3]];
    const data = Array.from({ length: 1024 }, (_, i) => ({ write: [i, i + 1, i + 2, i + 3] }));
    let text = "";
    for (let i = 0; i < N; i++) text += formatRecord(T0 + i / 100, serial, data[i & 1023]);
    const bytes = Buffer.from(text);
    text = "";
    const chunks: Buffer[] = [];
    for (let at = 0; at < bytes.length; at += CHUNK) chunks.push(bytes.subarray(at, at + CHUNK));
    const path = join(dir, "bench.gz");

    if (wanted("write-gz")) {
      // Reference: the same bytes through raw deflate in the same 1 MiB sync-flushed pieces the writer makes.
      const zlibRate = await best(N, () => {
        let n = 0;
        for (const chunk of chunks)
          n += deflateRawSync(chunk, { level: 6, finishFlush: constants.Z_SYNC_FLUSH }).length;
        return n;
      });
      const writeRate = await best(N, async () => {
        rmSync(path, { force: true });
        const writer = new HistoryWriter(path);
        for (let i = 0; i < N; i++) void writer.write(data[i & 1023], { now: T0 + i / 100, serial });
        await writer.close();
      });
      report("history.write-gz", writeRate, "records/cpu-s");
      report("history.write-gz.zlib-reference", zlibRate, "records/cpu-s");
      reportRatio("history.write-gz-vs-zlib", writeRate, zlibRate);
      // The same at zlib level 1 (`gzipLevel: 1`), for a writer that favours speed over size.
      const zlibFast = await best(N, () => {
        let n = 0;
        for (const chunk of chunks)
          n += deflateRawSync(chunk, { level: 1, finishFlush: constants.Z_SYNC_FLUSH }).length;
        return n;
      });
      const writeFast = await best(N, async () => {
        rmSync(path, { force: true });
        const writer = new HistoryWriter(path, { gzipLevel: 1 });
        for (let i = 0; i < N; i++) void writer.write(data[i & 1023], { now: T0 + i / 100, serial });
        await writer.close();
      });
      report("history.write-gz-level1", writeFast, "records/cpu-s");
      report("history.write-gz-level1.zlib-reference", zlibFast, "records/cpu-s");
      reportRatio("history.write-gz-level1-vs-zlib", writeFast, zlibFast);
    }

    if (wanted("read-gz")) {
      writeFileSync(path, gzipSync(bytes, { level: 6 }));
      // Reference: the same file through a zlib gunzip stream, counting lines only.
      const zlibRate = await best(N, async () => {
        let n = 0;
        for await (const chunk of createReadStream(path, { highWaterMark: 256 * 1024 }).pipe(
          createGunzip(),
        ) as AsyncIterable<Buffer>)
          for (let at = chunk.indexOf(10); at >= 0; at = chunk.indexOf(10, at + 1)) n++;
        if (n !== N) throw new Error(`reference counted ${n} lines`);
      });
      const batchRate = await best(N, async () => {
        let n = 0;
        for await (const batch of readRecordBatches(path)) n += batch.length;
        if (n !== N) throw new Error(`read ${n} records`);
      });
      const recordRate = await best(N, async () => {
        let n = 0;
        for await (const _ of readRecords(path)) n++;
        if (n !== N) throw new Error(`read ${n} records`);
      });
      report("history.read-gz", batchRate, "records/cpu-s");
      report("history.read-gz.one-by-one", recordRate, "records/cpu-s");
      report("history.read-gz.zlib-reference", zlibRate, "records/cpu-s");
      reportRatio("history.read-gz-vs-zlib", batchRate, zlibRate);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

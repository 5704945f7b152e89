// File figures of @cpppo/history: records written to and read from .gz per second, each as a ratio to a raw
// zlib stream of the same bytes measured in the same run (the cost of compression alone). Each figure and its
// reference alternate, one pass each at a time, so that a burst of load from other processes falls on both.
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { constants, createGunzip, deflateRawSync, gzipSync } from "node:zlib";
import { report, reportRatio } from "@cpppo/bench-kit";
import { DEFAULT_GZIP_LEVEL } from "../src/files/compression.js";
import { formatRecord, HistoryWriter, readRecordBatches, readRecords } from "../src/index.js";

const T0 = 1405461824.186;
const N = 1_000_000;
const CHUNK = 1 << 20;

/** Passes of each figure and of its reference; the best of each counts. */
const ROUNDS = 4;

/**
 * Units per second of this process's CPU time (user + system, every thread, so zlib's work on the thread pool
 * counts too) of one pass of `run`: the machine is shared, and CPU time holds steady while other processes
 * take the cores in bursts.
 */
async function rate(units: number, run: () => Promise<unknown> | unknown): Promise<number> {
  const before = process.cpuUsage();
  await run();
  const used = process.cpuUsage(before);
  return units / ((used.user + used.system) / 1e6);
}

/** The best rates of `figure` and of its `reference` over `ROUNDS` alternating passes (reference first). */
async function alternating(
  units: number,
  figure: () => Promise<unknown> | unknown,
  reference: () => Promise<unknown> | unknown,
): Promise<[number, number]> {
  let top = 0;
  let ref = 0;
  for (let i = 0; i < ROUNDS; i++) {
    ref = Math.max(ref, await rate(units, reference));
    top = Math.max(top, await rate(units, figure));
  }
  return [top, ref];
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
      // Reference: the same bytes through raw deflate at the same level, in the same 1 MiB sync-flushed
      // pieces the writer makes.
      const deflateAt = (level: number) => () => {
        let n = 0;
        for (const chunk of chunks)
          n += deflateRawSync(chunk, { level, finishFlush: constants.Z_SYNC_FLUSH }).length;
        return n;
      };
      const writeAt = (level: number | undefined) => async () => {
        rmSync(path, { force: true });
        const writer = new HistoryWriter(path, level === undefined ? {} : { gzipLevel: level });
        for (let i = 0; i < N; i++) void writer.write(data[i & 1023], { now: T0 + i / 100, serial });
        await writer.close();
      };
      // The writer's default level (DEFAULT_GZIP_LEVEL), then zlib's default, 6 (the writer's default before).
      const [writeRate, zlibRate] = await alternating(N, writeAt(undefined), deflateAt(DEFAULT_GZIP_LEVEL));
      report("history.write-gz", writeRate, "records/cpu-s");
      report("history.write-gz.zlib-reference", zlibRate, "records/cpu-s");
      reportRatio("history.write-gz-vs-zlib", writeRate, zlibRate);
      const [write6, zlib6] = await alternating(N, writeAt(6), deflateAt(6));
      report("history.write-gz-level6", write6, "records/cpu-s");
      report("history.write-gz-level6.zlib-reference", zlib6, "records/cpu-s");
      reportRatio("history.write-gz-level6-vs-zlib", write6, zlib6);
    }

    if (wanted("read-gz")) {
      writeFileSync(path, gzipSync(bytes, { level: 6 }));
      // Reference: the same file through a zlib gunzip stream, counting lines only.
      const [batchRate, zlibRate] = await alternating(
        N,
        async () => {
          let n = 0;
          for await (const batch of readRecordBatches(path)) n += batch.length;
          if (n !== N) throw new Error(`read ${n} records`);
        },
        async () => {
          let n = 0;
          for await (const chunk of createReadStream(path, { highWaterMark: 256 * 1024 }).pipe(
            createGunzip(),
          ) as AsyncIterable<Buffer>)
            for (let at = chunk.indexOf(10); at >= 0; at = chunk.indexOf(10, at + 1)) n++;
          if (n !== N) throw new Error(`reference counted ${n} lines`);
        },
      );
      let recordRate = 0;
      for (let i = 0; i < ROUNDS; i++)
        recordRate = Math.max(
          recordRate,
          await rate(N, async () => {
            let n = 0;
            for await (const _ of readRecords(path)) n++;
            if (n !== N) throw new Error(`read ${n} records`);
          }),
        );
      report("history.read-gz", batchRate, "records/cpu-s");
      report("history.read-gz.one-by-one", recordRate, "records/cpu-s");
      report("history.read-gz.zlib-reference", zlibRate, "records/cpu-s");
      reportRatio("history.read-gz-vs-zlib", batchRate, zlibRate);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

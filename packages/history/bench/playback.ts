// Playback figures of @cpppo/history: how late each record is handed out at speed 1 (jitter percentiles), and
// whether playback at speed 100 keeps up (lateness at the end no worse than along the way: no backlog).
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { report } from "@cpppo/bench-kit";
import { HistoryWriter, playback } from "../src/index.js";

const T0 = 1405461824.186;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** Plays `count` records `interval` historical seconds apart at `speed`; returns each record's lateness, ms. */
async function lateness(dir: string, count: number, interval: number, speed: number): Promise<number[]> {
  const path = join(dir, `play-${speed}.gz`);
  const writer = new HistoryWriter(path);
  for (let i = 0; i < count; i++) void writer.write({ "40001": i }, { now: T0 + i * interval });
  await writer.close();
  const late: number[] = [];
  const clock = () => (performance.timeOrigin + performance.now()) / 1000;
  for await (const event of playback(path, { speed, clock })) late.push((clock() - event.due) * 1000);
  return late;
}

/** Runs the playback figures whose names start with `only` (all when empty). */
export async function benchPlayback(only = ""): Promise<void> {
  const wanted = (figure: string) => `history.${figure}`.startsWith(only) || figure.startsWith(only);
  if (!wanted("playback")) return;
  const dir = mkdtempSync(join(os.tmpdir(), "cpppo-history-bench-"));
  try {
    // Speed 1: a record every 5 ms for 3 s.
    const one = (await lateness(dir, 600, 0.005, 1)).sort((a, b) => a - b);
    report("history.playback-speed1.jitter-p50", percentile(one, 50), "ms");
    report("history.playback-speed1.jitter-p90", percentile(one, 90), "ms");
    report("history.playback-speed1.jitter-p99", percentile(one, 99), "ms");
    report("history.playback-speed1.within-2ms", (100 * one.filter((l) => l < 2).length) / one.length, "%");
    report("history.playback-speed1.jitter-max", one[one.length - 1] as number, "ms");
    // Speed 100: a record every 10 ms of history, 10,000 records a second of playback, for 3 s.
    const fast = await lateness(dir, 30_000, 0.01, 100);
    const sorted = [...fast].sort((a, b) => a - b);
    const tail = fast.slice(-1000).reduce((a, b) => a + b, 0) / 1000;
    const head = fast.slice(1000, 2000).reduce((a, b) => a + b, 0) / 1000;
    report("history.playback-speed100.lateness-p99", percentile(sorted, 99), "ms");
    report("history.playback-speed100.lateness-last-1000-mean", tail, "ms");
    report("history.playback-speed100.lateness-early-1000-mean", head, "ms");
    report("history.playback-speed100.records", fast.length, "records");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

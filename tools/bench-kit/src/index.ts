/**
 * The benchmark harness every package's `bench/` uses: a warmed-up, timed loop (≥ 1 s a figure by
 * default), seeded randomness so runs measure the same input, and `BENCH <package>.<figure> <value>
 * <unit>` lines, the format BENCHMARKS.md describes, so scripts can read them.
 */
import os from "node:os";

/** Results of every call are summed here so the engine cannot drop the work as dead code. */
export let sink = 0;

/** Options of `measure`. */
export interface MeasureOptions {
  /** Milliseconds of warm-up before timing; defaults to 300. */
  warmupMs?: number;
  /** Milliseconds to time; defaults to 1000. */
  ms?: number;
}

/**
 * Calls `work` repeatedly for `ms` after a warm-up and returns units per second, where each call
 * does `unitsPerCall` units (frames, bytes, requests). `work` returns a number to keep it alive.
 */
export function measure(work: () => number, unitsPerCall = 1, options: MeasureOptions = {}): number {
  const warmUntil = performance.now() + (options.warmupMs ?? 300);
  while (performance.now() < warmUntil) sink += work();
  const ms = options.ms ?? 1000;
  let calls = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    sink += work();
    calls++;
    now = performance.now();
  }
  return (calls * unitsPerCall) / ((now - start) / 1000);
}

/** Deterministic pseudo-random numbers in [0, 1) (an LCG), so every run measures the same input. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 0x100000000;
  };
}

/** Three significant-ish digits: integers from 100 up, two decimals below. */
export function formatFigure(value: number): string {
  return value >= 100 ? value.toFixed(0) : value.toFixed(2);
}

/** Prints one `BENCH <figure> <value> <unit>` line and returns the value. */
export function report(figure: string, value: number, unit: string): number {
  console.log(`BENCH ${figure} ${formatFigure(value)} ${unit}`);
  return value;
}

/** Prints `figure` as the ratio `value / reference` and returns it. */
export function reportRatio(figure: string, value: number, reference: number): number {
  const ratio = value / reference;
  console.log(`BENCH ${figure} ${ratio.toFixed(2)} ratio`);
  return ratio;
}

/** Prints the `# machine:` line: CPU model, cores, Node version. */
export function printMachine(): void {
  const cpus = os.cpus();
  console.log(`# machine: ${cpus[0]?.model ?? "unknown"}, ${cpus.length} cores, node ${process.version}`);
}

export {
  buildC,
  type CBuild,
  type CProgram,
  type CServer,
  cCacheDir,
  type EnipEcho,
  type EnipLoadOptions,
  type EnipLoadResult,
  hasTaskset,
  type ModbusLoadOptions,
  type ModbusLoadResult,
  pinProcess,
  processCpuMicros,
  runEnipLoad,
  runModbusLoad,
  startEnipEcho,
  startModbusLibmodbusServer,
} from "./c.js";
export { type NodeReferenceServer, startNodeReferenceServer } from "./node-reference.js";

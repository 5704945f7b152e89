/**
 * History records as plot series: cpppo's historize records (`["Tag", [first, last]]` with `{"read": […]}` or
 * `{"write": […]}`) give a series per element (`Tag[3]`), loader register frames (`{"40001": 17, …}`) a series per
 * register, and a bare number or array of numbers a series named by its serial. Notes (JSON strings) are skipped.
 */
import type { PlotSeries } from "./svg.js";

/** What a series is built from: a record's time (epoch seconds), serial and data. */
export interface PlotRecord {
  readonly ts: number;
  readonly serial: unknown;
  readonly data: unknown;
}

/** A value as a number to plot: numbers as they are, booleans 0/1, anything else undefined. */
function plottable(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "boolean") return value ? 1 : 0;
  return undefined;
}

/** True when series `name` is selected by `tags`: empty selects all; `Tag` selects `Tag` and each `Tag[i]`. */
export function selectsSeries(tags: readonly string[], name: string): boolean {
  if (tags.length === 0) return true;
  const base = name.replace(/\[\d+\]$/, "");
  return tags.some((tag) => tag === name || tag === base);
}

/** Each `[name, time, value]` a record holds. */
function* samples(record: PlotRecord): Generator<[string, number]> {
  const { serial, data } = record;
  if (
    Array.isArray(serial) &&
    typeof serial[0] === "string" &&
    Array.isArray(serial[1]) &&
    typeof data === "object" &&
    data !== null &&
    !Array.isArray(data)
  ) {
    const first = Number(serial[1][0]) || 0;
    const values = (data as { read?: unknown; write?: unknown }).read ?? (data as { write?: unknown }).write;
    if (Array.isArray(values)) {
      for (let i = 0; i < values.length; i++) {
        const v = plottable(values[i]);
        if (v !== undefined) yield [`${serial[0]}[${first + i}]`, v];
      }
      return;
    }
  }
  if (typeof data === "object" && data !== null && !Array.isArray(data)) {
    for (const [key, value] of Object.entries(data)) {
      const v = plottable(value);
      if (v !== undefined) yield [key, v];
    }
    return;
  }
  const name =
    serial === null || serial === undefined
      ? "value"
      : typeof serial === "string"
        ? serial
        : JSON.stringify(serial);
  if (Array.isArray(data)) {
    for (let i = 0; i < data.length; i++) {
      const v = plottable(data[i]);
      if (v !== undefined) yield [`${name}[${i}]`, v];
    }
    return;
  }
  const v = plottable(data);
  if (v !== undefined) yield [name, v];
}

/** The series in `records` (those `tags` select; all when empty), each in the order its name first appeared. */
export function recordSeries(records: Iterable<PlotRecord>, tags: readonly string[] = []): PlotSeries[] {
  const byName = new Map<string, [number, number][]>();
  for (const record of records)
    for (const [name, value] of samples(record)) {
      if (!selectsSeries(tags, name)) continue;
      let points = byName.get(name);
      if (points === undefined) {
        points = [];
        byName.set(name, points);
      }
      points.push([record.ts, value]);
    }
  return [...byName].map(([name, points]) => ({ name, points }));
}

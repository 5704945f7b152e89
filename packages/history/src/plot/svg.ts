/**
 * Values over time as one SVG document: a line and a dot per sample for each series, a time axis labelled in a
 * zone's local time with its abbreviation (MST, MDT, CEST…), a value axis and a legend. Pure: no clock, no I/O.
 */
import { getZone, Timestamp, type Zone } from "../time/index.js";

/** One named series of samples: `[epoch seconds, value]`, in any order (they are drawn in time order). */
export interface PlotSeries {
  /** The legend's name, e.g. `Tag[0]` or a register number. */
  readonly name: string;
  /** `[epoch seconds, value]` pairs; samples whose value is not a finite number are left out. */
  readonly points: readonly (readonly [number, number])[];
}

/** How `renderPlotSvg` draws: the size in pixels, the zone of the time axis and the time range shown. */
export interface PlotOptions {
  /** Width in pixels; default 960. */
  width?: number;
  /** Height in pixels; default 540. */
  height?: number;
  /** IANA zone of the time axis labels (e.g. `America/Edmonton`); default `UTC`. */
  zone?: string;
  /** First time shown (epoch seconds); default the earliest sample. */
  since?: number;
  /** Last time shown (epoch seconds); default the latest sample. */
  until?: number;
  /** A title drawn above the plot; default none. */
  title?: string;
}

/** Colours of successive series (the Tableau 10 palette). */
const COLOURS = [
  "#4e79a7",
  "#f28e2b",
  "#e15759",
  "#76b7b2",
  "#59a14f",
  "#edc948",
  "#b07aa1",
  "#ff9da7",
  "#9c755f",
  "#bab0ac",
];

/** A series with more samples than this in range is drawn as a line only, without a dot per sample. */
const MAX_DOTS = 2000;

/** Time-axis steps in seconds, from one second to a year: the tick spacing is the first giving at most ~8 ticks. */
const TIME_STEPS = [
  1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800,
  1209600, 2629800, 7889400, 31557600,
];

/** `text` safe inside SVG text and attribute values. */
function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A coordinate with at most two decimals. */
function px(n: number): string {
  return String(Math.round(n * 100) / 100);
}

/** Tick times (epoch seconds) between `lo` and `hi` on whole steps of the zone's wall clock, and the step. */
function timeTicks(lo: number, hi: number, zone: string): { ticks: number[]; step: number } {
  const span = Math.max(hi - lo, 1);
  const step = TIME_STEPS.find((s) => span / s <= 8) ?? span / 8;
  const z: Zone = getZone(zone);
  const ticks: number[] = [];
  // Whole steps of local wall-clock time (hours on the hour in every zone), found in each stretch of constant offset,
  // so that a fall-back's repeated hour gets its ticks twice (MDT, then MST) and a spring-forward's skipped one none.
  const bounds = [
    lo,
    ...z
      .transitions(lo, hi)
      .map((tr) => tr.at)
      .filter((at) => at > lo && at <= hi),
    hi,
  ];
  for (let i = 0; i + 1 < bounds.length && ticks.length < 64; i++) {
    const from = bounds[i] as number;
    const to = bounds[i + 1] as number;
    const offset = z.offsetAt(from);
    for (
      let t = Math.ceil((from + offset) / step) * step - offset;
      t <= to + 1e-9 && ticks.length < 64;
      t += step
    )
      if (t >= from - 1e-9 && (ticks.length === 0 || t > (ticks[ticks.length - 1] as number))) ticks.push(t);
  }
  return { ticks, step };
}

/**
 * The vertices of a series' line in pixels. With more than four samples a pixel column, each column keeps its
 * first, lowest, highest and last sample (in time order): the line looks the same, at a bounded size.
 */
function lineVertices(
  points: readonly (readonly [number, number])[],
  x: (t: number) => number,
  y: (v: number) => number,
  width: number,
): [number, number][] {
  if (points.length <= 4 * width) return points.map(([t, v]) => [x(t), y(v)]);
  const out: [number, number][] = [];
  let column = Number.NaN;
  let bucket: (readonly [number, number])[] = [];
  const flush = () => {
    if (bucket.length === 0) return;
    let lo = bucket[0] as readonly [number, number];
    let hi = lo;
    for (const p of bucket) {
      if (p[1] < lo[1]) lo = p;
      if (p[1] > hi[1]) hi = p;
    }
    const keep = new Set([bucket[0], lo, hi, bucket[bucket.length - 1]]);
    for (const p of bucket) if (keep.has(p)) out.push([x(p[0]), y(p[1])]);
    bucket = [];
  };
  for (const p of points) {
    const c = Math.floor(x(p[0]));
    if (c !== column) {
      flush();
      column = c;
    }
    bucket.push(p);
  }
  flush();
  return out;
}

/** Nice value-axis ticks (1, 2 or 5 × 10^n apart) covering `lo`..`hi`. */
function valueTicks(lo: number, hi: number): number[] {
  if (lo === hi) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const raw = (hi - lo) / 5;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * magnitude >= raw) ?? 10) * magnitude;
  const ticks: number[] = [];
  for (let v = Math.floor(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(v);
  if ((ticks[ticks.length - 1] as number) < hi) ticks.push((ticks[ticks.length - 1] as number) + step);
  return ticks.map((v) => Number(v.toPrecision(12)));
}

/** A value-axis label: up to 6 significant digits, without trailing zeros. */
function valueLabel(v: number): string {
  return Math.abs(v) >= 1e6 || (Math.abs(v) < 1e-3 && v !== 0)
    ? v.toExponential(2)
    : String(Number(v.toPrecision(6)));
}

/**
 * A time-axis label in `zone`: the wall-clock time with the zone's abbreviation (`15:42 MDT`; seconds when the step
 * is under a minute) and the date beneath it on the first tick, on each new day, and for steps of a day or more.
 */
function timeLabel(epoch: number, zone: string, step: number, previousDate: string | undefined) {
  const rendered = new Timestamp(epoch).render(zone, { ms: false });
  // `YYYY-MM-DD HH:MM:SS ABBR`
  const [date = "", time = "", ...abbreviation] = rendered.split(" ");
  const clock = step < 60 ? time : time.slice(0, 5);
  const zoneName = abbreviation.join(" ") || "UTC";
  return {
    top: step >= 86400 ? `${date}` : `${clock} ${zoneName}`,
    date,
    showDate: step >= 86400 || date !== previousDate,
    zoneName,
  };
}

/** An SVG document (UTF-8 text) plotting `series` over time; see PlotOptions for the defaults. */
export function renderPlotSvg(series: readonly PlotSeries[], options: PlotOptions = {}): string {
  const width = options.width ?? 960;
  const height = options.height ?? 540;
  const zone = options.zone ?? "UTC";
  const drawn = series.map((s) => ({
    name: s.name,
    points: s.points.filter(([t, v]) => Number.isFinite(t) && Number.isFinite(v)).sort((a, b) => a[0] - b[0]),
  }));
  const inRange = (t: number) =>
    (options.since === undefined || t >= options.since) &&
    (options.until === undefined || t <= options.until);
  // Loops, not Math.min(...spread): a history may hold millions of samples.
  let tMin = Number.POSITIVE_INFINITY;
  let tMax = Number.NEGATIVE_INFINITY;
  let vMin = Number.POSITIVE_INFINITY;
  let vMax = Number.NEGATIVE_INFINITY;
  for (const s of drawn)
    for (const [t, v] of s.points) {
      if (!inRange(t)) continue;
      if (t < tMin) tMin = t;
      if (t > tMax) tMax = t;
      if (v < vMin) vMin = v;
      if (v > vMax) vMax = v;
    }
  let t0 = options.since ?? tMin;
  let t1 = options.until ?? tMax;
  if (!Number.isFinite(t0) || !Number.isFinite(t1))
    t0 = t1 = Number.isFinite(t0) ? t0 : Number.isFinite(t1) ? t1 : 0;
  if (t1 <= t0) {
    t0 -= 0.5;
    t1 += 0.5;
  }
  const yTicks = valueTicks(Number.isFinite(vMin) ? vMin : 0, Number.isFinite(vMax) ? vMax : 1);
  const v0 = yTicks[0] as number;
  const v1 = yTicks[yTicks.length - 1] as number;

  const legendRows = Math.ceil(drawn.length / 4);
  const margin = { left: 72, right: 24, top: options.title ? 40 : 20, bottom: 56 + 18 * legendRows };
  const plotW = Math.max(width - margin.left - margin.right, 10);
  const plotH = Math.max(height - margin.top - margin.bottom, 10);
  const x = (t: number) => margin.left + ((t - t0) / (t1 - t0)) * plotW;
  const y = (v: number) => margin.top + plotH - ((v - v0) / (v1 - v0)) * plotH;

  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
  ];
  if (options.title)
    out.push(
      `<text class="title" x="${px(width / 2)}" y="24" text-anchor="middle" font-size="15">${escapeXml(options.title)}</text>`,
    );

  // The value axis: grid lines and labels.
  out.push(`<g class="y-axis">`);
  for (const v of yTicks) {
    out.push(
      `<line x1="${margin.left}" x2="${px(margin.left + plotW)}" y1="${px(y(v))}" y2="${px(y(v))}" stroke="#e0e0e0"/>`,
      `<text x="${margin.left - 6}" y="${px(y(v) + 4)}" text-anchor="end">${escapeXml(valueLabel(v))}</text>`,
    );
  }
  out.push(`</g>`);

  // The time axis: ticks on whole steps of the zone's wall clock, labelled in its local time and abbreviation.
  const { ticks, step } = timeTicks(t0, t1, zone);
  const axisY = margin.top + plotH;
  out.push(`<g class="x-axis" data-zone="${escapeXml(zone)}">`);
  let previousDate: string | undefined;
  for (const t of ticks) {
    const label = timeLabel(t, zone, step, previousDate);
    out.push(
      `<line x1="${px(x(t))}" x2="${px(x(t))}" y1="${margin.top}" y2="${px(axisY + 4)}" stroke="#e0e0e0"/>`,
      `<text class="tick" x="${px(x(t))}" y="${px(axisY + 18)}" text-anchor="middle" data-epoch="${t}">${escapeXml(label.top)}</text>`,
    );
    if (label.showDate && step < 86400)
      out.push(
        `<text class="date" x="${px(x(t))}" y="${px(axisY + 32)}" text-anchor="middle">${escapeXml(label.date)}</text>`,
      );
    previousDate = label.date;
  }
  out.push(
    `<line x1="${margin.left}" x2="${px(margin.left + plotW)}" y1="${px(axisY)}" y2="${px(axisY)}" stroke="#333333"/>`,
    `<line x1="${margin.left}" x2="${margin.left}" y1="${margin.top}" y2="${px(axisY)}" stroke="#333333"/>`,
    `</g>`,
  );

  // Each series: a polyline through its samples in the range, a dot on each sample.
  drawn.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length] as string;
    const points = s.points.filter(([t]) => t >= t0 && t <= t1);
    out.push(`<g class="series" data-name="${escapeXml(s.name)}" stroke="${colour}" fill="${colour}">`);
    if (points.length > 1)
      out.push(
        `<polyline fill="none" stroke-width="1.5" points="${lineVertices(points, x, y, plotW)
          .map(([vx, vy]) => `${px(vx)},${px(vy)}`)
          .join(" ")}"/>`,
      );
    if (points.length <= MAX_DOTS)
      for (const [t, v] of points)
        out.push(
          `<circle class="point" cx="${px(x(t))}" cy="${px(y(v))}" r="2.5" data-t="${t}" data-v="${v}"/>`,
        );
    out.push(`</g>`);
  });

  // The legend, four series a row, beneath the time axis.
  out.push(`<g class="legend">`);
  const column = plotW / 4;
  drawn.forEach((s, i) => {
    const lx = margin.left + (i % 4) * column;
    const ly = axisY + 52 + Math.floor(i / 4) * 18;
    const colour = COLOURS[i % COLOURS.length] as string;
    out.push(
      `<rect x="${px(lx)}" y="${px(ly - 9)}" width="12" height="10" fill="${colour}"/>`,
      `<text x="${px(lx + 16)}" y="${px(ly)}">${escapeXml(s.name)}</text>`,
    );
  });
  out.push(`</g>`, `</svg>`, "");
  return out.join("\n");
}

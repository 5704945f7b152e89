/**
 * The web API's history plot data (`GET /api/history?tag=NAME&since=S&until=U&points=N`) for `--historize`: the
 * records of the historize file's rotated set from `since` to `until` are read in batches (never the whole file at
 * once), the tag's elements become series, each decimated on the fly into time buckets that keep a bucket's first,
 * lowest and highest samples, so the reply holds at most `points` points whatever the file's size. A deadline ends a
 * slow read with the points found so far (`partial`). The reply carries the zone's offsets and abbreviations over
 * the range, so the page labels its time axis in the server's local time without a zone database of its own.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

/** Path of the history endpoint. */
export const HISTORY_PATH = "/api/history";

/** The record members the endpoint reads (a `HistoryRecord` of @cpppo/history has them). */
export interface WebHistoryRecord {
  /** Epoch seconds. */
  readonly timestamp: number;
  /** The serial as written, e.g. `["SCADA", [0, 3]]`; read to skip other tags' records before parsing. */
  readonly serialText: string;
  readonly serial: unknown;
  readonly data: unknown;
}

/** The zone members the endpoint reads (a `Zone` of @cpppo/history has them). */
export interface WebHistoryZone {
  readonly name: string;
  /** UTC offset in seconds (east positive) at an instant. */
  offsetAt(t: number): number;
  /** The abbreviation (`MST`, `CET`) at an instant. */
  abbreviationAt(t: number): string;
  /** The offset changes in (from, to], oldest first. */
  transitions(from: number, to: number): readonly { at: number; offset: number }[];
}

/** Where the history plot reads from: the historize file through @cpppo/history. */
export interface WebHistorySource {
  /** The record batches from `since` to `until`, oldest first (`readRecordBatches(path, range)` of @cpppo/history). */
  read(range: { since: number; until: number }): AsyncIterable<readonly WebHistoryRecord[]>;
  /** The zone of the time axis (`getZone(localZone())` of @cpppo/history). */
  zone: WebHistoryZone;
  /** Makes the records still buffered readable (`HistoryWriter.flush`); awaited before each read, up to the deadline. */
  flush?(): Promise<unknown>;
}

/** Tuning of the history endpoint. */
export interface HistoryEndpointOptions {
  source: WebHistorySource;
  /** Why this request may not read (403/401 and the text), or undefined when it may. */
  authorize(req: IncomingMessage, query: URLSearchParams): { status: number; message: string } | undefined;
  /** Milliseconds a read may take before the points found so far are sent (`partial`); default 5000. */
  deadlineMs?: number;
  /** Reads at once (another gets 503); default 2. */
  maxReads?: number;
  /** The clock, in epoch seconds; default `Date.now() / 1000`. */
  now?: () => number;
}

/** The default and largest number of points of one reply (all series together). */
export const HISTORY_POINTS_DEFAULT = 2000;
export const HISTORY_POINTS_MAX = 5000;
/** Series (tag elements) one reply carries at most. */
export const HISTORY_SERIES_MAX = 8;
/** The default range: the last five minutes. */
const DEFAULT_SPAN_S = 300;

/** One series of the reply: a tag element's points in time order. */
export interface HistorySeriesReply {
  name: string;
  times: number[];
  values: number[];
}

/** The JSON reply of `GET /api/history`. */
export interface HistoryReply {
  tag: string;
  since: number;
  until: number;
  /** The zone's name and each offset in force over the range: the first at `since`, then each change. */
  zone: { name: string; segments: { at: number; offset: number; abbreviation: string }[] };
  series: HistorySeriesReply[];
  /** Points in `series`, all together. */
  count: number;
  /** Samples of the tag found in the range (before decimation). */
  samples: number;
  /** Whether buckets dropped samples. */
  decimated: boolean;
  /** Whether the deadline ended the read before `until`. */
  partial: boolean;
  /** Why there are no points, when there are none for a reason (e.g. no history file yet). */
  message?: string;
}

/** A bucket's kept samples: the first, the lowest and the highest (times and values). */
interface Bucket {
  n: number;
  firstT: number;
  firstV: number;
  minT: number;
  minV: number;
  maxT: number;
  maxV: number;
}

/** One series decimated into fixed time buckets over [since, until]: memory bounded by the bucket count. */
class Decimator {
  readonly buckets = new Map<number, Bucket>();
  samples = 0;
  constructor(
    private readonly since: number,
    private readonly width: number,
    private readonly count: number,
  ) {}
  add(t: number, v: number): void {
    this.samples++;
    const i = Math.min(this.count - 1, Math.max(0, Math.floor((t - this.since) / this.width)));
    const b = this.buckets.get(i);
    if (!b) {
      this.buckets.set(i, { n: 1, firstT: t, firstV: v, minT: t, minV: v, maxT: t, maxV: v });
      return;
    }
    b.n++;
    if (v < b.minV) {
      b.minV = v;
      b.minT = t;
    }
    if (v > b.maxV) {
      b.maxV = v;
      b.maxT = t;
    }
  }
  /** The kept points in time order (every `merge` buckets joined into one), and whether samples were dropped. */
  points(merge = 1): { times: number[]; values: number[]; dropped: boolean } {
    const joined = new Map<number, Bucket>();
    for (const [i, b] of this.buckets) {
      const j = Math.floor(i / merge);
      const into = joined.get(j);
      if (!into) joined.set(j, { ...b });
      else {
        into.n += b.n;
        if (b.firstT < into.firstT) [into.firstT, into.firstV] = [b.firstT, b.firstV];
        if (b.minV < into.minV) [into.minT, into.minV] = [b.minT, b.minV];
        if (b.maxV > into.maxV) [into.maxT, into.maxV] = [b.maxT, b.maxV];
      }
    }
    const times: number[] = [];
    const values: number[] = [];
    let dropped = false;
    for (const j of [...joined.keys()].sort((a, b) => a - b)) {
      const b = joined.get(j) as Bucket;
      const kept = new Map<number, number>([
        [b.firstT, b.firstV],
        [b.minT, b.minV],
        [b.maxT, b.maxV],
      ]);
      if (b.n > kept.size) dropped = true;
      for (const t of [...kept.keys()].sort((x, y) => x - y)) {
        times.push(t);
        values.push(kept.get(t) as number);
      }
    }
    return { times, values, dropped };
  }

  /** Points `points(merge)` would keep at most. */
  bound(merge: number): number {
    return 3 * new Set([...this.buckets.keys()].map((i) => Math.floor(i / merge))).size;
  }
}

/** A value as a number to plot: numbers, booleans 0/1 and numeric strings (bigints); else undefined. */
function plottable(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "string" && /^-?\d+$/.test(value)) return Number(value);
  return undefined;
}

/** `NAME` (every element) or `NAME[i]` (one), as the query names the tag. */
function tagQuery(text: string): { name: string; element: number | undefined } {
  const m = /^(.*)\[(\d+)\]$/s.exec(text);
  return m ? { name: m[1] as string, element: Number(m[2]) } : { name: text, element: undefined };
}

function reply(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, {
    "Cache-Control": "no-cache",
    "Content-Type": `${type}; charset=utf-8`,
    "X-Content-Type-Options": "nosniff",
  });
  res.end(res.req.method === "HEAD" ? undefined : body);
}

/** Creates the handler of `GET /api/history`. */
export function createHistoryEndpoint(
  options: HistoryEndpointOptions,
): (req: IncomingMessage, res: ServerResponse, query: URLSearchParams) => Promise<void> {
  const { source } = options;
  const deadlineMs = options.deadlineMs ?? 5000;
  const maxReads = options.maxReads ?? 2;
  const now = options.now ?? (() => Date.now() / 1000);
  let reading = 0;

  const zoneOver = (since: number, until: number): HistoryReply["zone"] => {
    const z = source.zone;
    const segments = [{ at: since, offset: z.offsetAt(since), abbreviation: z.abbreviationAt(since) }];
    for (const t of z.transitions(since, until))
      segments.push({ at: t.at, offset: t.offset, abbreviation: z.abbreviationAt(t.at) });
    return { name: z.name, segments };
  };

  return async (req, res, query) => {
    const refused = options.authorize(req, query);
    if (refused) {
      reply(res, refused.status, "text/plain", `${refused.message}\n`);
      return;
    }
    const tagText = query.get("tag") ?? "";
    if (tagText === "" || tagText.length > 256) {
      reply(res, 400, "text/plain", "tag must name one tag (NAME or NAME[i]), at most 256 characters\n");
      return;
    }
    let bad: string | undefined;
    const number = (key: string, fallback: number): number => {
      const text = query.get(key);
      if (text === null || text.trim() === "") return fallback;
      const n = Number(text);
      if (!Number.isFinite(n)) bad ??= `${key} must be a number, got ${JSON.stringify(text)}`;
      return n;
    };
    const until = number("until", now());
    const since = number("since", until - DEFAULT_SPAN_S);
    const points = number("points", HISTORY_POINTS_DEFAULT);
    if (bad === undefined && !(since < until))
      bad = `since must come before until (epoch seconds), got ${since} and ${until}`;
    if (bad === undefined && (!Number.isInteger(points) || points < 10 || points > HISTORY_POINTS_MAX))
      bad = `points must be an integer 10..${HISTORY_POINTS_MAX}, got ${points}`;
    if (bad !== undefined) {
      reply(res, 400, "text/plain", `${bad}\n`);
      return;
    }
    if (reading >= maxReads) {
      reply(res, 503, "text/plain", `at most ${maxReads} history reads may run at once; try again\n`);
      return;
    }
    reading++;
    let gone = false;
    res.on("close", () => {
      gone = true;
    });
    try {
      const body = await read(tagQuery(tagText), since, until, points, () => gone);
      body.tag = tagText;
      if (!gone) reply(res, 200, "application/json", JSON.stringify(body));
    } finally {
      reading--;
    }
  };

  async function read(
    tag: { name: string; element: number | undefined },
    since: number,
    until: number,
    points: number,
    gone: () => boolean,
  ): Promise<HistoryReply> {
    const started = Date.now();
    const quoted = JSON.stringify(tag.name);
    const series = new Map<number, Decimator>();
    // A bucket keeps up to three samples; series beyond the first share the points by joining buckets at the end.
    const bucketCount = Math.max(1, Math.floor(points / 3));
    const width = (until - since) / bucketCount;
    let partial = false;
    let message: string | undefined;
    if (source.flush) {
      // A writer that is failing (and retrying) may not flush soon: the read goes on with what is on disk.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        source.flush().catch(() => undefined),
        new Promise((resolve) => {
          timer = setTimeout(resolve, deadlineMs);
        }),
      ]);
      clearTimeout(timer);
    }
    try {
      for await (const batch of source.read({ since, until })) {
        for (const record of batch) {
          if (record.timestamp < since || record.timestamp > until) continue;
          if (!record.serialText.includes(quoted)) continue;
          const serial = record.serial;
          if (!Array.isArray(serial) || serial[0] !== tag.name || !Array.isArray(serial[1])) continue;
          const first = Number(serial[1][0]) || 0;
          const data = record.data as { read?: unknown; write?: unknown } | null;
          const values = data && typeof data === "object" ? (data.read ?? data.write) : undefined;
          if (!Array.isArray(values)) continue;
          for (let i = 0; i < values.length; i++) {
            const element = first + i;
            if (tag.element !== undefined && element !== tag.element) continue;
            const v = plottable(values[i]);
            if (v === undefined) continue;
            let d = series.get(element);
            if (!d) {
              if (series.size >= HISTORY_SERIES_MAX) continue;
              d = new Decimator(since, width, bucketCount);
              series.set(element, d);
            }
            d.add(record.timestamp, v);
          }
        }
        if (gone()) break;
        if (Date.now() - started > deadlineMs) {
          partial = true;
          break;
        }
      }
    } catch (err) {
      // No file yet (nothing recorded) is an empty plot; anything else is the reply's message.
      const code = (err as { code?: string }).code;
      message =
        code === "ERR_HISTORY_EXHAUSTED"
          ? "nothing has been recorded yet"
          : `the history could not be read: ${(err as Error).message}`;
    }
    // The fewest joins that bring all series within `points`.
    let merge = 1;
    const bound = () => [...series.values()].reduce((n, d) => n + d.bound(merge), 0);
    while (bound() > points && merge < bucketCount) merge *= 2;
    const out: HistorySeriesReply[] = [];
    let count = 0;
    let samples = 0;
    let decimated = false;
    for (const element of [...series.keys()].sort((a, b) => a - b)) {
      const d = series.get(element) as Decimator;
      const kept = d.points(merge);
      samples += d.samples;
      decimated ||= kept.dropped;
      count += kept.times.length;
      out.push({ name: `${tag.name}[${element}]`, times: kept.times, values: kept.values });
    }
    return {
      tag: tag.name,
      since,
      until,
      zone: zoneOver(since, until),
      series: out,
      count,
      samples,
      decimated,
      partial,
      ...(message !== undefined && { message }),
    };
  }
}

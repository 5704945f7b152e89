// Timestamp figures of @cpppo/history: parse + render per second in UTC and in a zone, each with a reference
// measured in the same run (Date's ISO parse + render; Intl's rendering in the zone).
import { measure, report, reportRatio, rng } from "@cpppo/bench-kit";
import { formatUtc, parseTimestamp, supportAbbreviations, Timestamp } from "../src/index.js";

/** The best of three 1-second runs: the machine is shared, and the best run is the least disturbed one. */
const best = (work: () => number): number => Math.max(measure(work), measure(work), measure(work));

/** Calls per second of this process's CPU time (user + system) over one second: the cost whatever CPU share the machine gave. */
function perCpuSecond(work: () => number): number {
  measure(work, 1, { ms: 200, warmupMs: 100 });
  let calls = 0;
  let keep = 0;
  const before = process.cpuUsage();
  const until = performance.now() + 1000;
  while (performance.now() < until) {
    keep += work();
    calls++;
  }
  const used = process.cpuUsage(before);
  if (keep === -1) console.log("");
  return calls / ((used.user + used.system) / 1e6);
}

/**
 * Reports a figure by wall time (best of three) and, as `<figure>.cpu`, by CPU time; returns the CPU figure, which
 * ratios use because it holds steady while other processes take the shared CPU in bursts.
 */
function figure(name: string, work: () => number): number {
  report(name, best(work), "ops/s");
  return report(`${name}.cpu`, perCpuSecond(work), "ops/cpu-s");
}

/** Runs the timestamp figures whose names start with `only` (all when empty). */
export function benchTime(only = ""): void {
  const wanted = (figure: string) => `history.${figure}`.startsWith(only) || figure.startsWith(only);
  const random = rng(13);
  const N = 4096;
  // Instants over 2000–2030 with microseconds, so the year tables of the zone cache are all exercised.
  const instants = Array.from(
    { length: N },
    () => Math.round((946684800 + random() * 946684800) * 1e6) / 1e6,
  );
  const utcTexts = instants.map((v) => formatUtc(v));
  const isoTexts = instants.map((v) => new Date(Math.round(v * 1000)).toISOString());
  let i = 0;

  if (wanted("time.utc")) {
    const ours = figure("history.time.utc-parse-render", () => {
      const text = utcTexts[i++ & (N - 1)] as string;
      return formatUtc(parseTimestamp(text)).length;
    });
    const reference = figure("history.time.utc-parse-render.reference-date-iso", () => {
      const text = isoTexts[i++ & (N - 1)] as string;
      return new Date(Date.parse(text)).toISOString().length;
    });
    reportRatio("history.time.utc-parse-render.vs-date-iso", ours, reference);
  }

  if (wanted("time.zone")) {
    const zone = "America/Edmonton";
    const zoneTexts = instants.map((v) => {
      const text = new Timestamp(v).render(zone, { tzdetail: true }); // a local time with the zone's name
      try {
        parseTimestamp(text);
        return text;
      } catch {
        return new Timestamp(v + 7200).render(zone, { tzdetail: true }); // away from a fall-back hour
      }
    });
    const ours = figure("history.time.zone-parse-render", () => {
      const text = zoneTexts[i++ & (N - 1)] as string;
      return new Timestamp(text).render(zone).length;
    });
    const intl = new Intl.DateTimeFormat("en-CA", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      timeZoneName: "short",
    });
    const reference = figure(
      "history.time.zone-parse-render.reference-intl-format",
      () => intl.format((instants[i++ & (N - 1)] as number) * 1000).length,
    );
    reportRatio("history.time.zone-parse-render.vs-intl-format", ours, reference);

    supportAbbreviations("CA", { reset: true, at: 1400000000 });
    const abbrTexts = zoneTexts.map((text) => {
      const ts = new Timestamp(text);
      return `${ts.render(zone, { ms: true }).slice(0, -4)} ${ts.render(zone).slice(-3)}`; // "… 06:52:47.000 MDT"
    });
    figure("history.time.abbreviation-parse-render", () => {
      const text = abbrTexts[i++ & (N - 1)] as string;
      return new Timestamp(text).render("MST").length;
    });
    supportAbbreviations(null, { reset: true });
  }
}

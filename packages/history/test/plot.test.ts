/** The plot layer: records as series, and the SVG (points, time-axis labels in a zone with its abbreviations). */
import { recordSeries, renderPlotSvg, selectsSeries } from "../src/plot/index.js";
import { parseTimestamp } from "../src/time/index.js";

/** The `<text class="tick">` labels of the time axis. */
function tickLabels(svg: string): string[] {
  return [...svg.matchAll(/<text class="tick"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1] as string);
}

/** The `[cx, cy]` of each point of the series named `name`. */
function points(svg: string, name: string): [number, number][] {
  const group = new RegExp(
    `<g class="series" data-name="${name.replace(/[[\]]/g, "\\$&")}"[^>]*>([\\s\\S]*?)</g>`,
  ).exec(svg);
  if (!group) throw new Error(`no series ${name} in the SVG`);
  return [...(group[1] as string).matchAll(/<circle class="point" cx="([\d.]+)" cy="([\d.]+)"/g)].map((m) => [
    Number(m[1]),
    Number(m[2]),
  ]);
}

// Edmonton falls back from MDT (UTC-6) to MST (UTC-7) at 2014-11-02 08:00 UTC.
const FALL_BACK = parseTimestamp("2014-11-02 08:00:00");

describe("recordSeries", () => {
  const records = [
    { ts: 100, serial: ["Tag", [0, 2]], data: { read: [1, 2, 3] } },
    { ts: 101, serial: ["Tag", [1, 1]], data: { write: [20] } },
    { ts: 102, serial: ["Flag", [0, 0]], data: { write: [true] } },
    { ts: 103, serial: null, data: { "40001": 7, "40002": 8 } },
    { ts: 104, serial: "note", data: "a note is not plotted" },
    { ts: 105, serial: "temp", data: 21.5 },
  ];

  it("gives historize records a series per element, register frames a series per register", () => {
    const series = recordSeries(records);
    expect(series.map((s) => s.name)).toEqual([
      "Tag[0]",
      "Tag[1]",
      "Tag[2]",
      "Flag[0]",
      "40001",
      "40002",
      "temp",
    ]);
    expect(series.find((s) => s.name === "Tag[1]")?.points).toEqual([
      [100, 2],
      [101, 20],
    ]);
    expect(series.find((s) => s.name === "Flag[0]")?.points).toEqual([[102, 1]]);
    expect(series.find((s) => s.name === "temp")?.points).toEqual([[105, 21.5]]);
  });

  it("selects by tag name (all elements) or by element", () => {
    expect(recordSeries(records, ["Tag"]).map((s) => s.name)).toEqual(["Tag[0]", "Tag[1]", "Tag[2]"]);
    expect(recordSeries(records, ["Tag[2]", "40002"]).map((s) => s.name)).toEqual(["Tag[2]", "40002"]);
    expect(selectsSeries([], "x")).toBe(true);
    expect(selectsSeries(["Ta"], "Tag[0]")).toBe(false);
  });
});

describe("renderPlotSvg", () => {
  const hourly = Array.from({ length: 5 }, (_, i) => FALL_BACK - 2 * 3600 + i * 3600);
  const series = [
    { name: "Tag[0]", points: hourly.map((t, i) => [t, i * 10] as [number, number]) },
    { name: 'A<B & "C"', points: hourly.map((t, i) => [t, 100 - i] as [number, number]) },
  ];

  it("draws a dot per sample, left to right in time, higher for larger values", () => {
    const svg = renderPlotSvg(series, { zone: "America/Edmonton", width: 800, height: 400 });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" width="800" height="400"')).toBe(true);
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
    const dots = points(svg, "Tag[0]");
    expect(dots).toHaveLength(5);
    for (let i = 1; i < dots.length; i++) {
      expect((dots[i] as [number, number])[0]).toBeGreaterThan((dots[i - 1] as [number, number])[0]);
      // Values rise, so the dots climb (SVG y grows downwards).
      expect((dots[i] as [number, number])[1]).toBeLessThan((dots[i - 1] as [number, number])[1]);
    }
    for (const [x, y] of dots) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThanOrEqual(800);
      expect(y).toBeGreaterThanOrEqual(0);
      expect(y).toBeLessThanOrEqual(400);
    }
    expect(svg).toMatch(/<polyline fill="none"/);
    // Names are escaped, in the legend and as the group's name.
    expect(svg).toContain("A&#60;B &#38; &#34;C&#34;");
    expect(svg).not.toContain("A<B");
  });

  it("labels the time axis in the zone's local time with its abbreviations, across a DST change", () => {
    const svg = renderPlotSvg(series, { zone: "America/Edmonton" });
    const labels = tickLabels(svg);
    expect(labels.length).toBeGreaterThanOrEqual(3);
    // 06:00 UTC is 00:00 MDT; 10:00 UTC is 03:00 MST.
    expect(labels).toContain("00:00 MDT");
    expect(labels).toContain("03:00 MST");
    expect(labels.some((l) => l.endsWith("MDT"))).toBe(true);
    expect(labels.some((l) => l.endsWith("MST"))).toBe(true);
    // The local date of the first tick is drawn under it.
    expect(svg).toMatch(/<text class="date"[^>]*>2014-11-02<\/text>/);
  });

  it("labels the hour a fall-back repeats twice, first in MDT then in MST", () => {
    const span = [
      { name: "v", points: [FALL_BACK - 5400, FALL_BACK + 5400].map((t) => [t, 1] as [number, number]) },
    ];
    const labels = tickLabels(renderPlotSvg(span, { zone: "America/Edmonton" }));
    expect(labels).toEqual([
      "00:30 MDT",
      "01:00 MDT",
      "01:30 MDT",
      "01:00 MST",
      "01:30 MST",
      "02:00 MST",
      "02:30 MST",
    ]);
  });

  it("labels in another zone and in UTC by default", () => {
    const berlin = tickLabels(renderPlotSvg(series, { zone: "Europe/Berlin" }));
    expect(berlin).toContain("07:00 CET");
    const utc = tickLabels(renderPlotSvg(series));
    expect(utc).toContain("06:00 UTC");
  });

  it("draws only the samples between since and until", () => {
    const svg = renderPlotSvg(series, {
      zone: "America/Edmonton",
      since: (hourly[1] as number) - 1,
      until: (hourly[3] as number) + 1,
    });
    expect(points(svg, "Tag[0]")).toHaveLength(3);
  });

  it("draws 200,000 samples as a line without a dot for each", () => {
    const many = Array.from({ length: 200_000 }, (_, i) => [FALL_BACK + i, i % 100] as [number, number]);
    const svg = renderPlotSvg([{ name: "many", points: many }], { zone: "America/Edmonton" });
    expect(points(svg, "many")).toHaveLength(0);
    const line = /<polyline fill="none" stroke-width="1.5" points="([\d., ]+)"\/>/.exec(svg);
    const vertices = (line?.[1] ?? "").split(" ").map((p) => p.split(",").map(Number) as [number, number]);
    // At most four vertices a pixel column (first, lowest, highest, last), left to right, spanning the full range.
    expect(vertices.length).toBeLessThanOrEqual(4 * 960);
    expect(vertices.length).toBeGreaterThan(800);
    for (let i = 1; i < vertices.length; i++)
      expect((vertices[i] as [number, number])[0]).toBeGreaterThanOrEqual(
        (vertices[i - 1] as [number, number])[0],
      );
    const ys = vertices.map(([, vy]) => vy);
    const dot = renderPlotSvg(
      [{ name: "two", points: [many[0] as [number, number], [FALL_BACK + 99, 99]] }],
      {
        zone: "America/Edmonton",
      },
    );
    // The lowest (0) and highest (99) values are kept: the same vertical extent as an undecimated line.
    const [, y0, , y99] = points(dot, "two").flat();
    expect(Math.max(...ys)).toBeCloseTo(y0 as number, 1);
    expect(Math.min(...ys)).toBeCloseTo(y99 as number, 1);
  });

  it("draws one sample, or none, without failing", () => {
    const one = renderPlotSvg([{ name: "x", points: [[FALL_BACK, 5]] }], { zone: "America/Edmonton" });
    expect(points(one, "x")).toHaveLength(1);
    expect(tickLabels(one).length).toBeGreaterThan(0);
    const none = renderPlotSvg([], {});
    expect(none).toContain("</svg>");
  });
});

/** `cpppo-history plot`: an SVG of the values with the time axis in local time (TZ) and its abbreviations, and a PNG. */
import { readFileSync, writeFileSync } from "node:fs";
import { runMain, runProcess, tempDir } from "./support/cli.js";

// Process-level runs start tsx, slow on a loaded machine: each run has its own deadline (DEADLINE_MS).
jest.setTimeout(120_000);

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.remove());

/** Historize records of `Level` (two elements) and `Pump`, hourly across Edmonton's 2014 fall-back (08:00 UTC). */
function writeHistory(path: string): void {
  const lines = ["# 2014-11-02 05:00:00.000: Started recording Tag: Level"];
  for (let h = 5; h <= 11; h++) {
    const at = `2014-11-02 ${String(h).padStart(2, "0")}:00:00.000`;
    lines.push(`${at}\t["Level", [0, 1]]\t{"read": [${h * 10}, ${h}]}`);
    lines.push(`${at}\t["Pump", [0, 0]]\t{"write": [${h % 2 === 0}]}`);
  }
  writeFileSync(path, `${lines.join("\n")}\n`);
}

/** The number of dots drawn for series `name`. */
function dots(svg: string, name: string): number {
  const group = new RegExp(
    `<g class="series" data-name="${name.replace(/[[\]]/g, "\\$&")}"[^>]*>([\\s\\S]*?)</g>`,
  ).exec(svg);
  return group ? [...(group[1] as string).matchAll(/<circle class="point"/g)].length : 0;
}

describe("cpppo-history plot", () => {
  it("draws an SVG: a series per element, dots per sample, a time axis in local time with MDT and MST (process)", async () => {
    const history = tmp.path("plant.hst");
    writeHistory(history);
    const out = tmp.path("plant.svg");
    const run = await runProcess(["plot", "-o", out, history], { env: { TZ: "America/Edmonton" } });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const svg = readFileSync(out, "utf8");
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="960" height="540"/);
    expect(dots(svg, "Level[0]")).toBe(7);
    expect(dots(svg, "Level[1]")).toBe(7);
    expect(dots(svg, "Pump[0]")).toBe(7);
    const ticks = [...svg.matchAll(/<text class="tick"[^>]*>([^<]*)</g)].map((m) => m[1]);
    // 05:00 UTC is 23:00 MDT on Nov 1; 11:00 UTC is 04:00 MST.
    expect(ticks).toContain("00:00 MDT");
    expect(ticks).toContain("04:00 MST");
    expect(svg).toMatch(/<text class="date"[^>]*>2014-11-01</);
    expect(svg).toMatch(/<text class="date"[^>]*>2014-11-02</);
  });

  it("keeps --tag, --since and --until, and draws in --zone", async () => {
    const history = tmp.path("plant.hst");
    writeHistory(history);
    const out = tmp.path("level.svg");
    const run = await runMain([
      "plot",
      "--tag",
      "Level[1]",
      "--since",
      "2014-11-02 07:00:00",
      "--until",
      "2014-11-02 09:00:00",
      "--zone",
      "Europe/Berlin",
      "-o",
      out,
      history,
    ]);
    expect([run.code, run.stderr]).toEqual([0, ""]);
    const svg = readFileSync(out, "utf8");
    expect(dots(svg, "Level[1]")).toBe(3);
    expect(svg).not.toContain('data-name="Level[0]"');
    expect(svg).not.toContain('data-name="Pump[0]"');
    expect(svg).toMatch(/<text class="tick"[^>]*>\d\d:\d\d CET</);
  });

  it("draws a PNG through resvg: the PNG signature and the size asked for (process)", async () => {
    const history = tmp.path("plant.hst");
    writeHistory(history);
    const out = tmp.path("plant.png");
    const run = await runProcess(["plot", "--width", "640", "--height", "360", "-o", out, history], {
      env: { TZ: "America/Edmonton" },
    });
    expect([run.code, run.stderr]).toEqual([0, ""]);
    const png = readFileSync(out);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(png.subarray(12, 16).toString("latin1")).toBe("IHDR");
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([640, 360]);
    expect(png.length).toBeGreaterThan(2000);
  });

  it.each([
    [["plot", "x.hst"], /-o\/--output/],
    [["plot", "-o", "out.jpg", "x.hst"], /\.svg or \.png/],
    [["plot", "-o", "out.svg", "missing.hst"], /missing\.hst/],
    [["plot", "-o", "out.svg", "--zone", "Nowhere/Land", "x.hst"], /--zone "Nowhere\/Land"/],
    [["plot", "-o", "out.svg", "--since", "when", "x.hst"], /--since "when"/],
    [["plot", "-o", "out.svg", "--tag", "Nothing", "plant.hst"], /"Nothing"/],
    [["plot", "-o", "out.svg", "--width", "5", "plant.hst"], /--width "5"/],
  ])("%j: one line naming what and why, exit 2", async (args, named) => {
    writeHistory(tmp.path("plant.hst"));
    const run = await runMain(args, { cwd: tmp.dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^cpppo-history plot: [^\n]+\n$/);
    expect(run.stderr).toMatch(named);
  });
});

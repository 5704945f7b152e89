/** `cpppo-history plot`: the values of history records over time, as an SVG or (through resvg) a PNG image. */
import { writeFile } from "node:fs/promises";
import { EXIT_OK, UsageError } from "@cpppo/cli-kit";
import { type PlotRecord, recordSeries, renderPlotSvg } from "@cpppo/history";
import { Resvg } from "@resvg/resvg-js";
import type { Invocation } from "./main.js";
import { pathsOf, readAll, timeOption } from "./records.js";
import { zoneOption } from "./time.js";

/** A pixel size flag: a whole number from 100 to 10000, or the default. */
function pixels(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 100 || n > 10_000)
    throw new UsageError(`--${flag} "${text}" must be a whole number of pixels from 100 to 10000`);
  return n;
}

/** The image of `svg` as PNG bytes, drawn by resvg with the system's fonts. */
export function svgToPng(svg: string): Uint8Array {
  return new Resvg(svg, { font: { loadSystemFonts: true }, background: "#ffffff" }).render().asPng();
}

type PlotFlags = {
  since: { type: "string" };
  until: { type: "string" };
  tag: { type: "string"; multiple: true };
  zone: { type: "string" };
  output: { type: "string"; short: "o" };
  width: { type: "string" };
  height: { type: "string" };
  title: { type: "string" };
};

/** Runs `plot [--tag NAME]... [--since T] [--until T] [--zone Z] -o OUT.svg|OUT.png PATH...`. */
export async function plotCommand(invocation: Invocation<PlotFlags>): Promise<number> {
  const { values, io } = invocation;
  const output = values.output as string | undefined;
  if (output === undefined) throw new UsageError("-o/--output OUT.svg|OUT.png is required");
  const format = /\.svg$/i.test(output) ? "svg" : /\.png$/i.test(output) ? "png" : undefined;
  if (format === undefined) throw new UsageError(`-o/--output "${output}" must end in .svg or .png`);
  const since = timeOption("--since", values.since as string | undefined);
  const until = timeOption("--until", values.until as string | undefined);
  const zone = zoneOption(values.zone as string | undefined);
  const width = pixels("width", values.width as string | undefined, 960);
  const height = pixels("height", values.height as string | undefined, 540);
  const tags = (values.tag as string[] | undefined) ?? [];
  const paths = pathsOf(invocation);

  const records: PlotRecord[] = [];
  await readAll(paths, { since, until }, io, (ts, serial, data) => {
    records.push({ ts, serial, data });
  });
  const series = recordSeries(records, tags);
  if (series.length === 0)
    throw new UsageError(
      tags.length
        ? `no numeric values of ${tags.map((t) => `"${t}"`).join(", ")} in ${paths.join(", ")}`
        : `no numeric values to plot in ${paths.join(", ")}`,
    );
  const svg = renderPlotSvg(series, {
    width,
    height,
    zone,
    ...(since !== undefined && { since }),
    ...(until !== undefined && { until }),
    ...(values.title !== undefined && { title: values.title as string }),
  });
  await writeFile(invocation.absolute(output), format === "svg" ? svg : svgToPng(svg));
  return EXIT_OK;
}

#!/usr/bin/env node
// Bundles the dashboard page (page/main.ts, its CSS and uPlot's) into hashed files under dist/page/assets/ and
// writes dist/page/index.html naming them: no inline script or style, so the server's CSP can forbid both.
// Usage: node scripts/build-page.mjs [--out DIR] [--if-stale]
// --if-stale: do nothing when DIR/index.html is newer than every file of page/ and this script (tests use it, so
// test files running at once do not swap the folder under each other's servers).
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const at = process.argv.indexOf("--out");
const final = at > 0 ? resolve(process.argv[at + 1]) : join(root, "dist", "page");
if (process.argv.includes("--if-stale") && existsSync(join(final, "index.html"))) {
  const built = statSync(join(final, "index.html")).mtimeMs;
  const sources = readdirSync(join(root, "page")).map((f) => join(root, "page", f));
  sources.push(fileURLToPath(import.meta.url));
  if (sources.every((f) => statSync(f).mtimeMs < built)) process.exit(0);
}
// Built beside the target and moved in whole, so a server or a second build never sees half a page.
const out = `${final}.tmp-${process.pid}`;

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const result = await build({
  entryPoints: [join(root, "page", "main.ts")],
  bundle: true,
  minify: true,
  sourcemap: "linked",
  format: "esm",
  target: ["es2022"],
  outdir: out,
  entryNames: "assets/[name]-[hash]",
  assetNames: "assets/[name]-[hash]",
  metafile: true,
  legalComments: "linked",
  logLevel: "warning",
});
const outputs = Object.keys(result.metafile.outputs).map((p) => resolve(p));
const pick = (ext) => {
  const found = outputs.find((p) => p.endsWith(ext) && basename(p).startsWith("main-"));
  if (!found) throw new Error(`esbuild wrote no main-*${ext}`);
  return `assets/${basename(found)}`;
};
const html = readFileSync(join(root, "page", "index.html"), "utf8")
  .replace("%SCRIPT%", `/${pick(".js")}`)
  .replace("%STYLE%", `/${pick(".css")}`);
writeFileSync(join(out, "index.html"), html);
rmSync(final, { recursive: true, force: true });
try {
  renameSync(out, final);
} catch (err) {
  // A build running at the same time moved its identical page in first.
  rmSync(out, { recursive: true, force: true });
  if (!existsSync(join(final, "index.html"))) throw err;
}
console.log(`dashboard page: ${final} (${outputs.length + 1} files)`);

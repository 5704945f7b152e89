/**
 * @cpppo/dashboard: the simulators' live dashboard. The page (page/, TypeScript and CSS, uPlot for the sparklines) is
 * bundled at build time into hashed static files under dist/page/; this module serves them: the HTML with
 * `no-cache`, the hashed files as `immutable`, every reply with a strict Content-Security-Policy (no inline script,
 * nothing from another origin).
 */
import { readdirSync, readFileSync } from "node:fs";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The Content-Security-Policy of every dashboard reply: this origin only, no inline script, no framing. */
export const DASHBOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
  "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** One file of the built page, ready to send. */
export interface DashboardAsset {
  /** 200, or 503 when the page was not built. */
  readonly status: number;
  /** Content-Type, Cache-Control, Content-Security-Policy and friends. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

const HTML_CACHE = "no-cache";
const HASHED_CACHE = "public, max-age=31536000, immutable";

/** The folder of the built page: dist/page beside src/ or dist/ (this module sits one level below the package). */
export function dashboardDirectory(): string {
  return fileURLToPath(new URL("../dist/page/", import.meta.url));
}

let cache: { dir: string; files: Map<string, DashboardAsset> } | undefined;

function headersFor(path: string): Record<string, string> {
  const html = path.endsWith(".html");
  return {
    "Content-Type": TYPES[extname(path)] ?? "application/octet-stream",
    "Cache-Control": html ? HTML_CACHE : HASHED_CACHE,
    "Content-Security-Policy": DASHBOARD_CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
  };
}

function load(dir: string): Map<string, DashboardAsset> {
  const files = new Map<string, DashboardAsset>();
  const walk = (folder: string, prefix: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = `${prefix}/${entry.name}`;
      if (entry.isDirectory()) walk(join(folder, entry.name), path);
      else
        files.set(path, {
          status: 200,
          headers: headersFor(path),
          body: readFileSync(join(folder, entry.name)),
        });
    }
  };
  try {
    walk(dir, "");
  } catch {
    // Not built: every page request gets the 503 below.
  }
  return files;
}

/**
 * The URL paths the built page answers ("/index.html", "/assets/app-<hash>.js", …); empty when the page was not
 * built. `dir` defaults to `dashboardDirectory()`; the files are read once and kept.
 */
export function dashboardAssets(dir = dashboardDirectory()): string[] {
  if (cache?.dir !== dir || cache.files.size === 0) cache = { dir, files: load(dir) };
  return [...cache.files.keys()];
}

/**
 * The reply for `path` ("/" is the page), or undefined when the path is not the dashboard's. When the page was not
 * built, "/" gets a 503 that says how to build it.
 */
export function serveDashboardAsset(path: string, dir = dashboardDirectory()): DashboardAsset | undefined {
  dashboardAssets(dir);
  const files = cache?.files ?? new Map<string, DashboardAsset>();
  const name = path === "/" ? "/index.html" : path;
  const found = files.get(name);
  if (found) return found;
  if (name === "/index.html")
    return {
      status: 503,
      headers: {
        ...headersFor("/x.txt"),
        "Content-Type": "text/plain; charset=utf-8",
        "Cache-Control": HTML_CACHE,
      },
      body: Buffer.from("the dashboard page is not built: run `pnpm --filter @cpppo/dashboard build`\n"),
    };
  return undefined;
}

import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DASHBOARD_CSP, dashboardAssets, serveDashboardAsset } from "../src/index.js";

describe("dashboard assets", () => {
  const dir = mkdtempSync(join(tmpdir(), "cpppo-dashboard-page-"));
  beforeAll(() => {
    execFileSync(process.execPath, [join(__dirname, "..", "scripts", "build-page.mjs"), "--out", dir], {
      stdio: "pipe",
    });
  });

  it("builds a page whose HTML names hashed script and style files, with no inline script or style", () => {
    const paths = dashboardAssets(dir);
    expect(paths).toContain("/index.html");
    const html = serveDashboardAsset("/", dir)?.body.toString("utf8") ?? "";
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts).toHaveLength(1);
    for (const [, attributes, body] of scripts) {
      expect(body).toBe("");
      const src = /src="([^"]+)"/.exec(attributes ?? "")?.[1] ?? "";
      expect(src).toMatch(/^\/assets\/main-[A-Z0-9]{8}\.js$/);
      expect(paths).toContain(src);
    }
    const style = /<link rel="stylesheet" href="([^"]+)">/.exec(html)?.[1] ?? "";
    expect(style).toMatch(/^\/assets\/main-[A-Z0-9]{8}\.css$/);
    expect(paths).toContain(style);
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=|https?:\/\//i);
  });

  it("serves the HTML uncached and hashed files as immutable, each with the CSP and its type", () => {
    const page = serveDashboardAsset("/", dir);
    expect(page?.status).toBe(200);
    expect(page?.headers).toMatchObject({
      "Content-Type": "text/html; charset=utf-8",
      "Cache-Control": "no-cache",
      "Content-Security-Policy": DASHBOARD_CSP,
      "X-Content-Type-Options": "nosniff",
    });
    expect(serveDashboardAsset("/index.html", dir)?.body).toEqual(page?.body);
    const script = dashboardAssets(dir).find((p) => p.endsWith(".js")) ?? "";
    expect(serveDashboardAsset(script, dir)?.headers).toMatchObject({
      "Content-Type": "text/javascript; charset=utf-8",
      "Cache-Control": "public, max-age=31536000, immutable",
      "Content-Security-Policy": DASHBOARD_CSP,
    });
    const css = dashboardAssets(dir).find((p) => p.endsWith(".css")) ?? "";
    expect(serveDashboardAsset(css, dir)?.headers["Content-Type"]).toBe("text/css; charset=utf-8");
    expect(serveDashboardAsset("/api", dir)).toBeUndefined();
    expect(serveDashboardAsset("/assets/../index.html", dir)).toBeUndefined();
    expect(DASHBOARD_CSP).toContain("script-src 'self'");
    expect(DASHBOARD_CSP).not.toMatch(/unsafe|\*/);
  });

  it("answers 503 with how to build it when the page was not built", () => {
    const empty = mkdtempSync(join(tmpdir(), "cpppo-dashboard-none-"));
    const reply = serveDashboardAsset("/", empty);
    expect(reply?.status).toBe(503);
    expect(reply?.body.toString()).toMatch(/not built.*build/);
    expect(serveDashboardAsset("/assets/main-X.js", empty)).toBeUndefined();
  });
});

import { Controller } from "../src/controller/controller.js";
import { EnipServer } from "../src/server.js";
import { startWebApi, type WebApi } from "../src/web.js";

const DEADLINE_MS = 5_000;
/** A token with characters that must be escaped in a URL and in HTML. */
const TOKEN = 's3 cr&t"<x>+/?#%';

/** The href of every link in an HTML page. */
function hrefs(html: string): string[] {
  return [...html.matchAll(/<a href="([^"]*)"/g)].map((m) => m[1] as string);
}

/** `href` as the browser resolves it: HTML entities decoded, relative to the API's URL. */
function followed(base: string, href: string): string {
  const decoded = href.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));
  return new URL(decoded, base).toString();
}

describe("web API HTML view with a token (issue 10, gap A)", () => {
  let server: EnipServer;
  let web: WebApi;
  const html = (url: string, headers: Record<string, string> = {}) =>
    fetch(url, { headers: { Accept: "text/html", ...headers }, signal: AbortSignal.timeout(DEADLINE_MS) });

  beforeAll(async () => {
    server = await EnipServer.start({
      controller: new Controller({ tags: ["SCADA=INT[10]"] }),
      host: "127.0.0.1",
      port: 0,
      udp: false,
    });
    web = await startWebApi({ server, host: "127.0.0.1", port: 0, token: TOKEN });
  });
  afterAll(async () => {
    await web.close();
    await server.close();
  });

  it("links carry the ?token= the page was opened with, escaped, and following them is allowed", async () => {
    const res = await html(`${web.url}/api/tags?token=${encodeURIComponent(TOKEN)}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/html/);
    const page = await res.text();
    const links = hrefs(page);
    expect(links.length).toBeGreaterThanOrEqual(5);
    for (const href of links) {
      // Escaped for HTML: no raw quote, angle bracket or ampersand of the token reaches the page.
      expect(href).not.toMatch(/[<>"]|&(?!#\d+;)/);
      const url = followed(`${web.url}/api/tags`, href);
      expect(new URL(url).searchParams.get("token")).toBe(TOKEN);
      const next = await html(url);
      expect(next.status).toBe(200);
      await next.text();
    }
    expect(page).not.toContain(TOKEN);
  });

  it("a page opened with the Bearer header alone puts no token in its links", async () => {
    const res = await html(`${web.url}/api/tags`, { Authorization: `Bearer ${TOKEN}` });
    expect(res.status).toBe(200);
    for (const href of hrefs(await res.text())) expect(href).not.toContain("token");
  });

  it("never echoes a wrong ?token=, even when a good Bearer header let the page through", async () => {
    const wrong = "guess<b>";
    const res = await html(`${web.url}/api/tags?token=${encodeURIComponent(wrong)}`, {
      Authorization: `Bearer ${TOKEN}`,
    });
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).not.toContain("guess");
    for (const href of hrefs(page)) expect(href).not.toContain("token");
    const refused = await html(`${web.url}/api/tags?token=${encodeURIComponent(wrong)}`);
    expect(refused.status).toBe(401);
    expect(await refused.text()).not.toContain("guess");
  });
});

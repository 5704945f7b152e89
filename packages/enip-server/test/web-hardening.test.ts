import { request } from "node:http";
import { connect, type Socket } from "node:net";
import { hostname } from "node:os";
import { Controller } from "../src/controller/controller.js";
import { EnipServer } from "../src/server.js";
import { type ApiReply, fnmatchRegExp, MAX_REQUEST_ELEMENTS, startWebApi, type WebApi } from "../src/web.js";

const DEADLINE_MS = 5_000;

/** RegisterSession, session 0, protocol version 1. */
const REGISTER_SESSION = Uint8Array.from([
  0x65, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
]);

async function openClient(port: number): Promise<Socket> {
  const socket = connect(port, "127.0.0.1");
  socket.on("error", () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  const replied = new Promise<void>((resolve) => socket.once("data", () => resolve()));
  socket.write(REGISTER_SESSION);
  await replied;
  return socket;
}

/** A GET with exactly these headers (fetch would add or refuse some), answered before the deadline. */
function raw(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, signal: AbortSignal.timeout(DEADLINE_MS) }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

/** Runs `work` and returns its result with the milliseconds it took (the event loop included). */
async function timed<T>(work: () => Promise<T> | T): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await work();
  return { value, ms: performance.now() - start };
}

describe("web API hardening", () => {
  let server: EnipServer;
  let web: WebApi;
  let client: Socket | undefined;
  let done = 0;
  const get = (path: string, init?: RequestInit) =>
    fetch(`${web.url}${path}`, { redirect: "manual", signal: AbortSignal.timeout(DEADLINE_MS), ...init });

  beforeEach(async () => {
    const controller = new Controller({ tags: ["SCADA=INT[10]", "BIG=INT[100000]", "BIG2=INT[8000]"] });
    server = await EnipServer.start({ controller, host: "127.0.0.1", port: 0 });
    done = 0;
    web = await startWebApi({
      server,
      host: "127.0.0.1",
      port: 0,
      onDone: () => {
        done++;
      },
    });
  });
  afterEach(async () => {
    client?.destroy();
    client = undefined;
    await web.close();
    await server.close();
  });

  describe("globs (issue 10, item 1)", () => {
    it("answers a run of 16 stars against a live connection within 1 s", async () => {
      client = await openClient(server.tcpAddress?.port as number);
      const { value: res, ms } = await timed(() => get(`/api/connections/${"*".repeat(16)}x`));
      expect(res.status).toBe(200);
      const reply = (await res.json()) as ApiReply;
      expect(reply.data).toEqual({});
      expect(ms).toBeLessThan(1_000);
      // The same connection is still matched by an ordinary glob.
      const all = (await (await get("/api/connections/127_0_0_1_*")).json()) as ApiReply;
      expect(Object.keys(all.data.connections ?? {})).toHaveLength(1);
    });

    it("matches stars separated by text in linear time, with fnmatch's answers", () => {
      const text = "a".repeat(200);
      const start = performance.now();
      expect(fnmatchRegExp(`${"*a".repeat(60)}*b`).test(text)).toBe(false);
      expect(fnmatchRegExp(`${"*?".repeat(60)}*x`).test(text)).toBe(false);
      expect(fnmatchRegExp(`${"*a".repeat(60)}*`).test(text)).toBe(true);
      expect(performance.now() - start).toBeLessThan(1_000);
      const m = (p: string, s: string) => fnmatchRegExp(p).test(s);
      expect(m("*a*a", "aa")).toBe(true);
      expect(m("*ab*b", "abb")).toBe(true);
      expect(m("*ab*b", "abab")).toBe(true);
      expect(m("*ab*b", "abba")).toBe(false);
      expect(m("a*b*c", "axxbyyc")).toBe(true);
      expect(m("a*b*c", "axxbyyb")).toBe(false);
      expect(m("**", "")).toBe(true);
      expect(m("x**y", "xy")).toBe(true);
      expect(m("[*]*", "*z")).toBe(true);
      expect(m("[*]*", "z*")).toBe(false);
      expect(m("*[0-9]_[a-c]", "q7_b")).toBe(true);
    });

    it("refuses a bad or overlong glob with 400 and a one-line reason", async () => {
      for (const path of ["/api/tags/[z-a]", "/api/[z-a]", `/api/tags/${"%3F".repeat(257)}`]) {
        const res = await get(path);
        expect(res.status).toBe(400);
        const body = await res.text();
        expect(body).toMatch(/^(bad glob .*reversed|a glob may have at most 256 characters, got 257)\n$/);
        expect(body).not.toMatch(/internal/);
      }
    });
  });

  describe("reads (issue 10, item 2)", () => {
    it("refuses to read more than the per-request cap of elements, and says so", async () => {
      const res = await get("/api/tags/BIG/attribute[0-99999]");
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text.length).toBeLessThan(10_000);
      const reply = JSON.parse(text) as ApiReply;
      expect(reply.command?.success).toBe(false);
      expect(reply.command?.message).toMatch(
        /at most 10000 elements \(10000 left\), not 100000: read a smaller range/,
      );
      expect(reply.data).toEqual({});
      // Up to the cap is served; the cap counts across every tag a glob matches.
      const ok = (await (await get("/api/tags/BIG/attribute[0-9999]")).json()) as ApiReply;
      expect(ok.data.tags?.BIG?.["attribute[0-9999]"]).toHaveLength(10_000);
      const two = (await (await get("/api/tags/BIG*/attribute[0-5999]")).json()) as ApiReply;
      expect(two.command?.success).toBe(false);
      expect(two.command?.message).toMatch(/\(4000 left\), not 6000/);
      expect(Object.keys(two.data.tags ?? {})).toHaveLength(1);
      expect(MAX_REQUEST_ELEMENTS).toBe(10_000);
    });
  });

  describe("cross-site requests (issue 10, item 3)", () => {
    it("refuses a change of state that a browser sent from another site, and serves scripts", async () => {
      const own = web.url;
      const port = web.address.port;
      const refused: Record<string, string>[] = [
        { "Sec-Fetch-Site": "cross-site" },
        { "Sec-Fetch-Site": "same-site" },
        { Origin: "http://evil.example" },
        { Origin: `http://localhost:${port + 1 === 65536 ? 1 : port + 1}` },
        { Origin: "null" },
      ];
      for (const headers of refused) {
        for (const path of [
          "/api/tags/SCADA/error=5",
          "/api/server/control/done=true",
          "/api/options/delay/value/1",
        ]) {
          const res = await raw(`${own}${path}`, headers);
          expect(res.status).toBe(403);
          expect(res.body).toMatch(/^a change of state from another site's page is refused: .+\n$/);
        }
      }
      expect(server.controller.tags.get("SCADA")?.error).toBe(0);
      expect(server.delay.value).toBe(0);
      expect(done).toBe(0);
      // A cross-site read is answered (the browser cannot show it to the page: no CORS header).
      const read = await raw(`${own}/api/tags/SCADA/error`, { "Sec-Fetch-Site": "cross-site" });
      expect(read.status).toBe(200);
      expect(read.headers["access-control-allow-origin"]).toBeUndefined();
      // curl, the address bar and the API's own pages may change state.
      for (const headers of [
        {},
        { "Sec-Fetch-Site": "none" },
        { "Sec-Fetch-Site": "same-origin", Origin: own },
      ] as Record<string, string>[]) {
        expect((await raw(`${own}/api/tags/SCADA/error=7`, headers)).status).toBe(200);
      }
      expect(server.controller.tags.get("SCADA")?.error).toBe(7);
    });

    it("refuses a Host that is not the API's address (DNS rebinding)", async () => {
      const port = web.address.port;
      for (const host of [`evil.example:${port}`, "rebind.attacker.test", `127.0.0.1.nip.example:${port}`]) {
        const res = await raw(`${web.url}/api/server/control/done=true`, { Host: host });
        expect(res.status).toBe(421);
        expect(res.body).toMatch(/^Host .* is not this API's address; use its IP address or localhost\n$/);
        expect((await raw(`${web.url}/api/tags`, { Host: host })).status).toBe(421);
      }
      expect(done).toBe(0);
      for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, "LOCALHOST", `${hostname()}:${port}`]) {
        expect((await raw(`${web.url}/api/tags/SCADA/error`, { Host: host })).status).toBe(200);
      }
    });

    it("with a token, reads of tags and connections need it too", async () => {
      const guarded = await startWebApi({ server, host: "127.0.0.1", port: 0, token: "s3cret" });
      try {
        client = await openClient(server.tcpAddress?.port as number);
        for (const path of ["/api", "/api/tags", "/api/tags/SCADA/attribute[0-9]", "/api/connections"]) {
          const res = await raw(`${guarded.url}${path}`, {});
          expect(res.status).toBe(401);
          expect(res.body).not.toMatch(/SCADA|127_0_0_1/);
          expect((await raw(`${guarded.url}${path}`, { Authorization: "Bearer s3cret" })).status).toBe(200);
        }
      } finally {
        await guarded.close();
      }
    });
  });

  describe("knobs in range (issue 10, item 4)", () => {
    it("refuses a delay past Node's timer limit instead of turning it into 1 ms", async () => {
      for (const path of [
        "/api/options/delay/value/2147484",
        "/api/options/delay/value/1e12",
        "/api/options/delay/range/0-2147484",
      ]) {
        const reply = (await (await get(path)).json()) as ApiReply;
        expect(reply.command?.success).toBe(false);
        expect(reply.command?.message).toMatch(
          /2147483 seconds.*Node's timer limit, about 24\.8 days\), got /,
        );
      }
      expect(server.delay.value).toBe(0);
      expect(server.delay.range).toBeUndefined();
      const ok = (await (await get("/api/options/delay/value/2147483")).json()) as ApiReply;
      expect(ok.command?.success).toBe(true);
      expect(server.delay.value).toBe(2_147_483);
      server.delay.value = 0;
    });

    it("refuses such a delay in the server's options and on its ReplyDelay too", async () => {
      const controller = new Controller({ tags: ["A=INT"] });
      for (const delay of [2_147_484, { min: 0, max: 2_147_484 }, Number.POSITIVE_INFINITY])
        await expect(EnipServer.start({ controller, host: "127.0.0.1", port: 0, delay })).rejects.toThrow(
          /"delay".*2147483 seconds \(Node's timer limit/,
        );
      expect(() => {
        server.delay.value = 1e12;
      }).toThrow(/"delay" must be 0\.\.2147483 seconds/);
      expect(() => {
        server.delay.range = { min: 1, max: 1e12 };
      }).toThrow(/max <= 2147483 seconds/);
      expect(server.delay.value).toBe(0);
    });
  });
});

import { connect, type Socket } from "node:net";
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
  const get = (path: string, init?: RequestInit) =>
    fetch(`${web.url}${path}`, { redirect: "manual", signal: AbortSignal.timeout(DEADLINE_MS), ...init });

  beforeEach(async () => {
    const controller = new Controller({ tags: ["SCADA=INT[10]", "BIG=INT[100000]", "BIG2=INT[8000]"] });
    server = await EnipServer.start({ controller, host: "127.0.0.1", port: 0 });
    web = await startWebApi({ server, host: "127.0.0.1", port: 0 });
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
});

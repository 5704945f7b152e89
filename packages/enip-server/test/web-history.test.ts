/**
 * `GET /api/history`: the historize records of a real rotated history set (written by @cpppo/history's writer, read
 * through its reader, both from source: @cpppo/history is not a dependency of this package) over a real web API.
 */
import { mkdtempSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getZone, HistoryWriter, readRecordBatches } from "../../history/src/index.js";
import { Controller } from "../src/controller/controller.js";
import { EnipServer } from "../src/server.js";
import { startWebApi, type WebApi } from "../src/web.js";
import { createHistoryEndpoint, type HistoryReply, type WebHistorySource } from "../src/web-history.js";

const dir = mkdtempSync(join(tmpdir(), "cpppo-web-history-"));
const path = join(dir, "hist");
/** 2026-03-08 08:00:00 UTC: an hour before America/Edmonton springs forward (09:00 UTC, MST → MDT). */
const T0 = 1_772_956_800;
const N = 12_000;

const source = (file: string): WebHistorySource => ({
  read: (range) => readRecordBatches(file, range),
  zone: getZone("America/Edmonton"),
});

describe("GET /api/history", () => {
  let server: EnipServer;
  let web: WebApi;
  let guarded: WebApi;
  let none: WebApi;

  beforeAll(async () => {
    // A triangle wave on SCADA[0..1] every second for N s, rotated every ~64 KiB, with another tag between.
    const writer = new HistoryWriter(path, { rotateBytes: 64 * 1024 });
    for (let i = 0; i < N; i++) {
      const t = T0 + i;
      const v = i % 200 < 100 ? i % 200 : 200 - (i % 200);
      void writer.write({ write: [v, -v] }, { now: t, serial: ["SCADA", [0, 1]] });
      if (i % 10 === 0) void writer.write({ read: [i] }, { now: t + 0.5, serial: ["OTHER", [0, 0]] });
    }
    await writer.close();
    const controller = new Controller({ tags: ["SCADA=INT[2]"] });
    server = await EnipServer.start({ controller, host: "127.0.0.1", port: 0 });
    web = await startWebApi({ server, host: "127.0.0.1", port: 0, history: source(path) });
    guarded = await startWebApi({
      server,
      host: "127.0.0.1",
      port: 0,
      history: source(path),
      token: "s3cret",
    });
    none = await startWebApi({ server, host: "127.0.0.1", port: 0 });
  }, 60_000);
  afterAll(async () => {
    await Promise.all([web?.close(), guarded?.close(), none?.close()]);
    await server?.close();
  });

  const get = async (api: WebApi, query: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${api.url}/api/history?${query}`, {
      headers,
      signal: AbortSignal.timeout(20_000),
    });
    return { status: res.status, text: await res.text(), type: res.headers.get("content-type") };
  };

  it("decimates a tag's points over a rotated set to the bound, keeping the extremes", async () => {
    const { status, text, type } = await get(web, `tag=SCADA&since=${T0}&until=${T0 + N}&points=300`);
    expect(status).toBe(200);
    expect(type).toMatch(/^application\/json/);
    const body = JSON.parse(text) as HistoryReply;
    expect(body.series.map((s) => s.name)).toEqual(["SCADA[0]", "SCADA[1]"]);
    expect(body.samples).toBe(2 * N);
    expect(body.decimated).toBe(true);
    expect(body.partial).toBe(false);
    expect(body.count).toBeLessThanOrEqual(300);
    expect(body.count).toBeGreaterThan(100);
    const [a, b] = body.series as [HistoryReply["series"][0], HistoryReply["series"][0]];
    expect(Math.max(...a.values)).toBe(100);
    expect(Math.min(...a.values)).toBe(0);
    expect(Math.min(...b.values)).toBe(-100);
    for (const s of body.series) {
      expect(s.times.length).toBe(s.values.length);
      for (let i = 1; i < s.times.length; i++) expect(s.times[i]).toBeGreaterThan(s.times[i - 1] as number);
      expect(s.times[0]).toBeGreaterThanOrEqual(T0);
      expect(s.times.at(-1)).toBeLessThanOrEqual(T0 + N);
    }
  });

  it("reads one element and a window, undecimated when the points fit", async () => {
    const since = T0 + 5000;
    const { status, text } = await get(
      web,
      `tag=${encodeURIComponent("SCADA[1]")}&since=${since}&until=${since + 99}`,
    );
    expect(status).toBe(200);
    const body = JSON.parse(text) as HistoryReply;
    expect(body.series.map((s) => s.name)).toEqual(["SCADA[1]"]);
    expect(body.samples).toBe(100);
    expect(body.count).toBe(100);
    expect(body.decimated).toBe(false);
    expect(body.series[0]?.times[0]).toBe(since);
  });

  it("gives the zone's abbreviations over the range, with the change of offset", async () => {
    const { text } = await get(web, `tag=SCADA&since=${T0}&until=${T0 + 7200}`);
    const body = JSON.parse(text) as HistoryReply;
    expect(body.zone).toEqual({
      name: "America/Edmonton",
      segments: [
        { at: T0, offset: -7 * 3600, abbreviation: "MST" },
        { at: T0 + 3600, offset: -6 * 3600, abbreviation: "MDT" },
      ],
    });
  });

  it("answers an empty plot with a reason when nothing was recorded yet", async () => {
    const empty = await startWebApi({
      server,
      host: "127.0.0.1",
      port: 0,
      history: source(join(dir, "never-written")),
    });
    try {
      const body = JSON.parse((await get(empty, "tag=SCADA")).text) as HistoryReply;
      expect(body.series).toEqual([]);
      expect(body.message).toBe("nothing has been recorded yet");
    } finally {
      await empty.close();
    }
  });

  it("refuses bad queries, another site's page and a missing token; 404 without history", async () => {
    expect((await get(web, "since=1")).status).toBe(400);
    expect((await get(web, "tag=SCADA&since=10&until=5")).status).toBe(400);
    expect((await get(web, "tag=SCADA&since=x")).status).toBe(400);
    expect((await get(web, "tag=SCADA&points=9")).status).toBe(400);
    expect((await get(web, "tag=SCADA&points=5001")).status).toBe(400);
    expect((await get(web, "tag=SCADA", { "Sec-Fetch-Site": "cross-site" })).status).toBe(403);
    expect((await get(web, "tag=SCADA", { Origin: "http://evil.example" })).status).toBe(403);
    expect((await get(guarded, "tag=SCADA")).status).toBe(401);
    expect((await get(guarded, "tag=SCADA&token=s3cret")).status).toBe(200);
    expect((await get(guarded, "tag=SCADA", { Authorization: "Bearer s3cret" })).status).toBe(200);
    const missing = await get(none, "tag=SCADA");
    expect(missing.status).toBe(404);
    expect(missing.text).toMatch(/--historize/);
  });
});

describe("createHistoryEndpoint", () => {
  /** A reply collected in memory: status and body. */
  const call = async (handler: ReturnType<typeof createHistoryEndpoint>, query: string) => {
    let status = 0;
    let body = "";
    const res = {
      req: { method: "GET" },
      on: () => res,
      writeHead: (s: number) => {
        status = s;
      },
      end: (b?: string) => {
        body = b ?? "";
      },
    };
    await handler({} as IncomingMessage, res as unknown as ServerResponse, new URLSearchParams(query));
    return { status, body };
  };

  it("sends the points found so far when the deadline passes, and stops reading", async () => {
    let batches = 0;
    const handler = createHistoryEndpoint({
      deadlineMs: 50,
      authorize: () => undefined,
      source: {
        zone: getZone("UTC"),
        async *read() {
          // An endless file: each batch takes 10 ms.
          for (let t = 0; ; t++) {
            batches++;
            await new Promise((resolve) => setTimeout(resolve, 10));
            yield [
              { timestamp: 100 + t, serialText: '["A", [0, 0]]', serial: ["A", [0, 0]], data: { read: [t] } },
            ];
          }
        },
      },
    });
    const { status, body } = await call(handler, "tag=A&since=0&until=1000000");
    expect(status).toBe(200);
    const reply = JSON.parse(body) as HistoryReply;
    expect(reply.partial).toBe(true);
    expect(reply.count).toBeGreaterThan(0);
    expect(reply.samples).toBe(batches);
  });

  it("reads what is on disk when the writer does not flush within the deadline", async () => {
    const handler = createHistoryEndpoint({
      deadlineMs: 50,
      authorize: () => undefined,
      source: {
        zone: getZone("UTC"),
        flush: () => new Promise(() => undefined),
        async *read() {
          yield [{ timestamp: 100, serialText: '["A", [0, 0]]', serial: ["A", [0, 0]], data: { read: [7] } }];
        },
      },
    });
    const { status, body } = await call(handler, "tag=A&since=0&until=1000");
    expect(status).toBe(200);
    expect((JSON.parse(body) as HistoryReply).series).toEqual([{ name: "A[0]", times: [100], values: [7] }]);
  });

  it("refuses more reads at once than allowed", async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const handler = createHistoryEndpoint({
      maxReads: 1,
      authorize: () => undefined,
      source: {
        zone: getZone("UTC"),
        async *read() {
          await gate;
          yield [];
        },
      },
    });
    const first = call(handler, "tag=A");
    const second = await call(handler, "tag=A");
    expect(second.status).toBe(503);
    release();
    expect((await first).status).toBe(200);
  });
});

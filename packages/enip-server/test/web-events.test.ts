import { createServer, type IncomingMessage, request, type Server } from "node:http";
import { connect, type Socket } from "node:net";
import { Controller } from "../src/controller/controller.js";
import { EnipServer } from "../src/server.js";
import { startWebApi, type WebApi } from "../src/web.js";
import { createEventHub, EVENT_PREVIEW_ELEMENTS, replyStatus } from "../src/web-events.js";
import { readTag, TestClient, withDeadline, writeInts } from "./support/server-client.js";

const DEADLINE_MS = 10_000;

interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

/** An open event stream read over a real socket: its status and the events as they arrive. */
class Stream {
  readonly events: SseEvent[] = [];
  private buffer = "";
  private waiters: (() => void)[] = [];
  ended = false;
  constructor(
    readonly status: number,
    readonly headers: IncomingMessage["headers"],
    readonly body: IncomingMessage,
  ) {
    body.setEncoding("utf8");
    body.on("data", (chunk: string) => {
      this.buffer += chunk;
      for (let at = this.buffer.indexOf("\n\n"); at >= 0; at = this.buffer.indexOf("\n\n")) {
        const block = this.buffer.slice(0, at);
        this.buffer = this.buffer.slice(at + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) this.events.push({ event, data: JSON.parse(data) as Record<string, unknown> });
      }
      this.wake();
    });
    body.on("close", () => {
      this.ended = true;
      this.wake();
    });
    body.on("error", () => undefined);
  }
  private wake() {
    for (const w of this.waiters.splice(0)) w();
  }
  /** The first event (from the start of the stream) that `match` accepts, or a rejection at the deadline. */
  async find(match: (e: SseEvent) => boolean, what: string, from = 0): Promise<SseEvent> {
    const deadline = Date.now() + DEADLINE_MS;
    for (;;) {
      const found = this.events.slice(from).find(match);
      if (found) return found;
      if (this.ended) throw new Error(`the stream ended before ${what}`);
      if (Date.now() > deadline) throw new Error(`no ${what} within ${DEADLINE_MS} ms`);
      await withDeadline(new Promise<void>((resolve) => this.waiters.push(resolve)), what, DEADLINE_MS);
    }
  }
  close() {
    this.body.destroy();
  }
}

function open(url: string, headers: Record<string, string> = {}): Promise<Stream> {
  return withDeadline(
    new Promise<Stream>((resolve, reject) => {
      const req = request(url, { headers: { Accept: "text/event-stream", ...headers } }, (res) =>
        resolve(new Stream(res.statusCode ?? 0, res.headers, res)),
      );
      req.on("error", reject);
      req.end();
    }),
    `the stream at ${url}`,
    DEADLINE_MS,
  );
}

type TagChange = { name: string; error: number; values: unknown[] };
const changesOf = (e: SseEvent) => (e.data.changes as TagChange[] | undefined) ?? [];

describe("web API event stream (/api/events)", () => {
  let controller: Controller;
  let server: EnipServer;
  let web: WebApi;
  const streams: Stream[] = [];
  const clients: TestClient[] = [];
  const watch = async (path = "/api/events", headers: Record<string, string> = {}) => {
    const stream = await open(`${web.url}${path}`, headers);
    streams.push(stream);
    return stream;
  };

  beforeEach(async () => {
    controller = new Controller({ tags: ["SCADA=INT[100]", "TEXT=STRING", "SPEED=REAL"] });
    server = await EnipServer.start({ controller, host: "127.0.0.1", port: 0 });
    web = await startWebApi({ server, host: "127.0.0.1", port: 0, eventIntervalMs: 20 });
  });
  afterEach(async () => {
    for (const s of streams.splice(0)) s.close();
    for (const c of clients.splice(0)) c.close();
    await web.close();
    await server.close();
  });

  it("starts with hello (tags with a preview, identity, connections, counters), then pushes coalesced changes", async () => {
    const stream = await watch();
    expect(stream.status).toBe(200);
    expect(stream.headers["content-type"]).toBe("text/event-stream; charset=utf-8");
    expect(stream.headers["access-control-allow-origin"]).toBeUndefined();
    const hello = await stream.find((e) => e.event === "hello", "hello");
    const tags = hello.data.tags as { name: string; type: string; elements: number; values: unknown[] }[];
    expect(tags.map((t) => t.name)).toEqual(["SCADA", "TEXT", "SPEED"]);
    expect(tags[0]).toMatchObject({ type: "INT", elements: 100, array: true, error: 0 });
    expect(tags[0]?.values).toHaveLength(EVENT_PREVIEW_ELEMENTS);
    expect(hello.data.identity).toMatchObject({ productName: "1756-L61/B LOGIX5561" });
    expect(hello.data.status).toMatchObject({ requests: 0, errors: 0, clients: 1 });

    // Many writes between two ticks reach the stream as one change with the last value.
    const tag = controller.tags.get("SCADA");
    for (let v = 1; v <= 50; v++) tag?.setValues(0, [v]);
    const changed = await stream.find((e) => e.event === "tags", "a tags event");
    expect(changesOf(changed)).toHaveLength(1);
    expect(changesOf(changed)[0]).toMatchObject({ name: "SCADA", error: 0 });
    expect(changesOf(changed)[0]?.values[0]).toBe(50);
    // Nothing else changed: no later tags event names SCADA again until it changes.
    const count = stream.events.length;
    controller.tags.get("TEXT")?.setValues(0, ["<b>hi</b>"]);
    const text = await stream.find((e) => e.event === "tags", "the TEXT change", count);
    expect(changesOf(text)).toEqual([{ name: "TEXT", error: 0, values: ["<b>hi</b>"] }]);
  });

  it("pushes a value written by an EtherNet/IP client, an injected error, connections and the counters", async () => {
    const stream = await watch();
    await stream.find((e) => e.event === "hello", "hello");
    const client = await TestClient.connect(server.tcpAddress?.port ?? 0);
    clients.push(client);
    await client.register();
    const listed = await stream.find(
      (e) => e.event === "connections" && (e.data.connections as unknown[]).length === 1,
      "the new connection",
    );
    const connection = (listed.data.connections as Record<string, unknown>[])[0];
    expect(connection).toMatchObject({ peer: "127.0.0.1", eof: false, session: client.session });
    expect(client.session).not.toBe(0);
    expect(typeof connection?.idle).toBe("number");

    const reply = await client.request(writeInts("SCADA", 3, [1234]));
    expect(reply.generalStatus).toBe(0);
    const written = await stream.find(
      (e) => e.event === "tags" && changesOf(e).some((c) => c.name === "SCADA" && c.values[3] === 1234),
      "the written value",
    );
    expect(written).toBeDefined();

    const mark = stream.events.length;
    const speed = controller.tags.get("SPEED");
    if (!speed) throw new Error("no SPEED tag");
    speed.error = 0x08;
    const injected = await stream.find((e) => e.event === "tags", "the injected error", mark);
    expect(changesOf(injected)).toEqual([{ name: "SPEED", error: 8, values: [0] }]);
    const failed = await client.request(readTag("SPEED"));
    expect(failed.generalStatus).toBe(8);

    const counted = await stream.find(
      (e) => e.event === "status" && (e.data.requests as number) >= 2 && (e.data.errors as number) >= 1,
      "the counters with 2 requests and an error",
    );
    expect(counted.data).toMatchObject({ clients: 1, dropped: 0 });
    expect(counted.data.requestsPerSecond).toBeGreaterThanOrEqual(0);

    server.endConnection(String(connection?.id));
    await stream.find(
      (e) => e.event === "connections" && (e.data.connections as unknown[]).length === 0,
      "the closed connection gone",
    );
  });

  it("refuses another site's page and Host; close() ends open streams", async () => {
    const cross = await watch("/api/events", { Origin: "http://evil.example" });
    expect(cross.status).toBe(403);
    const fetchSite = await watch("/api/events", { "Sec-Fetch-Site": "cross-site" });
    expect(fetchSite.status).toBe(403);
    const rebound = await watch("/api/events", { Host: "evil.example" });
    expect(rebound.status).toBe(421);
    const own = await watch("/api/events", {
      Origin: web.url,
      "Sec-Fetch-Site": "same-origin",
    });
    expect(own.status).toBe(200);
    await own.find((e) => e.event === "hello", "hello");
    const closed = web.close();
    await withDeadline(closed, "close() with an open stream", 900);
    await own.find(() => false, "nothing").catch((err: Error) => expect(err.message).toMatch(/ended/));
  });
});

describe("web API event stream with a token", () => {
  it("needs the token, by ?token= or Authorization: Bearer", async () => {
    const controller = new Controller({ tags: ["SCADA=INT"] });
    const server = await EnipServer.start({ controller, host: "127.0.0.1", port: 0 });
    const web = await startWebApi({ server, host: "127.0.0.1", port: 0, token: "s3cret" });
    const opened: Stream[] = [];
    try {
      for (const [path, headers, status] of [
        ["/api/events", {}, 401],
        ["/api/events?token=wrong", {}, 401],
        ["/api/events", { Authorization: "Bearer wrong" }, 401],
        ["/api/events?token=s3cret", {}, 200],
        ["/api/events", { Authorization: "Bearer s3cret" }, 200],
      ] as const) {
        const stream = await open(`${web.url}${path}`, headers);
        opened.push(stream);
        expect([path, headers, stream.status]).toEqual([path, headers, status]);
        if (status === 200) await stream.find((e) => e.event === "hello", "hello");
      }
    } finally {
      for (const s of opened) s.close();
      await web.close();
      await server.close();
    }
  });
});

describe("event hub bounds", () => {
  it("drops a client that does not read instead of buffering without bound", async () => {
    const tags = Array.from({ length: 200 }, (_, i) => `T${i}=DINT[16]`);
    const controller = new Controller({ tags });
    const hub = createEventHub({
      server: {
        delay: { value: 0, range: undefined },
        disabled: false,
        connections: () => [],
      },
      controller,
      authorize: () => undefined,
      intervalMs: 5,
      maxBufferedBytes: 64 * 1024,
    });
    const http: Server = createServer((req, res) => hub.serve(req, res, new URLSearchParams()));
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    const port = (http.address() as { port: number }).port;
    // A raw client that asks for the stream and then never reads.
    const socket: Socket = connect(port, "127.0.0.1");
    socket.on("error", () => undefined);
    await new Promise<void>((resolve) => socket.once("connect", resolve));
    socket.write(`GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
    socket.pause();
    let n = 0;
    const churn = setInterval(() => {
      n++;
      for (const name of controller.tags.names())
        controller.tags.get(name)?.setValues(
          0,
          Array.from({ length: 16 }, (_, i) => n * 16 + i),
        );
    }, 5);
    try {
      const deadline = Date.now() + 30_000;
      while (hub.dropped === 0 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 20));
      expect(hub.dropped).toBe(1);
      expect(hub.clients).toBe(0);
    } finally {
      clearInterval(churn);
      socket.destroy();
      hub.close();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
  });

  it("reads the CIP status of a reply frame", () => {
    const frame = new Uint8Array(24 + 16 + 4);
    const view = new DataView(frame.buffer);
    view.setUint16(0, 0x6f, true);
    view.setUint16(30, 2, true);
    view.setUint16(32, 0, true); // null address item
    view.setUint16(36, 0xb2, true);
    view.setUint16(38, 4, true);
    frame.set([0xcc, 0, 0x05, 0], 40);
    expect(replyStatus(frame)).toBe(5);
    frame[42] = 0;
    expect(replyStatus(frame)).toBe(0);
    view.setUint32(8, 0x65, true);
    expect(replyStatus(frame)).toBe(0x65);
  });
});

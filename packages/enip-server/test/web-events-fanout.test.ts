/**
 * The event stream's fan-out to many clients: each event is written to a few clients per turn of the event loop, and
 * every client still gets every event in order; the stream is sent without chunked framing and ends with its
 * connection.
 */
import { type IncomingMessage, request } from "node:http";
import { Controller } from "../src/controller/controller.js";
import { EnipServer } from "../src/server.js";
import { startWebApi, type WebApi } from "../src/web.js";
import { withDeadline } from "./support/server-client.js";

const DEADLINE_MS = 15_000;
const CLIENTS = 30;

/** One stream's `tags` events: the first value of SCADA each carried, in arrival order. */
class Watcher {
  readonly seen: number[] = [];
  hello = false;
  private buffer = "";
  private wake: (() => void) | undefined;
  constructor(readonly res: IncomingMessage) {
    res.setEncoding("utf8");
    res.on("data", (chunk: string) => {
      this.buffer += chunk;
      for (let at = this.buffer.indexOf("\n\n"); at >= 0; at = this.buffer.indexOf("\n\n")) {
        const block = this.buffer.slice(0, at);
        this.buffer = this.buffer.slice(at + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event === "hello") this.hello = true;
        if (event === "tags" && data) {
          const changes = (JSON.parse(data) as { changes: { name: string; values: number[] }[] }).changes;
          for (const c of changes) if (c.name === "SCADA") this.seen.push(c.values[0] as number);
        }
      }
      this.wake?.();
    });
    res.on("error", () => undefined);
  }
  async until(done: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + DEADLINE_MS;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`no ${what} within ${DEADLINE_MS} ms`);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, 100);
      });
    }
  }
}

describe("event stream fan-out", () => {
  let server: EnipServer;
  let web: WebApi;
  const watchers: Watcher[] = [];
  beforeAll(async () => {
    const controller = new Controller({ tags: ["SCADA=INT[4]"] });
    server = await EnipServer.start({ controller, host: "127.0.0.1", port: 0 });
    web = await startWebApi({ server, host: "127.0.0.1", port: 0, eventIntervalMs: 5 });
  });
  afterAll(async () => {
    for (const w of watchers) w.res.destroy();
    await web?.close();
    await server?.close();
  });

  it("gives each of many clients every change in order, without chunked framing", async () => {
    for (let i = 0; i < CLIENTS; i++) {
      const res = await withDeadline(
        new Promise<IncomingMessage>((resolve, reject) => {
          const req = request(`${web.url}/api/events`, { headers: { Accept: "text/event-stream" } }, resolve);
          req.on("error", reject);
          req.end();
        }),
        "a stream",
        DEADLINE_MS,
      );
      expect(res.statusCode).toBe(200);
      expect(res.headers["transfer-encoding"]).toBeUndefined();
      expect(res.headers.connection).toBe("close");
      watchers.push(new Watcher(res));
    }
    for (const w of watchers) await w.until(() => w.hello, "hello");
    // A new value every few ticks: each is its own event, written to 30 clients in groups.
    const tag = server.controller.tags.get("SCADA");
    const last = 40;
    for (let v = 1; v <= last; v++) {
      tag?.setValues(0, [v]);
      await new Promise((resolve) => setTimeout(resolve, 15));
    }
    for (const w of watchers) {
      await w.until(() => w.seen.at(-1) === last, `the last value ${last}`);
      for (let i = 1; i < w.seen.length; i++) expect(w.seen[i]).toBeGreaterThan(w.seen[i - 1] as number);
    }
  });
});

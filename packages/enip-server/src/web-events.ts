/**
 * The web API's event stream (`GET /api/events`, Server-Sent Events) for the live dashboard: one `hello` with the
 * whole picture, then `tags` (the tags whose value or forced error changed, coalesced per tick), `connections` (when
 * the list changes, and every second with idle times) and `status` (counters, requests/s, errors/s, the delay). The
 * server compares each tag's storage once per tick and writes one serialised event to every client; a client whose
 * unsent bytes pass a bound is dropped (its browser reconnects and gets a fresh `hello`), never buffered without end.
 * Nothing runs while no one watches.
 */
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import type { IncomingMessage, ServerResponse } from "node:http";
import { type RequestEvent, requestChannel } from "./core/diagnostics.js";

/** The tag members the event stream reads (a controller's `Tag` has them; `bytes` makes change detection cheap). */
export interface EventTag {
  readonly name: string;
  readonly elements: number;
  readonly typeName?: string;
  readonly isArray?: boolean;
  readonly bytes?: Uint8Array;
  error: number;
  describe(): string;
  values(start?: number, count?: number): unknown[];
}

/** The server members the event stream reads. */
export interface EventSource {
  readonly tcpAddress?: { address: string; port: number };
  readonly delay: { value: number; range: { min: number; max: number } | undefined };
  readonly disabled: boolean;
  connections(): {
    id: string;
    peer: string;
    port: number;
    received: number;
    requests: number;
    processed: number;
    eof: boolean;
    /** The session handle, when the server reports it (0 before RegisterSession). */
    session?: number;
    /** Modbus: the unit ids its requests named. */
    units?: number[];
  }[];
  /** Requests and failures as the server counts them; when absent they are counted from the diagnostics channel. */
  counters?(): { requests: number; errors: number };
}

/** Options of `createEventHub`. */
export interface EventHubOptions {
  server: EventSource;
  controller: { readonly tags: { names(): string[]; get(name: string): EventTag | undefined } };
  /** The controller's identity object (shown as is), when it has one. */
  identity?: unknown;
  /** Why this request may not watch (403/401 and the text), or undefined when it may. */
  authorize(req: IncomingMessage, query: URLSearchParams): { status: number; message: string } | undefined;
  /** Whether `GET /api/history` serves recorded values (the page then offers its time-range plot); default false. */
  history?: boolean;
  /** Milliseconds between tag comparisons; default 50. */
  intervalMs?: number;
  /** A client with more unsent bytes than this is dropped; default 1 MiB. */
  maxBufferedBytes?: number;
  /** Most clients at once (another gets 503); default 100. */
  maxClients?: number;
}

/** Elements of an array tag an event carries (the page pages further through the JSON API). */
export const EVENT_PREVIEW_ELEMENTS = 16;

/** Clients an event is written to per turn of the event loop (see `broadcast`). */
const WRITE_GROUP = 8;

/** Path of the event stream. */
export const EVENTS_PATH = "/api/events";

interface Client {
  res: ServerResponse;
}

interface TagState {
  tag: EventTag;
  bytes: Uint8Array | undefined;
  text: string | undefined;
  error: number;
}

/** JSON with bigints as decimal strings. */
function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}

/** The CIP general status of a SendRRData/SendUnitData reply (or the encapsulation status when non-zero). */
export function replyStatus(reply: Uint8Array): number {
  if (reply.length < 24) return 0;
  const view = new DataView(reply.buffer, reply.byteOffset, reply.byteLength);
  const status = view.getUint32(8, true);
  if (status !== 0) return status;
  const command = view.getUint16(0, true);
  if ((command !== 0x6f && command !== 0x70) || reply.length < 32) return 0;
  let at = 32;
  for (let items = view.getUint16(30, true); items > 0 && at + 4 <= reply.length; items--) {
    const type = view.getUint16(at, true);
    const length = view.getUint16(at + 2, true);
    const data = at + 4 + (type === 0xb1 ? 2 : 0);
    if ((type === 0xb2 || type === 0xb1) && data + 3 <= reply.length) return reply[data + 2] as number;
    at += 4 + length;
  }
  return 0;
}

/** A running event stream: serves clients and stops when closed. */
export interface EventHub {
  /** Serves `GET /api/events` on this request (after the Host check). */
  serve(req: IncomingMessage, res: ServerResponse, query: URLSearchParams): void;
  /** Clients now watching. */
  readonly clients: number;
  /** Clients dropped for reading too slowly since the start. */
  readonly dropped: number;
  /** Ends every stream and stops the timer. */
  close(): void;
}

/** Creates the event stream of a web API. */
export function createEventHub(options: EventHubOptions): EventHub {
  const { server, controller } = options;
  const intervalMs = options.intervalMs ?? 50;
  const maxBuffered = options.maxBufferedBytes ?? 1024 * 1024;
  const maxClients = options.maxClients ?? 100;
  const clients = new Set<Client>();
  let dropped = 0;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let tags = new Map<string, TagState>();
  let nameCount = -1;
  let connectionKey = "";
  let lastSecond = 0;
  let requests = 0;
  let errors = 0;
  let lastRequests = 0;
  let lastErrors = 0;
  /** Per connection: its request count when last seen and when that count last moved (for idle times). */
  const activity = new Map<string, { requests: number; received: number; at: number }>();
  const ours = new Set<string>();

  const onRequest = (message: unknown) => {
    const event = message as RequestEvent;
    if (!ours.has(event.id)) {
      if (event.id === "udp") return;
      // A connection opened since the last tick, or another server's in this process.
      for (const c of server.connections()) ours.add(c.id);
      if (!ours.has(event.id)) return;
    }
    requests++;
    if (event.reply && replyStatus(event.reply) !== 0) errors++;
  };

  const preview = (tag: EventTag): unknown[] => {
    try {
      return tag.values(0, Math.min(tag.elements, EVENT_PREVIEW_ELEMENTS));
    } catch {
      return [];
    }
  };
  const tagView = (tag: EventTag) => ({
    name: tag.name,
    type: tag.typeName ?? "",
    elements: tag.elements,
    array: tag.isArray ?? tag.elements > 1,
    error: tag.error,
    values: preview(tag),
  });
  const stateOf = (tag: EventTag): TagState => ({
    tag,
    bytes: tag.bytes ? tag.bytes.slice() : undefined,
    text: tag.bytes ? undefined : tag.describe(),
    error: tag.error,
  });
  const snapshotTags = () => {
    const next = new Map<string, TagState>();
    const names = controller.tags.names();
    nameCount = names.length;
    for (const name of names) {
      const tag = controller.tags.get(name);
      if (tag && tag.name === name) next.set(name, stateOf(tag));
    }
    tags = next;
  };

  const connectionList = (now: number) =>
    server.connections().map((c) => {
      const seen = activity.get(c.id);
      if (!seen || seen.requests !== c.requests || seen.received !== c.received)
        activity.set(c.id, { requests: c.requests, received: c.received, at: now });
      const at = activity.get(c.id)?.at ?? now;
      return { ...c, idle: Math.max(0, (now - at) / 1000) };
    });
  const status = (elapsedS: number) => {
    const counted = server.counters?.();
    if (counted) ({ requests, errors } = counted);
    return statusView(elapsedS);
  };
  const statusView = (elapsedS: number) => ({
    requests,
    errors,
    requestsPerSecond: elapsedS > 0 ? (requests - lastRequests) / elapsedS : 0,
    errorsPerSecond: elapsedS > 0 ? (errors - lastErrors) / elapsedS : 0,
    clients: clients.size,
    dropped,
    delay: { value: server.delay.value, range: server.delay.range ?? null },
    disabled: server.disabled,
  });

  /**
   * Events not yet written to every client, oldest first. A write costs a system call per client, so a broadcast to
   * many is written `WRITE_GROUP` clients per turn of the event loop: the simulator's requests are served between
   * groups instead of waiting behind all of them. One queue keeps each client's events in order.
   */
  const pending: { frame: Buffer; targets: Client[]; at: number }[] = [];
  let writing = false;
  const writeSome = () => {
    let budget = WRITE_GROUP;
    while (pending.length > 0 && budget > 0) {
      const job = pending[0] as (typeof pending)[number];
      const client = job.targets[job.at++] as Client;
      if (job.at === job.targets.length) pending.shift();
      if (!clients.has(client)) continue;
      budget--;
      if (client.res.writableLength > maxBuffered) {
        dropped++;
        clients.delete(client);
        client.res.destroy();
        continue;
      }
      client.res.write(job.frame);
    }
    if (pending.length > 0) setImmediate(writeSome);
    else writing = false;
  };
  const broadcast = (event: string, data: unknown) => {
    if (clients.size === 0) return;
    // Encoded once: a string written to each client would be converted to bytes once per client.
    pending.push({
      frame: Buffer.from(`event: ${event}\ndata: ${toJson(data)}\n\n`),
      targets: [...clients],
      at: 0,
    });
    if (!writing) {
      writing = true;
      writeSome();
    }
  };

  const tick = () => {
    const now = Date.now();
    const changes: unknown[] = [];
    if (controller.tags.names().length !== nameCount) snapshotTags();
    for (const state of tags.values()) {
      const { tag } = state;
      let changed = tag.error !== state.error;
      if (tag.bytes && state.bytes) {
        if (!changed && Buffer.compare(tag.bytes, state.bytes) !== 0) changed = true;
        if (changed) state.bytes.set(tag.bytes);
      } else {
        const text = tag.describe();
        if (text !== state.text) changed = true;
        state.text = text;
      }
      if (!changed) continue;
      state.error = tag.error;
      changes.push({ name: tag.name, error: tag.error, values: preview(tag) });
    }
    if (changes.length > 0) broadcast("tags", { at: now, changes });
    const list = server.connections();
    const key = list.map((c) => `${c.id}${c.eof ? "!" : ""}`).join(",");
    const second = now - lastSecond >= 1000;
    if (key !== connectionKey || second) {
      connectionKey = key;
      ours.clear();
      for (const c of list) ours.add(c.id);
      for (const id of activity.keys()) if (!ours.has(id)) activity.delete(id);
      broadcast("connections", { at: now, connections: connectionList(now) });
    }
    if (second) {
      broadcast("status", { at: now, ...status((now - lastSecond) / 1000) });
      lastSecond = now;
      lastRequests = requests;
      lastErrors = errors;
    }
  };

  const start = () => {
    snapshotTags();
    if (!server.counters) subscribe(requestChannel.name, onRequest);
    const counted = server.counters?.();
    if (counted) ({ requests, errors } = counted);
    lastRequests = requests;
    lastErrors = errors;
    lastSecond = Date.now();
    timer = setInterval(() => {
      try {
        tick();
      } catch {
        // A tag that cannot be read this time is read again next tick; the stream and the server go on.
      }
    }, intervalMs);
    timer.unref();
  };
  const stop = () => {
    if (timer) clearInterval(timer);
    timer = undefined;
    unsubscribe(requestChannel.name, onRequest);
  };

  const serve = (req: IncomingMessage, res: ServerResponse, query: URLSearchParams) => {
    const refused =
      options.authorize(req, query) ??
      (closed
        ? { status: 503, message: "the web API is closing" }
        : clients.size >= maxClients
          ? { status: 503, message: `at most ${maxClients} event streams may be open at once` }
          : undefined);
    if (refused) {
      res.writeHead(refused.status, {
        "Cache-Control": "no-cache",
        "Content-Type": "text/plain; charset=utf-8",
      });
      res.end(`${refused.message}\n`);
      return;
    }
    // The stream ends with its connection: no chunked framing, so each event is one plain write to the socket.
    res.useChunkedEncodingByDefault = false;
    res.shouldKeepAlive = false;
    res.writeHead(200, {
      "Cache-Control": "no-cache",
      "Content-Type": "text/event-stream; charset=utf-8",
      "X-Content-Type-Options": "nosniff",
    });
    if (req.method === "HEAD") {
      res.end();
      return;
    }
    // A stream lives long: the server's request timeout must not cut it.
    req.socket.setTimeout(0);
    res.setTimeout(0);
    if (!timer) start();
    const client: Client = { res };
    clients.add(client);
    const now = Date.now();
    const tagList: unknown[] = [];
    for (const state of tags.values()) tagList.push(tagView(state.tag));
    res.write("retry: 1000\n\n");
    res.write(
      `event: hello\ndata: ${toJson({
        at: now,
        tags: tagList,
        identity: options.identity ?? null,
        history: options.history ?? false,
        connections: connectionList(now),
        status: status(0),
      })}\n\n`,
    );
    res.on("close", () => {
      clients.delete(client);
      if (clients.size === 0) stop();
    });
  };

  return {
    serve,
    get clients() {
      return clients.size;
    },
    get dropped() {
      return dropped;
    },
    close() {
      closed = true;
      stop();
      pending.length = 0;
      for (const client of clients) client.res.end();
      clients.clear();
    },
  };
}

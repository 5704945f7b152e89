/**
 * WAMP for the runtime: a small Basic Profile router (dealer and broker, `wamp.2.msgpack` and `wamp.2.json`,
 * WebSocket ping/pong, an ERROR to each caller whose callee left), the runtime as a callee (`<ID>.<Method>`, status
 * events on `<ID>.status`, reconnecting when the router goes away), and a caller transport for `WAMP://` clients.
 */
import type { IncomingMessage } from "node:http";
import { type WebSocket as ServerSocket, WebSocket, WebSocketServer } from "ws";
import { decodeMsgpack, encodeMsgpack } from "./msgpack.js";
import type { RpcOutcome, RpcTransportLike } from "./rpc.js";

/** WAMP message codes (Basic Profile). */
const M = {
  HELLO: 1,
  WELCOME: 2,
  ABORT: 3,
  GOODBYE: 6,
  ERROR: 8,
  PUBLISH: 16,
  PUBLISHED: 17,
  SUBSCRIBE: 32,
  SUBSCRIBED: 33,
  UNSUBSCRIBE: 34,
  UNSUBSCRIBED: 35,
  EVENT: 36,
  CALL: 48,
  RESULT: 50,
  REGISTER: 64,
  REGISTERED: 65,
  UNREGISTER: 66,
  UNREGISTERED: 67,
  INVOCATION: 68,
  YIELD: 70,
} as const;

/** The subprotocols, msgpack first (what Beremiz's peers speak). */
export const WAMP_PROTOCOLS = ["wamp.2.msgpack", "wamp.2.json"] as const;

type Msg = unknown[];

/** WAMP JSON carries bytes as a string: NUL then base64. */
function jsonEncode(message: Msg): string {
  return JSON.stringify(message, (_k, v: unknown) =>
    v instanceof Uint8Array ? `\0${Buffer.from(v).toString("base64")}` : v,
  );
}
function jsonDecode(text: string): Msg {
  return JSON.parse(text, (_k, v: unknown) =>
    typeof v === "string" && v.startsWith("\0") ? new Uint8Array(Buffer.from(v.slice(1), "base64")) : v,
  ) as Msg;
}

/** Sends `message` with the socket's subprotocol. */
function send(socket: WebSocket | ServerSocket, message: Msg): void {
  if (socket.readyState !== WebSocket.OPEN) return;
  if (socket.protocol === "wamp.2.msgpack") socket.send(encodeMsgpack(message), { binary: true });
  else socket.send(jsonEncode(message));
}

/** Decodes one WebSocket message with the socket's subprotocol; undefined when it is not a WAMP message. */
function receive(
  socket: WebSocket | ServerSocket,
  data: Buffer | ArrayBuffer | Buffer[],
  isBinary: boolean,
): Msg | undefined {
  try {
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer);
    const value =
      socket.protocol === "wamp.2.msgpack" ? decodeMsgpack(bytes) : jsonDecode(bytes.toString("utf8"));
    void isBinary;
    return Array.isArray(value) && typeof value[0] === "number" ? value : undefined;
  } catch {
    return undefined;
  }
}

/** A random WAMP id in [1, 2^53]. */
const randomId = (): number => Math.floor(Math.random() * (2 ** 53 - 1)) + 1;

/** Options of `startWampRouter`. */
export interface WampRouterOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 8888 (Beremiz's test router); 0 picks a free port. */
  port?: number;
  /** Default "/ws". */
  path?: string;
  /** How often the router pings each peer; a peer that misses a pong is dropped. Default 10000 ms; 0 = never. */
  pingIntervalMs?: number;
}

/** A running router. */
export interface WampRouter {
  /** `ws://host:port/path`. */
  readonly url: string;
  readonly port: number;
  /** Closes every session and the listener. */
  close(): Promise<void>;
}

interface Session {
  id: number;
  socket: ServerSocket;
  realm: string;
  alive: boolean;
}

/** Starts a WAMP Basic Profile router; any realm a HELLO names is opened on demand. */
export async function startWampRouter(options: WampRouterOptions = {}): Promise<WampRouter> {
  const path = options.path ?? "/ws";
  const server = new WebSocketServer({
    host: options.host ?? "127.0.0.1",
    port: options.port ?? 8888,
    path,
    handleProtocols: (offered) => WAMP_PROTOCOLS.find((p) => offered.has(p)) ?? false,
  });
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  const sessions = new Set<Session>();
  /** `realm procedure` → the session that registered it and its registration id. */
  const procedures = new Map<string, { session: Session; registration: number }>();
  const registrations = new Map<number, string>();
  /** Invocation id → the call it serves. */
  const invocations = new Map<number, { caller: Session; callee: Session; request: number }>();
  /** `realm topic` → subscription id and subscribers. */
  const topics = new Map<string, { subscription: number; subscribers: Set<Session> }>();

  const drop = (session: Session): void => {
    if (!sessions.delete(session)) return;
    for (const [key, p] of procedures)
      if (p.session === session) {
        procedures.delete(key);
        registrations.delete(p.registration);
      }
    for (const [id, call] of invocations)
      if (call.callee === session || call.caller === session) {
        invocations.delete(id);
        if (call.callee === session)
          send(call.caller.socket, [
            M.ERROR,
            M.CALL,
            call.request,
            {},
            "wamp.error.canceled",
            ["the callee left"],
          ]);
      }
    for (const t of topics.values()) t.subscribers.delete(session);
  };

  server.on("connection", (socket: ServerSocket, _request: IncomingMessage) => {
    let session: Session | undefined;
    socket.on("pong", () => {
      if (session) session.alive = true;
    });
    socket.on("close", () => {
      if (session) drop(session);
    });
    socket.on("error", () => socket.terminate());
    socket.on("message", (data, isBinary) => {
      const msg = receive(socket, data as Buffer, isBinary);
      if (msg === undefined) {
        socket.close(1003, "not a WAMP message");
        return;
      }
      const [type] = msg;
      if (session === undefined) {
        if (type !== M.HELLO || typeof msg[1] !== "string") {
          send(socket, [M.ABORT, {}, "wamp.error.protocol_violation"]);
          socket.close();
          return;
        }
        session = { id: randomId(), socket, realm: msg[1], alive: true };
        sessions.add(session);
        send(socket, [
          M.WELCOME,
          session.id,
          { roles: { broker: {}, dealer: {} }, agent: "cpppo-wamp-router" },
        ]);
        return;
      }
      const s = session;
      const key = (uri: unknown): string => `${s.realm} ${String(uri)}`;
      switch (type) {
        case M.GOODBYE:
          send(socket, [M.GOODBYE, {}, "wamp.close.goodbye_and_out"]);
          drop(s);
          socket.close();
          return;
        case M.REGISTER: {
          const [, request, , procedure] = msg;
          if (procedures.has(key(procedure))) {
            send(socket, [M.ERROR, M.REGISTER, request, {}, "wamp.error.procedure_already_exists"]);
            return;
          }
          const registration = randomId();
          procedures.set(key(procedure), { session: s, registration });
          registrations.set(registration, key(procedure));
          send(socket, [M.REGISTERED, request, registration]);
          return;
        }
        case M.UNREGISTER: {
          const [, request, registration] = msg;
          const k = registrations.get(registration as number);
          if (k === undefined || procedures.get(k)?.session !== s) {
            send(socket, [M.ERROR, M.UNREGISTER, request, {}, "wamp.error.no_such_registration"]);
            return;
          }
          procedures.delete(k);
          registrations.delete(registration as number);
          send(socket, [M.UNREGISTERED, request]);
          return;
        }
        case M.CALL: {
          const [, request, , procedure, args, kwargs] = msg;
          const target = procedures.get(key(procedure));
          if (target === undefined) {
            send(socket, [M.ERROR, M.CALL, request, {}, "wamp.error.no_such_procedure"]);
            return;
          }
          const invocation = randomId();
          invocations.set(invocation, { caller: s, callee: target.session, request: request as number });
          const out: Msg = [M.INVOCATION, invocation, target.registration, {}];
          if (args !== undefined || kwargs !== undefined) out.push(args ?? []);
          if (kwargs !== undefined) out.push(kwargs);
          send(target.session.socket, out);
          return;
        }
        case M.YIELD: {
          const [, invocation, , args, kwargs] = msg;
          const call = invocations.get(invocation as number);
          if (call === undefined || call.callee !== s) return;
          invocations.delete(invocation as number);
          const out: Msg = [M.RESULT, call.request, {}];
          if (args !== undefined || kwargs !== undefined) out.push(args ?? []);
          if (kwargs !== undefined) out.push(kwargs);
          send(call.caller.socket, out);
          return;
        }
        case M.ERROR: {
          const [, requestType, invocation, details, uri, args, kwargs] = msg;
          if (requestType !== M.INVOCATION) return;
          const call = invocations.get(invocation as number);
          if (call === undefined || call.callee !== s) return;
          invocations.delete(invocation as number);
          const out: Msg = [M.ERROR, M.CALL, call.request, details ?? {}, uri];
          if (args !== undefined || kwargs !== undefined) out.push(args ?? []);
          if (kwargs !== undefined) out.push(kwargs);
          send(call.caller.socket, out);
          return;
        }
        case M.SUBSCRIBE: {
          const [, request, , topic] = msg;
          let t = topics.get(key(topic));
          if (t === undefined) {
            t = { subscription: randomId(), subscribers: new Set() };
            topics.set(key(topic), t);
          }
          t.subscribers.add(s);
          send(socket, [M.SUBSCRIBED, request, t.subscription]);
          return;
        }
        case M.UNSUBSCRIBE: {
          const [, request, subscription] = msg;
          for (const t of topics.values())
            if (t.subscription === subscription && t.subscribers.delete(s)) {
              send(socket, [M.UNSUBSCRIBED, request]);
              return;
            }
          send(socket, [M.ERROR, M.UNSUBSCRIBE, request, {}, "wamp.error.no_such_subscription"]);
          return;
        }
        case M.PUBLISH: {
          const [, request, opts, topic, args, kwargs] = msg;
          const publication = randomId();
          const t = topics.get(key(topic));
          const excludeMe = (opts as { exclude_me?: boolean } | undefined)?.exclude_me ?? true;
          for (const sub of t?.subscribers ?? []) {
            if (sub === s && excludeMe) continue;
            const out: Msg = [M.EVENT, t?.subscription, publication, {}];
            if (args !== undefined || kwargs !== undefined) out.push(args ?? []);
            if (kwargs !== undefined) out.push(kwargs);
            send(sub.socket, out);
          }
          if ((opts as { acknowledge?: boolean } | undefined)?.acknowledge)
            send(socket, [M.PUBLISHED, request, publication]);
          return;
        }
        default:
          send(socket, [M.ABORT, {}, "wamp.error.protocol_violation"]);
          socket.close();
      }
    });
  });

  const pingMs = options.pingIntervalMs ?? 10_000;
  const pinger =
    pingMs > 0
      ? setInterval(() => {
          for (const s of sessions) {
            if (!s.alive) {
              s.socket.terminate();
              continue;
            }
            s.alive = false;
            s.socket.ping();
          }
        }, pingMs)
      : undefined;
  pinger?.unref();
  const port = (server.address() as { port: number }).port;
  return {
    url: `ws://${options.host ?? "127.0.0.1"}:${port}${path}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(pinger);
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  };
}

/** One joined WAMP session over a WebSocket (client side). */
class WampPeer {
  private nextRequest = 1;
  private readonly pending = new Map<number, (reply: Msg) => void>();
  onInvocation: ((msg: Msg) => void) | undefined;
  onEvent: ((msg: Msg) => void) | undefined;

  private constructor(readonly socket: WebSocket) {}

  /** Connects and joins `realm`; rejects after `timeoutMs` or when the router refuses. */
  static join(
    url: string,
    realm: string,
    timeoutMs: number,
    protocols: readonly string[] = WAMP_PROTOCOLS,
  ): Promise<WampPeer> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, [...protocols]);
      const peer = new WampPeer(socket);
      const timer = setTimeout(() => {
        socket.terminate();
        reject(new Error(`WAMP join of ${url} timed out`));
      }, timeoutMs);
      socket.on("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
      socket.on("close", () => {
        clearTimeout(timer);
        reject(new Error("WAMP connection closed"));
        for (const [request, done] of peer.pending) {
          peer.pending.delete(request);
          done([M.ERROR, 0, request, {}, "wamp.error.transport_lost"]);
        }
      });
      socket.on("open", () =>
        send(socket, [M.HELLO, realm, { roles: { caller: {}, callee: {}, publisher: {}, subscriber: {} } }]),
      );
      socket.on("message", (data, isBinary) => {
        const msg = receive(socket, data as Buffer, isBinary);
        if (msg === undefined) return;
        switch (msg[0]) {
          case M.WELCOME:
            clearTimeout(timer);
            resolve(peer);
            return;
          case M.ABORT:
            clearTimeout(timer);
            reject(new Error(`WAMP router refused: ${String(msg[2])}`));
            socket.close();
            return;
          case M.INVOCATION:
            peer.onInvocation?.(msg);
            return;
          case M.EVENT:
            peer.onEvent?.(msg);
            return;
          case M.GOODBYE:
            socket.close();
            return;
          default: {
            const request = msg[0] === M.ERROR ? msg[2] : msg[1];
            const done = peer.pending.get(request as number);
            if (done) {
              peer.pending.delete(request as number);
              done(msg);
            }
          }
        }
      });
    });
  }

  /** Sends a request whose reply carries its request id; resolves that reply (an ERROR when the transport is lost). */
  request(build: (request: number) => Msg): Promise<Msg> {
    const request = this.nextRequest++;
    return new Promise((resolve) => {
      this.pending.set(request, resolve);
      send(this.socket, build(request));
    });
  }

  send(message: Msg): void {
    send(this.socket, message);
  }

  close(): void {
    this.socket.close();
  }
}

/** What a callee serves: method name → function (a service's target). */
export type WampTarget = Record<string, ((...args: never[]) => unknown) | undefined>;

/** Options of `startWampCallee`. */
export interface WampCalleeOptions {
  url: string;
  /** Default "Automation", as Beremiz's runtime. */
  realm?: string;
  /** The procedure prefix: `<id>.<Method>`. */
  id: string;
  target: WampTarget;
  /** Delay before reconnecting after the router goes away: doubles from this, up to 5 s; default 200 ms. */
  reconnectMs?: number;
  /** Where connection news goes (one line each). */
  log?: (line: string) => void;
}

/** The runtime as a WAMP callee. */
export interface WampCallee {
  /** Resolves once the first session has joined and registered every method. */
  readonly firstJoin: Promise<void>;
  /** Publishes `status` on `<id>.status` (dropped while not joined). */
  publishStatus(status: string): void;
  /** Leaves and stops reconnecting. */
  close(): Promise<void>;
}

/** Registers every method of `target` as `<id>.<Method>` with the router at `url`, and keeps doing it across reconnects. */
export function startWampCallee(options: WampCalleeOptions): WampCallee {
  const realm = options.realm ?? "Automation";
  const base = options.reconnectMs ?? 200;
  let peer: WampPeer | undefined;
  let closed = false;
  let delay = base;
  let timer: NodeJS.Timeout | undefined;
  let joined!: () => void;
  const firstJoin = new Promise<void>((resolve) => {
    joined = resolve;
  });
  const methods = Object.keys(options.target).filter((m) => typeof options.target[m] === "function");
  const byRegistration = new Map<number, string>();

  const connect = async (): Promise<void> => {
    if (closed) return;
    try {
      const p = await WampPeer.join(options.url, realm, 5000);
      p.onInvocation = (msg) => {
        const [, invocation, registration, , args] = msg;
        const method = byRegistration.get(registration as number);
        const fn = method === undefined ? undefined : options.target[method];
        Promise.resolve()
          .then(() => (fn as (...a: unknown[]) => unknown)(...((args as unknown[]) ?? [])))
          .then(
            (result) => p.send([M.YIELD, invocation, {}, [result ?? null]]),
            (error: unknown) =>
              p.send([
                M.ERROR,
                M.INVOCATION,
                invocation,
                {},
                "wamp.error.runtime_error",
                [(error as Error)?.message ?? String(error)],
              ]),
          );
      };
      for (const method of methods) {
        const reply = await p.request((r) => [M.REGISTER, r, {}, `${options.id}.${method}`]);
        if (reply[0] !== M.REGISTERED)
          throw new Error(`cannot register ${options.id}.${method}: ${String(reply[4])}`);
        byRegistration.set(reply[2] as number, method);
      }
      peer = p;
      delay = base;
      options.log?.(`wamp joined ${options.url} realm ${realm} as ${options.id}`);
      joined();
      p.socket.once("close", () => {
        peer = undefined;
        byRegistration.clear();
        if (!closed) {
          options.log?.("wamp router went away; reconnecting");
          schedule();
        }
      });
    } catch (error) {
      if (!closed) {
        options.log?.(`wamp: ${(error as Error).message}; retrying in ${delay} ms`);
        schedule();
      }
    }
  };
  const schedule = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => void connect(), delay);
    delay = Math.min(delay * 2, 5000);
  };
  void connect();
  return {
    firstJoin,
    publishStatus(status) {
      peer?.send([M.PUBLISH, randomId(), {}, `${options.id}.status`, [status]]);
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      if (peer) {
        const p = peer;
        await new Promise<void>((resolve) => {
          p.socket.once("close", () => resolve());
          p.send([M.GOODBYE, {}, "wamp.close.normal"]);
          setTimeout(() => {
            p.socket.terminate();
            resolve();
          }, 1000).unref();
        });
      }
    },
  };
}

/** A `WAMP://` client's transport: calls `<id>.<Method>` as a caller; undefined outcome when the router is gone. */
export class WampCallerTransport implements RpcTransportLike {
  private peer: Promise<WampPeer | undefined> | undefined;
  private closed = false;
  readonly timeoutMs: number;

  constructor(
    private readonly url: string,
    private readonly realm: string,
    private readonly id: string,
    options: { timeoutMs?: number } = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  private connect(): Promise<WampPeer | undefined> {
    this.peer ??= WampPeer.join(this.url, this.realm, this.timeoutMs).then(
      (p) => {
        p.socket.once("close", () => {
          this.peer = undefined;
        });
        return p;
      },
      () => {
        this.peer = undefined;
        return undefined;
      },
    );
    return this.peer;
  }

  async call(method: string, args: unknown[]): Promise<RpcOutcome | undefined> {
    if (this.closed) return undefined;
    const p = await this.connect();
    if (p === undefined) return undefined;
    let timer: NodeJS.Timeout | undefined;
    const reply = await Promise.race([
      p.request((r) => [M.CALL, r, {}, `${this.id}.${method}`, args]),
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), this.timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (reply === undefined) {
      p.socket.terminate();
      return undefined;
    }
    if (reply[0] === M.RESULT) return { ok: true, value: (reply[3] as unknown[] | undefined)?.[0] ?? null };
    if (reply[4] === "wamp.error.transport_lost") return undefined;
    return {
      ok: false,
      error: {
        code: String(reply[4]),
        message: String((reply[5] as unknown[] | undefined)?.[0] ?? reply[4]),
      },
    };
  }

  close(): void {
    this.closed = true;
    void this.peer?.then((p) => p?.close());
  }
}

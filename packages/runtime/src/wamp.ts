/**
 * WAMP for the runtime: a small Basic Profile router (dealer and broker, `wamp.2.msgpack` and `wamp.2.json`,
 * WebSocket ping/pong, an ERROR to each caller whose callee left; WAMP-CRA per realm and wss:// as options; and
 * in-process procedures, so a service can host the router and serve its calls over one WebSocket hop), the runtime
 * as a callee (`<ID>.<Method>`, status events on `<ID>.status`, reconnecting when the router goes away), and a caller
 * transport for `WAMP://` and `WAMPS://` clients.
 */
import { randomBytes } from "node:crypto";
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Duplex } from "node:stream";
import { WebSocket, WebSocketServer } from "ws";
import { encodeMsgpack } from "./msgpack.js";
import type { RpcOutcome, RpcTransportLike } from "./rpc.js";
import {
  type WampCraUser,
  type WampSecret,
  wampCraAnswer,
  wampCraDeriveKey,
  wampCraSame,
  wampCraSign,
} from "./wamp-cra.js";
import {
  asBuffer,
  type CallHead,
  callFrame,
  callHead,
  decode,
  decodeTail,
  forwardFrame,
  idsHead,
  M,
  MSGPACK,
  type Msg,
  msgpackString,
  send,
  sendRaw,
  yieldHead,
} from "./wamp-wire.js";

/** The subprotocols, msgpack first (what Beremiz's peers speak). */
export const WAMP_PROTOCOLS = ["wamp.2.msgpack", "wamp.2.json"] as const;

/** A random WAMP id in [1, 2^53] (session and registration ids: global scope, so not guessable). */
const randomId = (): number => Math.floor(Math.random() * (2 ** 53 - 1)) + 1;

/** `args` and `kwargs` appended to `head` as WAMP wants them: neither, args only, or both. */
function withPayload(head: Msg, args: unknown, kwargs: unknown): Msg {
  if (args !== undefined || kwargs !== undefined) head.push(args ?? []);
  if (kwargs !== undefined) head.push(kwargs);
  return head;
}

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  v !== null && typeof v === "object" && typeof (v as { then?: unknown }).then === "function";

/** RESULT `[value]` for `request`; over msgpack, only the value goes through the encoder (the head is built by hand). */
function callResult(socket: WebSocket, request: number, value: unknown): void {
  if (socket.protocol === MSGPACK)
    sendRaw(socket, forwardFrame(M.RESULT, [request], 1, encodeMsgpack([value ?? null])));
  else send(socket, [M.RESULT, request, {}, [value ?? null]]);
}

/** ERROR `wamp.error.runtime_error` for `request`, with the error's message. */
function callFailed(socket: WebSocket, request: number, error: unknown): void {
  send(socket, [
    M.ERROR,
    M.CALL,
    request,
    {},
    "wamp.error.runtime_error",
    [(error as Error)?.message ?? String(error)],
  ]);
}

/** An in-process procedure: called with the CALL's arguments; its value (or promise) is the RESULT's one argument. */
export type WampHandler = (args: unknown[], kwargs: Record<string, unknown> | undefined) => unknown;

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
  /**
   * WAMP-CRA: realm (or "*", every realm not listed) → authid → secret. A realm found here admits only sessions
   * that answer the challenge; any other HELLO is ABORTed with `wamp.error.not_authorized`.
   */
  auth?: Record<string, Record<string, WampCraUser>>;
  /** Serve wss:// with this PEM certificate (chain) and key; a plaintext client is refused. */
  tls?: { cert: string | Buffer; key: string | Buffer };
}

/** A running router. */
export interface WampRouter {
  /** `ws://host:port/path` (`wss://` with TLS). */
  readonly url: string;
  readonly port: number;
  /** Registers an in-process procedure in `realm`; returns its unregistration. Throws when the name is taken. */
  register(realm: string, procedure: string, handler: WampHandler): () => void;
  /** Publishes to `topic` in `realm` from inside the router. */
  publish(realm: string, topic: string, args?: unknown[]): void;
  /** Closes every session and the listener. */
  close(): Promise<void>;
}

interface Realm {
  procedures: Map<string, Procedure>;
  registrations: Map<number, string>;
  /** topic → subscription id and subscribers. */
  topics: Map<string, { subscription: number; subscribers: Set<Session> }>;
}
type Procedure =
  | { registration: number; session: Session; local?: undefined }
  | { registration: number; session?: undefined; local: WampHandler };

interface Session {
  id: number;
  socket: WebSocket;
  realm: Realm;
  /** The socket speaks msgpack: CALL and YIELD take the zero-copy path when both ends do. */
  msgpack: boolean;
  alive: boolean;
}

/** A session that has said HELLO to a WAMP-CRA realm and not yet answered its CHALLENGE. */
interface Challenged {
  realm: string;
  id: number;
  authid: string;
  role: string;
  /** The signature expected; undefined for an unknown authid (challenged alike, so authids cannot be probed). */
  expected: string | undefined;
}

/** Answers a plain HTTP request (not a WebSocket upgrade), which `ws` leaves to the server. */
function upgradeRequired(_request: IncomingMessage, response: ServerResponse): void {
  response.writeHead(426, { "content-type": "text/plain", connection: "close" });
  response.end("a WAMP router: connect with a WebSocket\n");
}

/** Starts a WAMP Basic Profile router; any realm a HELLO names is opened on demand. */
export async function startWampRouter(options: WampRouterOptions = {}): Promise<WampRouter> {
  const path = options.path ?? "/ws";
  const host = options.host ?? "127.0.0.1";
  const http: Server = options.tls
    ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, upgradeRequired)
    : createHttpServer(upgradeRequired);
  const server = new WebSocketServer({
    server: http,
    path,
    perMessageDeflate: false,
    handleProtocols: (offered) => WAMP_PROTOCOLS.find((p) => offered.has(p)) ?? false,
  });
  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(options.port ?? 8888, host, () => {
      http.off("error", reject);
      resolve();
    });
  });
  // A TLS handshake that fails (a plaintext client, an untrusted peer) just drops that connection.
  http.on("tlsClientError", (_error: Error, socket: Duplex) => socket.destroy());

  // Salted keys are derived once here (PBKDF2 is slow on purpose), not at each HELLO.
  const auth = new Map<string, Map<string, { key: string; user: WampCraUser }>>();
  for (const [realm, users] of Object.entries(options.auth ?? {}))
    auth.set(
      realm,
      new Map(
        Object.entries(users).map(([authid, user]) => [
          authid,
          {
            key:
              user.salt === undefined
                ? user.secret
                : wampCraDeriveKey(user.secret, user.salt, user.iterations, user.keylen),
            user,
          },
        ]),
      ),
    );

  const sessions = new Set<Session>();
  const realms = new Map<string, Realm>();
  const realmOf = (name: string): Realm => {
    let r = realms.get(name);
    if (r === undefined) {
      r = { procedures: new Map(), registrations: new Map(), topics: new Map() };
      realms.set(name, r);
    }
    return r;
  };
  /** Invocation id → the call it serves. Ids are router-scoped, so sequential (and small on the wire). */
  const invocations = new Map<number, { caller: Session; callee: Session; request: number }>();
  let nextInvocation = 1;
  let nextPublication = 1;

  const drop = (session: Session): void => {
    if (!sessions.delete(session)) return;
    const { procedures, registrations, topics } = session.realm;
    for (const [uri, p] of procedures)
      if (p.session === session) {
        procedures.delete(uri);
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

  /**
   * Runs an in-process procedure; a value that is not a promise is answered at once (no microtask hop). The
   * callbacks are inline, not named consts: a named closure per call costs a `__name` call under tsx.
   */
  const callLocal = (
    caller: Session,
    request: number,
    handler: WampHandler,
    args: unknown[] | undefined,
    kwargs: Record<string, unknown> | undefined,
  ): void => {
    let value: unknown;
    try {
      value = handler(args ?? [], kwargs);
    } catch (error) {
      callFailed(caller.socket, request, error);
      return;
    }
    if (isThenable(value))
      value.then(
        (v) => callResult(caller.socket, request, v),
        (e) => callFailed(caller.socket, request, e),
      );
    else callResult(caller.socket, request, value);
  };

  /** CALL → INVOCATION (or an in-process call). `raw` is a msgpack CALL's head: its tail is forwarded as is. */
  const routeCall = (
    s: Session,
    request: number,
    procedure: unknown,
    args: unknown,
    kwargs: unknown,
    raw?: CallHead,
  ): void => {
    const target = s.realm.procedures.get(String(procedure));
    if (target === undefined) {
      send(s.socket, [M.ERROR, M.CALL, request, {}, "wamp.error.no_such_procedure"]);
      return;
    }
    if (raw !== undefined && (target.local !== undefined || !target.session.msgpack))
      [args, kwargs] = decodeTail(raw.tail, raw.tailCount);
    if (target.local !== undefined) {
      callLocal(s, request, target.local, args as unknown[], kwargs as Record<string, unknown>);
      return;
    }
    const invocation = nextInvocation++;
    invocations.set(invocation, { caller: s, callee: target.session, request });
    if (raw !== undefined && target.session.msgpack)
      sendRaw(
        target.session.socket,
        forwardFrame(M.INVOCATION, [invocation, target.registration], raw.tailCount, raw.tail),
      );
    else
      send(
        target.session.socket,
        withPayload([M.INVOCATION, invocation, target.registration, {}], args, kwargs),
      );
  };

  /** YIELD → RESULT, forwarding a msgpack tail as is when the caller speaks msgpack too. */
  const routeYield = (
    s: Session,
    invocation: number,
    args: unknown,
    kwargs: unknown,
    raw?: Buffer,
    n = 0,
  ): void => {
    const call = invocations.get(invocation);
    if (call === undefined || call.callee !== s) return;
    invocations.delete(invocation);
    if (raw !== undefined && call.caller.msgpack) {
      sendRaw(call.caller.socket, forwardFrame(M.RESULT, [call.request], n, raw));
      return;
    }
    if (raw !== undefined) [args, kwargs] = decodeTail(raw, n);
    send(call.caller.socket, withPayload([M.RESULT, call.request, {}], args, kwargs));
  };

  const publish = (
    realm: Realm,
    from: Session | undefined,
    topic: unknown,
    args: unknown,
    kwargs: unknown,
  ): number => {
    const publication = nextPublication++;
    const t = realm.topics.get(String(topic));
    if (t !== undefined)
      for (const sub of t.subscribers)
        if (sub !== from)
          send(sub.socket, withPayload([M.EVENT, t.subscription, publication, {}], args, kwargs));
    return publication;
  };

  server.on("connection", (socket: WebSocket) => {
    let session: Session | undefined;
    let challenged: Challenged | undefined;
    const protocol = socket.protocol;
    const abort = (reason: string, message: string): void => {
      send(socket, [M.ABORT, { message }, reason]);
      socket.close();
    };
    const welcome = (realm: string, id: number, details: Record<string, unknown>): void => {
      session = { id, socket, realm: realmOf(realm), msgpack: protocol === MSGPACK, alive: true };
      sessions.add(session);
      send(socket, [
        M.WELCOME,
        id,
        { ...details, roles: { broker: {}, dealer: {} }, agent: "cpppo-wamp-router" },
      ]);
    };
    socket.on("pong", () => {
      if (session) session.alive = true;
    });
    socket.on("close", () => {
      if (session) drop(session);
    });
    socket.on("error", () => socket.terminate());
    socket.on("message", (data) => {
      const bytes = asBuffer(data);
      // The hot path: a msgpack CALL or YIELD is routed from its head; its arguments are never decoded here.
      if (session?.msgpack) {
        if (bytes[1] === M.CALL) {
          const h = callHead(bytes);
          if (h !== undefined) return routeCall(session, h.request, h.procedure, undefined, undefined, h);
        } else if (bytes[1] === M.YIELD) {
          const h = yieldHead(bytes);
          if (h !== undefined)
            return routeYield(session, h.invocation, undefined, undefined, h.tail, h.tailCount);
        }
      }
      const msg = decode(protocol, bytes);
      if (msg === undefined) {
        socket.close(1003, "not a WAMP message");
        return;
      }
      const [type] = msg;
      if (session === undefined) {
        if (challenged !== undefined) {
          const c = challenged;
          challenged = undefined;
          if (type !== M.AUTHENTICATE)
            return abort("wamp.error.protocol_violation", "AUTHENTICATE expected after CHALLENGE");
          if (c.expected === undefined || !wampCraSame(String(msg[1]), c.expected))
            return abort("wamp.error.not_authorized", "WAMP-CRA authentication failed");
          welcome(c.realm, c.id, {
            authid: c.authid,
            authrole: c.role,
            authmethod: "wampcra",
            authprovider: "static",
          });
          return;
        }
        if (type !== M.HELLO || typeof msg[1] !== "string")
          return abort("wamp.error.protocol_violation", "HELLO expected");
        const realm = msg[1];
        const users = auth.get(realm) ?? auth.get("*");
        if (users === undefined) {
          welcome(realm, randomId(), { authid: "anonymous", authrole: "anonymous", authmethod: "anonymous" });
          return;
        }
        const details = (msg[2] ?? {}) as { authmethods?: unknown; authid?: unknown };
        if (!Array.isArray(details.authmethods) || !details.authmethods.includes("wampcra"))
          return abort("wamp.error.not_authorized", `realm ${realm} needs wampcra authentication`);
        const authid = String(details.authid ?? "");
        const known = users.get(authid);
        const id = randomId();
        const role = known?.user.role ?? "user";
        const challenge = JSON.stringify({
          authid,
          authrole: role,
          authmethod: "wampcra",
          authprovider: "static",
          session: id,
          nonce: randomBytes(16).toString("base64"),
          timestamp: new Date().toISOString(),
        });
        const extra: Record<string, unknown> = { challenge };
        if (known?.user.salt !== undefined) {
          extra.salt = known.user.salt;
          extra.iterations = known.user.iterations ?? 1000;
          extra.keylen = known.user.keylen ?? 32;
        }
        challenged = {
          realm,
          id,
          authid,
          role,
          expected: known === undefined ? undefined : wampCraSign(known.key, challenge),
        };
        send(socket, [M.CHALLENGE, "wampcra", extra]);
        return;
      }
      const s = session;
      const { procedures, registrations, topics } = s.realm;
      switch (type) {
        case M.GOODBYE:
          send(socket, [M.GOODBYE, {}, "wamp.close.goodbye_and_out"]);
          drop(s);
          socket.close();
          return;
        case M.REGISTER: {
          const [, request, , procedure] = msg;
          const uri = String(procedure);
          if (procedures.has(uri)) {
            send(socket, [M.ERROR, M.REGISTER, request, {}, "wamp.error.procedure_already_exists"]);
            return;
          }
          const registration = randomId();
          procedures.set(uri, { session: s, registration });
          registrations.set(registration, uri);
          send(socket, [M.REGISTERED, request, registration]);
          return;
        }
        case M.UNREGISTER: {
          const [, request, registration] = msg;
          const uri = registrations.get(registration as number);
          if (uri === undefined || procedures.get(uri)?.session !== s) {
            send(socket, [M.ERROR, M.UNREGISTER, request, {}, "wamp.error.no_such_registration"]);
            return;
          }
          procedures.delete(uri);
          registrations.delete(registration as number);
          send(socket, [M.UNREGISTERED, request]);
          return;
        }
        case M.CALL: {
          const [, request, , procedure, args, kwargs] = msg;
          routeCall(s, request as number, procedure, args, kwargs);
          return;
        }
        case M.YIELD: {
          const [, invocation, , args, kwargs] = msg;
          routeYield(s, invocation as number, args, kwargs);
          return;
        }
        case M.ERROR: {
          const [, requestType, invocation, details, uri, args, kwargs] = msg;
          if (requestType !== M.INVOCATION) return;
          const call = invocations.get(invocation as number);
          if (call === undefined || call.callee !== s) return;
          invocations.delete(invocation as number);
          send(
            call.caller.socket,
            withPayload([M.ERROR, M.CALL, call.request, details ?? {}, uri], args, kwargs),
          );
          return;
        }
        case M.SUBSCRIBE: {
          const [, request, , topic] = msg;
          const uri = String(topic);
          let t = topics.get(uri);
          if (t === undefined) {
            t = { subscription: randomId(), subscribers: new Set() };
            topics.set(uri, t);
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
          const o = (opts ?? {}) as { exclude_me?: boolean; acknowledge?: boolean };
          const publication = publish(s.realm, o.exclude_me === false ? undefined : s, topic, args, kwargs);
          if (o.acknowledge) send(socket, [M.PUBLISHED, request, publication]);
          return;
        }
        default:
          abort("wamp.error.protocol_violation", `unexpected message ${String(type)}`);
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
  const port = (http.address() as { port: number }).port;
  return {
    url: `${options.tls ? "wss" : "ws"}://${host.includes(":") ? `[${host}]` : host}:${port}${path}`,
    port,
    register(realm, procedure, handler) {
      const r = realmOf(realm);
      if (r.procedures.has(procedure)) throw new Error(`WAMP procedure ${procedure} is already registered`);
      const p: Procedure = { registration: randomId(), local: handler };
      r.procedures.set(procedure, p);
      r.registrations.set(p.registration, procedure);
      return () => {
        if (r.procedures.get(procedure) !== p) return;
        r.procedures.delete(procedure);
        r.registrations.delete(p.registration);
      };
    },
    publish(realm, topic, args) {
      const r = realms.get(realm);
      if (r !== undefined) publish(r, undefined, topic, args, undefined);
    },
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(pinger);
        for (const client of server.clients) client.terminate();
        server.close();
        http.close(() => resolve());
        http.closeAllConnections();
      }),
  };
}

/** How a WAMP client connects: WAMP-CRA credentials, the CA to trust for wss://, the subprotocols to offer. */
export interface WampClientOptions {
  /** Join with WAMP-CRA as `authid` (Beremiz's runtime uses its ID), answering the challenge with `secret`. */
  auth?: WampSecret;
  /** PEM CA certificate(s) to trust for wss:// (default: Node's CA store). */
  ca?: string | Buffer | (string | Buffer)[];
  /** The subprotocols offered, in order of preference; default msgpack then JSON. */
  protocols?: readonly string[];
}

/** One joined WAMP session over a WebSocket (client side). */
class WampPeer {
  private nextRequest = 1;
  private readonly pending = new Map<number, (reply: Msg) => void>();
  onInvocation: ((invocation: number, registration: number, args: unknown[] | undefined) => void) | undefined;
  onEvent: ((msg: Msg) => void) | undefined;

  private constructor(readonly socket: WebSocket) {}

  /** Connects and joins `realm`; rejects after `timeoutMs` or when the router refuses. */
  static join(
    url: string,
    realm: string,
    timeoutMs: number,
    options: WampClientOptions = {},
  ): Promise<WampPeer> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, [...(options.protocols ?? WAMP_PROTOCOLS)], {
        perMessageDeflate: false,
        ...(options.ca !== undefined ? { ca: options.ca } : {}),
      });
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
      socket.on("open", () => {
        const details: Record<string, unknown> = {
          roles: { caller: {}, callee: {}, publisher: {}, subscriber: {} },
        };
        if (options.auth) {
          details.authmethods = ["wampcra"];
          details.authid = options.auth.authid;
        }
        send(socket, [M.HELLO, realm, details]);
      });
      socket.on("message", (data) => {
        const bytes = asBuffer(data);
        // The callee's hot path: a msgpack INVOCATION is read from its head, and arguments only when there are some.
        if (bytes[1] === M.INVOCATION && socket.protocol === MSGPACK) {
          const h = idsHead(bytes, M.INVOCATION, 2);
          if (h !== undefined) {
            peer.onInvocation?.(h.ids[0] as number, h.ids[1] as number, decodeTail(h.tail, h.tailCount)[0]);
            return;
          }
        }
        const msg = decode(socket.protocol, bytes);
        if (msg === undefined) return;
        switch (msg[0]) {
          case M.WELCOME:
            clearTimeout(timer);
            resolve(peer);
            return;
          case M.CHALLENGE:
            if (options.auth === undefined || msg[1] !== "wampcra") {
              send(socket, [M.ABORT, {}, "wamp.error.cannot_authenticate"]);
              socket.close();
              return;
            }
            send(socket, [
              M.AUTHENTICATE,
              wampCraAnswer(options.auth.secret, (msg[2] ?? {}) as Record<string, unknown>),
              {},
            ]);
            return;
          case M.ABORT:
            clearTimeout(timer);
            reject(new Error(`WAMP router refused: ${String(msg[2])}`));
            socket.close();
            return;
          case M.INVOCATION:
            peer.onInvocation?.(msg[1] as number, msg[2] as number, msg[4] as unknown[] | undefined);
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
    return new Promise((resolve) => void this.start(build, resolve));
  }

  /** Sends a request and hands its reply to `done` (no promise of its own); returns the request id. */
  start(build: (request: number) => Msg, done: (reply: Msg) => void): number {
    const request = this.nextRequest++;
    this.pending.set(request, done);
    send(this.socket, build(request));
    return request;
  }

  /**
   * Sends CALL `procedure` (`name` as text, `bytes` as a msgpack string) and hands its reply to `done`; returns the
   * request id. Over msgpack the frame is built by hand (see `callFrame`).
   */
  call(name: string, bytes: Buffer, args: unknown[], done: (reply: Msg) => void): number {
    const request = this.nextRequest++;
    this.pending.set(request, done);
    if (this.socket.protocol === MSGPACK) sendRaw(this.socket, callFrame(request, bytes, args));
    else send(this.socket, [M.CALL, request, {}, name, args]);
    return request;
  }

  /** YIELD `[value]` for `invocation`; over msgpack only the value goes through the encoder (the head is hand-built). */
  yieldResult(invocation: number, value: unknown): void {
    if (this.socket.protocol === MSGPACK)
      sendRaw(this.socket, forwardFrame(M.YIELD, [invocation], 1, encodeMsgpack([value ?? null])));
    else send(this.socket, [M.YIELD, invocation, {}, [value ?? null]]);
  }

  /** Drops a request's waiter (its deadline passed). */
  forget(request: number): void {
    this.pending.delete(request);
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
export interface WampCalleeOptions extends WampClientOptions {
  /** The router's `ws://` or `wss://` URL; or give `router` to register in-process. */
  url?: string;
  /** A router in this process: the methods are registered with it directly (no WebSocket hop to the callee). */
  router?: WampRouter;
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

/** Runs `fn(args)` and answers through `reply` at once when it returns a plain value (no promise hop). */
function answer(
  fn: ((...a: unknown[]) => unknown) | undefined,
  args: unknown[],
  ok: (value: unknown) => void,
  fail: (error: unknown) => void,
): void {
  let value: unknown;
  try {
    if (fn === undefined) throw new Error("no such method");
    value = fn(...args);
  } catch (error) {
    fail(error);
    return;
  }
  if (isThenable(value)) value.then(ok, fail);
  else ok(value);
}

/** The runtime registered in-process with `router` (the service hosts the router). */
function attachWampCallee(router: WampRouter, options: WampCalleeOptions): WampCallee {
  const realm = options.realm ?? "Automation";
  const unregister = Object.keys(options.target)
    .filter((m) => typeof options.target[m] === "function")
    .map((method) => {
      const fn = options.target[method] as (...a: unknown[]) => unknown;
      return router.register(realm, `${options.id}.${method}`, (args) => fn(...args));
    });
  options.log?.(`wamp: ${options.id}.* registered in-process with ${router.url} realm ${realm}`);
  return {
    firstJoin: Promise.resolve(),
    publishStatus: (status) => router.publish(realm, `${options.id}.status`, [status]),
    close: async () => {
      for (const u of unregister) u();
    },
  };
}

/** Registers every method of `target` as `<id>.<Method>` with the router (`url`, or `router` in-process), and keeps doing it across reconnects. */
export function startWampCallee(options: WampCalleeOptions): WampCallee {
  if (options.router !== undefined) return attachWampCallee(options.router, options);
  const url = options.url;
  if (url === undefined) throw new Error("startWampCallee needs a url or a router");
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
  const byRegistration = new Map<number, (...a: unknown[]) => unknown>();

  const connect = async (): Promise<void> => {
    if (closed) return;
    try {
      const p = await WampPeer.join(url, realm, 5000, options);
      p.onInvocation = (invocation, registration, args) => {
        answer(
          byRegistration.get(registration),
          args ?? [],
          (result) => p.yieldResult(invocation, result),
          (error) =>
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
        byRegistration.set(reply[2] as number, options.target[method] as (...a: unknown[]) => unknown);
      }
      peer = p;
      delay = base;
      options.log?.(`wamp joined ${url} realm ${realm} as ${options.id}`);
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

/** A RESULT or ERROR reply as a call's outcome; undefined when the transport was lost. */
function outcomeOf(reply: Msg): RpcOutcome | undefined {
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

/** A call in flight: when it expires, and how to end it. */
interface InFlight {
  deadline: number;
  peer: WampPeer;
  resolve: (outcome: RpcOutcome | undefined) => void;
}

/** A `WAMP://` (or `WAMPS://`) client's transport: calls `<id>.<Method>` as a caller; undefined outcome when the router is gone. */
export class WampCallerTransport implements RpcTransportLike {
  private peer: Promise<WampPeer | undefined> | undefined;
  /** The joined peer once the join has resolved: a call then goes out at once, without awaiting `peer`. */
  private joined: WampPeer | undefined;
  private closed = false;
  readonly timeoutMs: number;
  private readonly client: WampClientOptions;
  /** Procedure names as msgpack strings, encoded once per method. */
  private readonly procedures = new Map<string, Buffer>();
  /**
   * Calls in flight by request id. All share one deadline length, so insertion order is deadline order and one
   * timer sweeps them all (instead of a setTimeout and a clearTimeout per call).
   */
  private readonly inflight = new Map<number, InFlight>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly url: string,
    private readonly realm: string,
    private readonly id: string,
    options: { timeoutMs?: number; wamp?: WampClientOptions } = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.client = options.wamp ?? {};
  }

  private connect(): Promise<WampPeer | undefined> {
    this.peer ??= WampPeer.join(this.url, this.realm, this.timeoutMs, this.client).then(
      (p) => {
        this.joined = p;
        p.socket.once("close", () => {
          this.peer = undefined;
          if (this.joined === p) this.joined = undefined;
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

  call(method: string, args: unknown[]): Promise<RpcOutcome | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    const p = this.joined;
    if (p !== undefined) return this.send(p, method, args);
    return this.connect().then((q) => (q === undefined ? undefined : this.send(q, method, args)));
  }

  /** One promise per call, settled by the reply or by the sweeper at the deadline. */
  private send(p: WampPeer, method: string, args: unknown[]): Promise<RpcOutcome | undefined> {
    let bytes = this.procedures.get(method);
    if (bytes === undefined) {
      bytes = msgpackString(`${this.id}.${method}`);
      this.procedures.set(method, bytes);
    }
    const procedure = bytes;
    return new Promise((resolve) => {
      const request = p.call(`${this.id}.${method}`, procedure, args, (reply) => {
        this.inflight.delete(request);
        resolve(outcomeOf(reply));
      });
      this.inflight.set(request, { deadline: performance.now() + this.timeoutMs, peer: p, resolve });
      this.sweeper ??= setTimeout(() => this.sweep(), this.timeoutMs).unref();
    });
  }

  /** Ends every call past its deadline (undefined outcome; the connection is dropped) and re-arms for the next. */
  private sweep(): void {
    this.sweeper = undefined;
    const now = performance.now();
    for (const [request, call] of this.inflight) {
      if (call.deadline > now) {
        // The socket keeps the process alive while calls are in flight; this timer need not.
        this.sweeper = setTimeout(() => this.sweep(), call.deadline - now).unref();
        return;
      }
      this.inflight.delete(request);
      call.peer.forget(request);
      call.peer.socket.terminate();
      call.resolve(undefined);
    }
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.sweeper);
    this.sweeper = undefined;
    for (const [request, call] of this.inflight) {
      this.inflight.delete(request);
      call.resolve(undefined);
    }
    void this.peer?.then((p) => p?.close());
  }
}

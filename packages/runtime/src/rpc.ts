/**
 * PYRO:// and PYROS://, this toolkit's RPC over TCP (or TLS-PSK). A frame is a 4-byte big-endian length N, then N
 * bytes: a 4-byte big-endian length J, J bytes of UTF-8 JSON, and N − 4 − J bytes of attachments. A request is
 * `{"v":1,"id":N,"m":"Method","a":[args]}`; its reply is `{"v":1,"id":N,"r":result}` or
 * `{"v":1,"id":N,"e":{"code":"ERR_…","message":"…"}}`. Bytes travel raw as attachments, each named in the JSON by
 * `{"$a":[offset,length]}` (offset from the start of the attachments). Replies may come out of order; the id
 * matches them. A frame over 64 MiB, a version other than 1, bad JSON or an attachment outside the frame closes
 * the connection.
 */
import { createServer, type OnReadOpts, type Server, type Socket, connect as tcpConnect } from "node:net";
import { type ConnectionOptions, createServer as createTlsServer, connect as tlsConnect } from "node:tls";
import { RpcProtocolError } from "./errors.js";
import { hasBytes } from "./has-bytes.js";
import { type PskEntry, pskClientOptions, pskServerOptions } from "./psk.js";
import type { PlcStatus } from "./runtime.js";

/** The message format's version, `v` in every frame. */
export const RPC_VERSION = 1;
/** The largest frame either end accepts. */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;
/** PYRO://'s default port, as Beremiz's connectors doc gives it. */
export const DEFAULT_RPC_PORT = 3000;

/** The remotely callable methods, Beremiz's PLCObject set, plus `TraceableVariables` and `Quit`. */
export const PLC_METHODS = [
  "StartPLC",
  "StopPLC",
  "GetPLCstatus",
  "GetPLCID",
  "SeedBlob",
  "AppendChunkToBlob",
  "PurgeBlobs",
  "NewPLC",
  "MatchMD5",
  "RepairPLC",
  "GetLogMessage",
  "ResetLogCount",
  "SetTraceVariablesList",
  "GetTraceVariables",
  "TraceableVariables",
  "Quit",
] as const;

/** The same names as a set, for the server's per-call lookup. */
const METHODS: ReadonlySet<string> = new Set(PLC_METHODS);

/** One remotely callable method's name. */
export type PlcMethod = (typeof PLC_METHODS)[number];

/** What a server calls: any object with the methods (a RuntimeObject, plus the service's `Quit`). */
export type PlcTarget = Partial<Record<PlcMethod, (...args: never[]) => unknown>>;

/** A status as a client sees it: the runtime's, or `Disconnected` when the transport is gone. */
export type ClientStatus = PlcStatus | "Disconnected";

/** `value` with every Uint8Array (Buffers included) moved to `attachments` and named by `{"$a": [offset, length]}`. */
function toWire(value: unknown, attachments: { list: Uint8Array[]; size: number }): unknown {
  if (value instanceof Uint8Array) {
    const ref = { $a: [attachments.size, value.byteLength] };
    attachments.list.push(value);
    attachments.size += value.byteLength;
    return ref;
  }
  if (Array.isArray(value)) return value.map((v) => toWire(v, attachments));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toWire(v, attachments);
    return out;
  }
  return value;
}

/**
 * The inverse of `toWire`: each `{"$a": [offset, length]}` becomes those bytes of `attached`. A large attachment is
 * a view (no copy: `attached` is this frame's own memory, never reused); a small one is copied, so that it does
 * not keep a whole socket read buffer alive; so is every one of a `borrowed` frame (a read buffer reused next read).
 */
function fromWire(value: unknown, attached: Buffer, borrowed: boolean): unknown {
  if (Array.isArray(value)) return value.map((v) => fromWire(v, attached, borrowed));
  if (value !== null && typeof value === "object") {
    const ref = (value as { $a?: unknown }).$a;
    if (Array.isArray(ref) && Object.keys(value).length === 1) {
      const [offset, length] = ref as [unknown, unknown];
      if (
        !Number.isInteger(offset) ||
        !Number.isInteger(length) ||
        (offset as number) < 0 ||
        (length as number) < 0 ||
        (offset as number) + (length as number) > attached.length
      )
        throw new RpcProtocolError(
          `attachment ${JSON.stringify(ref)} lies outside the ${attached.length} bytes attached`,
        );
      const start = attached.byteOffset + (offset as number);
      return !borrowed && 2 * (length as number) >= attached.buffer.byteLength
        ? new Uint8Array(attached.buffer, start, length as number)
        : new Uint8Array(attached.subarray(offset as number, (offset as number) + (length as number)));
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = fromWire(v, attached, borrowed);
    return out;
  }
  return value;
}

/**
 * One frame whose JSON is `head` + `value` as JSON + `}` (the caller writes the fixed fields, so a message is not
 * built as an object only to be walked and stringified again), as the buffers to write; attachments are not copied.
 * Most messages carry no bytes: they skip the `toWire` walk and its copy of the value.
 */
function encode(head: string, value: unknown): Uint8Array[] {
  let json: string;
  let attachments: { list: Uint8Array[]; size: number } | undefined;
  if (hasBytes(value)) {
    attachments = { list: [], size: 0 };
    json = `${head}${JSON.stringify(toWire(value, attachments))}}`;
  } else json = `${head}${JSON.stringify(value)}}`;
  const jsonLength = Buffer.byteLength(json);
  const frame = Buffer.allocUnsafe(8 + jsonLength);
  frame.writeUInt32BE(4 + jsonLength + (attachments?.size ?? 0), 0);
  frame.writeUInt32BE(jsonLength, 4);
  frame.write(json, 8, "utf8");
  return attachments === undefined ? [frame] : [frame, ...attachments.list];
}

/** Writes one frame to `socket` (see `encode`): one write, or several corked so that they leave as one writev. */
function writeFrame(socket: Socket, head: string, value: unknown): void {
  const pieces = encode(head, value);
  if (pieces.length === 1) {
    socket.write(pieces[0] as Uint8Array);
    return;
  }
  socket.cork();
  for (const piece of pieces) socket.write(piece);
  socket.uncork();
}

/** The fixed start of a reply's JSON, up to its `r` (result) or `e` (error) key. */
function replyHead(id: unknown, key: "r" | "e"): string {
  const idJson = typeof id === "number" ? String(id) : JSON.stringify(id);
  return idJson === undefined
    ? `{"v":${RPC_VERSION},"${key}":`
    : `{"v":${RPC_VERSION},"id":${idJson},"${key}":`;
}

/** One frame's body (after its length) as its message; `borrowed` as for `fromWire`. */
function decode(body: Buffer, borrowed: boolean): Record<string, unknown> {
  const jsonLength = body.length >= 4 ? body.readUInt32BE(0) : -1;
  if (jsonLength < 0 || jsonLength > body.length - 4)
    throw new RpcProtocolError(`frame's JSON length ${jsonLength} does not fit its ${body.length} bytes`);
  let value: unknown;
  let text: string;
  try {
    text = body.toString("utf8", 4, 4 + jsonLength);
    value = JSON.parse(text);
  } catch (error) {
    throw new RpcProtocolError(`frame is not JSON: ${(error as Error).message}`);
  }
  if (typeof value !== "object" || value === null || (value as { v?: unknown }).v !== RPC_VERSION)
    throw new RpcProtocolError(`frame is not a version ${RPC_VERSION} message`);
  // Most messages carry no bytes: they skip the walk.
  return (text.includes('"$a"') ? fromWire(value, body.subarray(4 + jsonLength), borrowed) : value) as Record<
    string,
    unknown
  >;
}

/**
 * A frame reader for `socket`: feed it each chunk read; it calls `onFrame` with each whole frame's decoded message,
 * and destroys the socket on a broken frame. A `borrowed` chunk (a read buffer reused by the next read, see
 * `RpcTransport`) is never kept: what must outlive the call is copied.
 */
function frameReader(
  socket: Socket,
  onFrame: (message: Record<string, unknown>) => void,
): (chunk: Buffer, borrowed: boolean) => void {
  let chunks: Buffer[] = [];
  let size = 0;
  /** The body length of the frame in hand, once its header has arrived. */
  let need = -1;
  const deliver = (body: Buffer, borrowed: boolean): boolean => {
    try {
      onFrame(decode(body, borrowed));
      return true;
    } catch (error) {
      socket.destroy(error as Error);
      return false;
    }
  };
  return (chunk, borrowed) => {
    if (size === 0) {
      // Nothing carried over (the usual case for calls and replies): whole frames are read straight from the chunk.
      let at = 0;
      while (chunk.length - at >= 4) {
        const length = chunk.readUInt32BE(at);
        if (length > MAX_FRAME_BYTES || chunk.length - at - 4 < length) break;
        if (!deliver(chunk.subarray(at + 4, at + 4 + length), borrowed)) return;
        at += 4 + length;
      }
      if (at === chunk.length) return;
      chunk = chunk.subarray(at);
    }
    chunks.push(borrowed ? Buffer.from(chunk) : chunk);
    size += chunk.length;
    for (;;) {
      if (need < 0) {
        if (size < 4) return;
        if ((chunks[0] as Buffer).length < 4) chunks = [Buffer.concat(chunks)];
        need = (chunks[0] as Buffer).readUInt32BE(0);
        if (need > MAX_FRAME_BYTES) {
          socket.destroy(new RpcProtocolError(`frame of ${need} bytes is over ${MAX_FRAME_BYTES}`));
          return;
        }
      }
      if (size < 4 + need) return;
      // Joined only once the whole frame is here: a large frame is copied once, not once per chunk.
      const all = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
      const body = all.subarray(4, 4 + need);
      const rest = all.subarray(4 + need);
      chunks = rest.length > 0 ? [rest] : [];
      size = rest.length;
      need = -1;
      if (!deliver(body, false)) return;
    }
  };
}

/** A listening RPC endpoint. */
export interface RpcListener {
  readonly host: string;
  readonly port: number;
  /** Stops accepting, lets replies in flight go out, then closes every connection; resolves once all are closed. */
  close(): Promise<void>;
}

/** Options of `listenRpc`. */
export interface RpcListenOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 3000; 0 picks a free port. */
  port?: number;
  /** Serve PYROS:// (TLS-PSK) with these identities instead of plain PYRO://. */
  psk?: readonly PskEntry[];
}

/** Serves `target`'s methods over PYRO:// (or PYROS:// with `psk`); resolves once listening. */
export async function listenRpc(target: PlcTarget, options: RpcListenOptions = {}): Promise<RpcListener> {
  /** Each open connection and how many of its calls are still unanswered. */
  const sockets = new Map<Socket, { inFlight: number }>();
  let closing = false;
  const onSocket = (socket: Socket): void => {
    const connection = { inFlight: 0 };
    sockets.set(socket, connection);
    socket.setNoDelay(true);
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
    // One function per connection, not a closure per call: a call is cheap enough that allocations show.
    const answer = (id: unknown, key: "r" | "e", value: unknown): void => {
      if (!socket.destroyed) writeFrame(socket, replyHead(id, key), value);
      if (--connection.inFlight === 0 && closing) socket.end();
    };
    const fail = (id: unknown, error: unknown): void =>
      answer(id, "e", {
        code: (error as { code?: string })?.code ?? "ERR_RUNTIME_CALL",
        message: (error as Error)?.message ?? String(error),
      });
    const read = frameReader(socket, (message) => {
      const id = message.id;
      const method = message.m;
      const args = Array.isArray(message.a) ? (message.a as never[]) : [];
      const fn = typeof method === "string" && METHODS.has(method) ? target[method as PlcMethod] : undefined;
      connection.inFlight++;
      if (fn === undefined) {
        answer(id, "e", { code: "ERR_RUNTIME_NO_METHOD", message: `no method ${JSON.stringify(method)}` });
        return;
      }
      let result: unknown;
      try {
        result = fn.apply(target, args);
      } catch (error) {
        fail(id, error);
        return;
      }
      // A method that answers at once (a read-only one) is written back in this same turn, with no promise hop.
      if (result instanceof Promise)
        result.then(
          (value) => answer(id, "r", value ?? null),
          (error) => fail(id, error),
        );
      else answer(id, "r", result ?? null);
    });
    socket.on("data", (chunk: Buffer) => read(chunk, false));
  };
  const server: Server = options.psk
    ? createTlsServer(pskServerOptions(options.psk), onSocket)
    : createServer({ noDelay: true }, onSocket);
  // A TLS handshake that fails (wrong key, unknown identity, plaintext) just closes that connection.
  server.on("tlsClientError", (_error, socket) => socket.destroy());
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? DEFAULT_RPC_PORT, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as { port: number }).port;
  let closed: Promise<void> | undefined;
  return {
    host,
    port,
    close() {
      closed ??= new Promise<void>((resolve) => {
        closing = true;
        server.close(() => resolve());
        for (const [socket, { inFlight }] of sockets) if (inFlight === 0) socket.end();
        const late = setTimeout(() => {
          for (const socket of sockets.keys()) socket.destroy();
        }, 2000);
        late.unref();
      });
      return closed;
    },
  };
}

/** Where a client connects and how. */
export interface RpcEndpoint {
  host: string;
  port: number;
  /** Connect over TLS-PSK with this identity (PYROS://). */
  psk?: PskEntry | undefined;
}

/** Options of an RPC client. */
export interface RpcClientOptions {
  /** Deadline of each call, connecting included; default 10000 ms. */
  timeoutMs?: number;
}

/** A call's outcome: its value, or the error the runtime answered with. */
export type RpcOutcome =
  | { ok: true; value: unknown }
  | { ok: false; error: { code: string; message: string } };

/** What a PlcClient calls through: PYRO/PYROS (`RpcTransport`) or WAMP; undefined means the transport failed. */
export interface RpcTransportLike {
  call(method: string, args: unknown[]): Promise<RpcOutcome | undefined>;
  close(): void;
}

interface Pending {
  resolve(value: RpcOutcome | undefined): void;
  /** When the call is given up (Date.now() ms). */
  deadline: number;
}

/**
 * The transport of a PYRO/PYROS client: connects on first use (and again after a loss), sends calls with
 * deadlines, and resolves `undefined` for a call whose transport failed (connect, loss, or deadline).
 */
export class RpcTransport implements RpcTransportLike {
  private socket: Socket | undefined;
  private ready: Promise<Socket | undefined> | undefined;
  private readonly pending = new Map<number, Pending>();
  /**
   * One timer watches every call's deadline (not a timer per call, whose setTimeout and clearTimeout cost about as
   * much as a small call itself): armed for the earliest deadline, and on firing re-armed for the next one.
   */
  private deadlineTimer: NodeJS.Timeout | undefined;
  /** The deadline `deadlineTimer` is armed for. */
  private armedFor = 0;
  private nextId = 1;
  private closed = false;
  readonly timeoutMs: number;

  constructor(
    private readonly endpoint: RpcEndpoint,
    options: RpcClientOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  private connect(): Promise<Socket | undefined> {
    this.ready ??= new Promise<Socket | undefined>((resolve) => {
      const { host, port, psk } = this.endpoint;
      // Reads land in one buffer of this connection's (`onread`), handed over without the stream machinery of a
      // 'data' event: a call's reply costs a few microseconds less. The reader copies what it keeps.
      let read = (_chunk: Buffer, _borrowed: boolean): void => {};
      const into = Buffer.allocUnsafe(64 * 1024);
      const onread: OnReadOpts = {
        buffer: into,
        callback: (n: number) => {
          read(into.subarray(0, n), true);
          return true;
        },
      };
      // tls.connect takes `onread` too (Node's tls docs), though @types/node does not list it.
      const socket = psk
        ? tlsConnect({ host, port, onread, ...pskClientOptions(psk) } as ConnectionOptions)
        : tcpConnect({ host, port, onread, noDelay: true });
      const timer = setTimeout(() => socket.destroy(), this.timeoutMs);
      const fail = (): void => {
        clearTimeout(timer);
        this.lost(socket);
        resolve(undefined);
      };
      socket.once("error", fail);
      socket.once("close", fail);
      socket.once(psk ? "secureConnect" : "connect", () => {
        clearTimeout(timer);
        socket.off("error", fail);
        socket.off("close", fail);
        socket.on("error", () => {});
        if (this.closed) {
          // Closed while connecting: this connection is not wanted any more.
          this.ready = undefined;
          socket.destroy();
          resolve(undefined);
          return;
        }
        socket.on("close", () => this.lost(socket));
        socket.setNoDelay(true);
        read = frameReader(socket, (message) => {
          const id = message.id as number;
          const call = this.pending.get(id);
          if (call === undefined) return;
          this.pending.delete(id);
          const error = message.e as { code: string; message: string } | undefined;
          call.resolve(error ? { ok: false, error } : { ok: true, value: message.r });
        });
        this.socket = socket;
        resolve(socket);
      });
    });
    return this.ready;
  }

  private lost(socket: Socket): void {
    if (this.socket !== undefined && this.socket !== socket) return;
    this.socket = undefined;
    this.ready = undefined;
    clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
    for (const [id, call] of this.pending) {
      this.pending.delete(id);
      call.resolve(undefined);
    }
    socket.destroy();
  }

  /** Arms the deadline timer for `deadline`, unless it is armed for that moment or sooner already. */
  private watchDeadline(deadline: number): void {
    if (this.deadlineTimer !== undefined && this.armedFor <= deadline) return;
    clearTimeout(this.deadlineTimer);
    this.armedFor = deadline;
    this.deadlineTimer = setTimeout(() => this.checkDeadlines(), Math.max(1, deadline - Date.now()));
    // The socket keeps the process alive while a call waits; the timer alone must not.
    this.deadlineTimer.unref();
  }

  private checkDeadlines(): void {
    this.deadlineTimer = undefined;
    const now = Date.now();
    let next = Number.POSITIVE_INFINITY;
    for (const call of this.pending.values()) {
      if (call.deadline <= now) {
        // A call past its deadline leaves the connection in doubt: drop it (every call on it resolves undefined),
        // the next call reconnects.
        if (this.socket) this.lost(this.socket);
        return;
      }
      next = Math.min(next, call.deadline);
    }
    if (next !== Number.POSITIVE_INFINITY) this.watchDeadline(next);
  }

  /** Calls `method`; resolves its outcome, or undefined when the transport failed. */
  call(method: string, args: unknown[]): Promise<RpcOutcome | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    const deadline = Date.now() + this.timeoutMs;
    // Connected (the usual case): the frame is written in this turn, no await before it.
    if (this.socket !== undefined) return this.send(this.socket, method, args, deadline);
    return this.connect().then((socket) =>
      socket === undefined || this.closed ? undefined : this.send(socket, method, args, deadline),
    );
  }

  private send(
    socket: Socket,
    method: string,
    args: unknown[],
    deadline: number,
  ): Promise<RpcOutcome | undefined> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, { resolve, deadline });
      this.watchDeadline(deadline);
      writeFrame(socket, `{"v":${RPC_VERSION},"id":${id},"m":${JSON.stringify(method)},"a":`, args);
    });
  }

  /** Closes the connection; later calls resolve undefined. */
  close(): void {
    this.closed = true;
    if (this.socket) this.lost(this.socket);
  }
}

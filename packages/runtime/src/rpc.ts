/**
 * PYRO:// and PYROS://, this toolkit's RPC over TCP (or TLS-PSK). A frame is a 4-byte big-endian length N, then N
 * bytes: a 4-byte big-endian length J, J bytes of UTF-8 JSON, and N − 4 − J bytes of attachments. A request is
 * `{"v":1,"id":N,"m":"Method","a":[args]}`; its reply is `{"v":1,"id":N,"r":result}` or
 * `{"v":1,"id":N,"e":{"code":"ERR_…","message":"…"}}`. Bytes travel raw as attachments, each named in the JSON by
 * `{"$a":[offset,length]}` (offset from the start of the attachments). Replies may come out of order; the id
 * matches them. A frame over 64 MiB, a version other than 1, bad JSON or an attachment outside the frame closes
 * the connection.
 */
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import { createServer as createTlsServer, connect as tlsConnect } from "node:tls";
import { RpcProtocolError } from "./errors.js";
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

/** The inverse of `toWire`: each `{"$a": [offset, length]}` becomes a copy of those bytes of `attached`. */
function fromWire(value: unknown, attached: Buffer): unknown {
  if (Array.isArray(value)) return value.map((v) => fromWire(v, attached));
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
      return new Uint8Array(attached.subarray(offset as number, (offset as number) + (length as number)));
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = fromWire(v, attached);
    return out;
  }
  return value;
}

/** One frame, as the buffers to write (the attachments are not copied). */
function encode(value: unknown): Uint8Array[] {
  const attachments = { list: [] as Uint8Array[], size: 0 };
  const json = JSON.stringify(toWire(value, attachments));
  const jsonLength = Buffer.byteLength(json);
  const head = Buffer.allocUnsafe(8 + jsonLength);
  head.writeUInt32BE(4 + jsonLength + attachments.size, 0);
  head.writeUInt32BE(jsonLength, 4);
  head.write(json, 8, "utf8");
  return [head, ...attachments.list];
}

/** Writes one frame to `socket`, corked so its pieces leave together. */
function writeFrame(socket: Socket, value: unknown): void {
  socket.cork();
  for (const piece of encode(value)) socket.write(piece);
  socket.uncork();
}

function decode(body: Buffer): Record<string, unknown> {
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
  return (text.includes('"$a"') ? fromWire(value, body.subarray(4 + jsonLength)) : value) as Record<
    string,
    unknown
  >;
}

/** Calls `onFrame` with each whole frame's decoded message; a broken frame destroys the socket. */
function readFrames(socket: Socket, onFrame: (message: Record<string, unknown>) => void): void {
  let chunks: Buffer[] = [];
  let size = 0;
  /** The body length of the frame in hand, once its header has arrived. */
  let need = -1;
  socket.on("data", (chunk: Buffer) => {
    chunks.push(chunk);
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
      try {
        onFrame(decode(body));
      } catch (error) {
        socket.destroy(error as Error);
        return;
      }
    }
  });
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
  const sockets = new Set<Socket>();
  const inFlight = new Map<Socket, number>();
  let closing = false;
  const onSocket = (socket: Socket): void => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
    readFrames(socket, (message) => {
      const id = message.id;
      const method = message.m as PlcMethod;
      const args = Array.isArray(message.a) ? (message.a as never[]) : [];
      const fn = PLC_METHODS.includes(method) ? target[method] : undefined;
      inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
      const reply = (body: Record<string, unknown>): void => {
        if (!socket.destroyed) writeFrame(socket, { v: RPC_VERSION, id, ...body });
        const left = (inFlight.get(socket) ?? 1) - 1;
        inFlight.set(socket, left);
        if (closing && left === 0) socket.end();
      };
      if (fn === undefined) {
        reply({ e: { code: "ERR_RUNTIME_NO_METHOD", message: `no method ${JSON.stringify(message.m)}` } });
        return;
      }
      const fail = (error: unknown): void =>
        reply({
          e: {
            code: (error as { code?: string })?.code ?? "ERR_RUNTIME_CALL",
            message: (error as Error)?.message ?? String(error),
          },
        });
      let result: unknown;
      try {
        result = fn.apply(target, args);
      } catch (error) {
        fail(error);
        return;
      }
      if (result instanceof Promise) result.then((value) => reply({ r: value ?? null }), fail);
      else reply({ r: result ?? null });
    });
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
        for (const socket of sockets) if ((inFlight.get(socket) ?? 0) === 0) socket.end();
        const late = setTimeout(() => {
          for (const socket of sockets) socket.destroy();
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
  timer: NodeJS.Timeout;
}

/**
 * The transport of a PYRO/PYROS client: connects on first use (and again after a loss), sends calls with
 * deadlines, and resolves `undefined` for a call whose transport failed (connect, loss, or deadline).
 */
export class RpcTransport implements RpcTransportLike {
  private socket: Socket | undefined;
  private ready: Promise<Socket | undefined> | undefined;
  private readonly pending = new Map<number, Pending>();
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
      const socket = psk
        ? tlsConnect({ host, port, ...pskClientOptions(psk) })
        : tcpConnect({ host, port, noDelay: true });
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
        socket.on("close", () => this.lost(socket));
        socket.setNoDelay(true);
        readFrames(socket, (message) => {
          const id = message.id as number;
          const call = this.pending.get(id);
          if (call === undefined) return;
          this.pending.delete(id);
          clearTimeout(call.timer);
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
    for (const [id, call] of this.pending) {
      this.pending.delete(id);
      clearTimeout(call.timer);
      call.resolve(undefined);
    }
    socket.destroy();
  }

  /** Calls `method`; resolves its outcome, or undefined when the transport failed. */
  async call(method: string, args: unknown[]): Promise<RpcOutcome | undefined> {
    if (this.closed) return undefined;
    const started = Date.now();
    const socket = this.socket ?? (await this.connect());
    if (socket === undefined || this.closed) return undefined;
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(
        () => {
          this.pending.delete(id);
          // A call past its deadline leaves the connection in doubt: drop it, the next call reconnects.
          this.lost(socket);
          resolve(undefined);
        },
        Math.max(1, this.timeoutMs - (Date.now() - started)),
      );
      this.pending.set(id, { resolve, timer });
      writeFrame(socket, { v: RPC_VERSION, id, m: method, a: args });
    });
  }

  /** Closes the connection; later calls resolve undefined. */
  close(): void {
    this.closed = true;
    if (this.socket) this.lost(this.socket);
  }
}

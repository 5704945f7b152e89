/**
 * cpppo's `[UCMM] Route` table and the minimal client that forwards routed Unconnected Send requests
 * to another EtherNet/IP device: connect, RegisterSession, SendRRData, one request at a time per target.
 */
import { connect, type Socket } from "node:net";
import {
  type CipRequest,
  decodeEncapsulation,
  decodeMessageReply,
  EncapsulationCommand,
  EnipFramer,
  type EPath,
  encodeEncapsulation,
  encodeSendRRData,
  type GenericReply,
  Reader,
} from "@cpppo/cip-codec";
import {
  ForwardClosedError,
  ForwardError,
  ForwardTimeoutError,
  InvalidArgumentError,
} from "../core/errors.js";

/** One route: requests whose first route segment is `port`/`link` go to `host`:`tcpPort`. */
export interface Route {
  /** The port of the route segment (1 = backplane, 2 = Ethernet port A, …). */
  port: number;
  /** The link of the route segment: a slot number or an address such as `"1.2.3.4"`. */
  link: number | string;
  /** Where to forward: host name or address. */
  host: string;
  /** Where to forward: TCP port; 44818 unless the table names another. */
  tcpPort: number;
}

/** A forwarding table; the first route whose segment matches wins. */
export type RouteTable = readonly Route[];

/** The EtherNet/IP TCP port a route target gets when its value names no port. */
const DEFAULT_ENIP_PORT = 44818;
/** Largest numeric link of a port segment (one byte on the wire). */
const MAX_NUMERIC_LINK = 255;
const NUMBER = /^(0x[0-9a-f]+|0o[0-7]+|0b[01]+|\d+)$/i;

function parseNumber(text: string): number | undefined {
  const t = text.trim();
  return NUMBER.test(t) ? Number(t) : undefined;
}

function parseTarget(key: string, value: unknown): { host: string; tcpPort: number } {
  if (typeof value !== "string" || value.trim() === "")
    throw new InvalidArgumentError(`route "${key}" must map to "host[:port]", got ${JSON.stringify(value)}`);
  const text = value.trim();
  const colon = text.lastIndexOf(":");
  // A bare IPv6 address has several colons and no port; only "host:port" with one colon names a port.
  if (colon < 0 || text.indexOf(":") !== colon) return { host: text, tcpPort: DEFAULT_ENIP_PORT };
  const host = text.slice(0, colon) || "localhost";
  const tcpPort = parseNumber(text.slice(colon + 1));
  if (tcpPort === undefined || tcpPort < 1 || tcpPort > 0xffff)
    throw new InvalidArgumentError(`route "${key}" target "${value}" has no valid TCP port (1..65535)`);
  return { host, tcpPort };
}

/**
 * Reads cpppo's `[UCMM] Route` form, a JSON object (or its text) of `"port/link": "host[:port]"`, e.g.
 * `{"1/1-15": "localhost:44819", "2/1.2.3.4": "192.168.0.4:44818"}`. A link range `a-b` expands to one route
 * per link; the target port defaults to 44818. Throws `InvalidArgumentError` naming the bad entry.
 */
export function parseRouteTable(input: string | Readonly<Record<string, unknown>>): RouteTable {
  let table: unknown = input;
  if (typeof input === "string") {
    try {
      table = JSON.parse(input);
    } catch (cause) {
      throw new InvalidArgumentError(`route table is not JSON: ${(cause as Error).message}`, { cause });
    }
  }
  if (typeof table !== "object" || table === null || Array.isArray(table))
    throw new InvalidArgumentError('route table must be a JSON object of "port/link": "host[:port]"');
  const routes: Route[] = [];
  for (const [key, value] of Object.entries(table)) {
    const slash = key.indexOf("/");
    const port = slash > 0 ? parseNumber(key.slice(0, slash)) : undefined;
    const linkText = slash > 0 ? key.slice(slash + 1).trim() : "";
    if (port === undefined || port < 1 || port > 0xffff || linkText === "")
      throw new InvalidArgumentError(`route "${key}" must be "port/link" (e.g. "1/3" or "2/10.0.0.1")`);
    const target = parseTarget(key, value);
    const range = /^(\w+)\s*-\s*(\w+)$/.exec(linkText);
    if (range) {
      const lo = parseNumber(range[1] as string);
      const hi = parseNumber(range[2] as string);
      if (lo === undefined || hi === undefined || lo > hi || hi > MAX_NUMERIC_LINK)
        throw new InvalidArgumentError(`route "${key}" has a bad link range (a-b with 0 <= a <= b <= 255)`);
      for (let link = lo; link <= hi; link++) routes.push({ port, link, ...target });
      continue;
    }
    const numeric = parseNumber(linkText);
    if (numeric !== undefined && numeric > MAX_NUMERIC_LINK)
      throw new InvalidArgumentError(`route "${key}" link ${numeric} exceeds 255`);
    routes.push({ port, link: numeric ?? linkText.toLowerCase(), ...target });
  }
  return routes;
}

/** True when route segment `segment` names `port`/`link` (numbers compare by value, addresses case-insensitively). */
export function sameRouteSegment(
  segment: EPath[number] | undefined,
  port: number,
  link: number | string,
): boolean {
  if (segment === undefined || !("port" in segment) || segment.port !== port) return false;
  const a = segment.link;
  if (typeof a === "number" || typeof link === "number") return a === link;
  return a.toLowerCase() === link.toLowerCase();
}

/** The route of `table` that the first segment of `routePath` selects, if any. */
export function findRoute(table: RouteTable, routePath: EPath): Route | undefined {
  const first = routePath[0];
  if (first === undefined || !("port" in first)) return undefined;
  for (const route of table) if (sameRouteSegment(first, route.port, route.link)) return route;
  return undefined;
}

/** Options of a `RouteForwarder`. */
export interface RouteForwarderOptions {
  /** Largest reply frame accepted from a target, header included; defaults to 65559 (any frame). */
  maxFrameSize?: number;
}

const ZERO_CONTEXT = new Uint8Array(8);

/** One TCP link to one route target, with its session; requests go one at a time. */
class TargetLink {
  private socket: Socket | undefined;
  private session = 0;
  private framer: EnipFramer;
  private waiter: { resolve: (frame: Uint8Array) => void; reject: (error: Error) => void } | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    readonly host: string,
    readonly tcpPort: number,
    private readonly maxFrameSize: number | undefined,
  ) {
    this.framer = new EnipFramer({ maxFrameSize });
  }

  /** Queues `message` behind the requests already sent to this target. */
  request(message: CipRequest, timeoutMs: number): Promise<GenericReply> {
    const run = (): Promise<GenericReply> => this.exchange(message, timeoutMs);
    const result = this.chain.then(run, run);
    this.chain = result.catch(() => undefined);
    return result;
  }

  close(): void {
    this.closed = true;
    this.drop(new ForwardClosedError("the route forwarder was closed"));
  }

  private async exchange(message: CipRequest, timeoutMs: number): Promise<GenericReply> {
    if (this.closed) throw new ForwardClosedError("the route forwarder was closed");
    const deadline = Date.now() + timeoutMs;
    if (this.socket === undefined) await this.open(deadline);
    const frame = encodeSendRRData({
      session: this.session,
      timeout: Math.min(0xffff, Math.ceil(timeoutMs / 1000)),
      message,
    });
    const reply = decodeEncapsulation(await this.roundTrip(frame, deadline));
    if (reply.header.status !== 0)
      throw new ForwardError(
        `${this.host}:${this.tcpPort} answered with encapsulation status 0x${reply.header.status.toString(16)}`,
      );
    if (reply.body.command === "sendRRData")
      for (const item of reply.body.cpf)
        if (item.kind === "unconnectedData") {
          const m = decodeMessageReply(new Reader(item.data));
          return { kind: "generic", ...m };
        }
    throw new ForwardError(`${this.host}:${this.tcpPort} sent a reply without CIP data`);
  }

  private async open(deadline: number): Promise<void> {
    const socket = connect({ host: this.host, port: this.tcpPort, noDelay: true });
    this.socket = socket;
    this.framer = new EnipFramer({ maxFrameSize: this.maxFrameSize });
    // Events of a socket this link has already dropped must not touch its successor.
    socket.on("data", (chunk: Buffer) => {
      if (this.socket === socket) this.onData(chunk);
    });
    socket.on("error", (error) => {
      if (this.socket === socket) this.drop(error);
    });
    socket.on("close", () => {
      if (this.socket === socket)
        this.drop(new ForwardClosedError(`${this.host}:${this.tcpPort} closed the connection`));
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new ForwardTimeoutError(`connecting to ${this.host}:${this.tcpPort} timed out`)),
        Math.max(0, deadline - Date.now()),
      );
      const settle = (error?: Error): void => {
        clearTimeout(timer);
        socket.off("connect", onConnect);
        socket.off("close", onClose);
        if (error) reject(error);
        else resolve();
      };
      const onConnect = (): void => settle();
      const onClose = (): void => settle(new ForwardError(`cannot connect to ${this.host}:${this.tcpPort}`));
      socket.once("connect", onConnect);
      socket.once("close", onClose);
    }).catch((error: Error) => {
      this.drop(error);
      throw error;
    });
    const register = encodeEncapsulation({
      header: { senderContext: ZERO_CONTEXT },
      body: { command: "registerSession", protocolVersion: 1, optionFlags: 0 },
    });
    const reply = decodeEncapsulation(await this.roundTrip(register, deadline));
    if (reply.header.status !== 0 || reply.header.command !== EncapsulationCommand.codes.registerSession) {
      const error = new ForwardError(`${this.host}:${this.tcpPort} refused RegisterSession`);
      this.drop(error);
      throw error;
    }
    this.session = reply.header.session;
  }

  private roundTrip(frame: Uint8Array, deadline: number): Promise<Uint8Array> {
    const socket = this.socket;
    if (socket === undefined || socket.destroyed)
      return Promise.reject(new ForwardClosedError("the forwarding connection is closed"));
    return new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimeout(
        () => {
          // The reply may still arrive and would then answer the next request: the stream is abandoned.
          const error = new ForwardTimeoutError(`${this.host}:${this.tcpPort} did not answer in time`);
          this.drop(error);
        },
        Math.max(0, deadline - Date.now()),
      );
      this.waiter = {
        resolve: (reply) => {
          clearTimeout(timer);
          resolve(reply);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      socket.write(frame);
    });
  }

  private onData(chunk: Buffer): void {
    let frames: Uint8Array[];
    try {
      frames = this.framer.push(chunk);
    } catch (error) {
      this.drop(error as Error);
      return;
    }
    for (const frame of frames) {
      const waiter = this.waiter;
      this.waiter = undefined;
      // A frame nobody waits for (e.g. after a timeout) breaks the request/reply pairing: start over.
      if (waiter === undefined) {
        this.drop(new ForwardError(`${this.host}:${this.tcpPort} sent an unexpected frame`));
        return;
      }
      waiter.resolve(frame);
    }
  }

  /** Forgets the connection (a later request reconnects) and fails the request in flight. */
  private drop(error: Error): void {
    const socket = this.socket;
    this.socket = undefined;
    this.session = 0;
    socket?.destroy();
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.reject(error);
  }
}

/**
 * Forwards routed requests to their targets over cached EtherNet/IP sessions, one connection per target,
 * reconnecting after any failure. Replies come back byte for byte as generic CIP replies.
 */
export class RouteForwarder {
  private readonly links = new Map<string, TargetLink>();
  private readonly maxFrameSize: number | undefined;

  constructor(options: RouteForwarderOptions = {}) {
    this.maxFrameSize = options.maxFrameSize;
  }

  /**
   * Sends `message` to `host`:`tcpPort` in a SendRRData and resolves with the reply of its data item.
   * Rejects with a `ForwardTimeoutError` (`ERR_ENIP_FORWARD_TIMEOUT`) after `timeoutMs`, a `ForwardError`
   * (`ERR_ENIP_FORWARD`) when the target cannot be reached or answers badly, or a `ForwardClosedError`
   * (`ERR_ENIP_FORWARD_CLOSED`) when the forwarder or its connection closes first.
   */
  forward(host: string, tcpPort: number, message: CipRequest, timeoutMs: number): Promise<GenericReply> {
    const key = `${host}:${tcpPort}`;
    let link = this.links.get(key);
    if (link === undefined) {
      link = new TargetLink(host, tcpPort, this.maxFrameSize);
      this.links.set(key, link);
    }
    return link.request(message, timeoutMs);
  }

  /** Closes every cached connection; requests in flight reject. */
  close(): void {
    for (const link of this.links.values()) link.close();
    this.links.clear();
  }
}

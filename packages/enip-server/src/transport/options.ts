/** The options of `EnipServer.start`, their defaults and checks, and the reply delay they configure. */
import { ENCAPSULATION_HEADER_SIZE, type EPath, MAX_ENCAPSULATION_LENGTH } from "@cpppo/cip-codec";
import type { Controller } from "../controller/controller.js";
import { InvalidArgumentError } from "../core/errors.js";
import type { RouteTable } from "./forward.js";

/** Options of `EnipServer.start`. */
export interface ServerOptions {
  /** Executes every CIP request and supplies the identity that ListIdentity reports. */
  controller: Controller;
  /** Address to bind, TCP and UDP; defaults to "0.0.0.0". */
  host?: string;
  /** Port to bind, TCP and UDP; defaults to 44818; 0 picks a free port (UDP then binds the port TCP got). */
  port?: number;
  /** Listen on TCP; defaults to true. */
  tcp?: boolean;
  /** Listen on UDP (ListIdentity, ListServices, ListInterfaces); defaults to true. */
  udp?: boolean;
  /** Seconds to wait before each TCP reply (cpppo `-d`): a value, or a range re-drawn every second; defaults to 0. */
  delay?: number | { min: number; max: number };
  /** Largest encapsulated data (bytes after the 24-byte header) a request may carry (cpppo `-s`); larger ones get status 0x65. Defaults to no limit. */
  maxRequestSize?: number;
  /** Route paths accepted in Unconnected Send: undefined accepts any, false only un-routed ones (cpppo `-S`), else exactly this one port segment. */
  routePath?: EPath | false;
  /** cpppo's `[UCMM] Route` table: routed requests whose first segment matches are forwarded; defaults to none. */
  routes?: RouteTable;
  /**
   * Most simultaneous TCP connections; defaults to 4096. At the cap a new connection evicts the longest-idle one
   * that never registered a session (sockets that never sent a byte first); when there is none it is closed at once.
   */
  maxConnections?: number;
  /**
   * Most class 3 (Forward Open) connections, all TCP connections together, as a controller's connection limit;
   * defaults to 500 (about what a ControlLogix L8x allows). Beyond it Forward Open fails with 0x01/0x0113.
   */
  maxCipConnections?: number;
  /** Largest frame accepted, header included; defaults to 65559 (any frame the length field can describe). A larger one gets status 0x65 and the connection is closed. */
  maxFrameSize?: number;
  /**
   * Seconds without a byte from the peer (and no request of its still being answered) after which a TCP connection
   * is closed, as a controller's encapsulation inactivity timeout; defaults to 120; 0 = never.
   */
  idleTimeout?: number;
  /** Seconds a frame may take from its first byte to its last before the connection is closed; defaults to 10; 0 = no limit. */
  partialFrameTimeout?: number;
  /**
   * Bytes all connections together may hold for frames not yet fully received (a frame counts as the size its
   * header promises); over it, the connection whose partial frame has waited longest is closed. Defaults to
   * 33554432 (32 MiB); one connection holds at most one partial frame, of at most `maxFrameSize` bytes.
   */
  maxBufferedBytes?: number;
  /** Requests received but not yet answered on one connection before the server stops reading from it; defaults to 64. */
  maxPendingRequests?: number;
  /** Seconds a closing connection gets to finish its half-close before it is destroyed; defaults to 2. */
  closeTimeout?: number;
  /** Aborting closes the server, as `close()` does. */
  signal?: AbortSignal;
}

const DELAY_REDRAW_MS = 1000;
export const DEFAULT_PORT = 44818;
export const DEFAULT_MAX_CONNECTIONS = 4096;
export const DEFAULT_MAX_PENDING = 64;
export const DEFAULT_MAX_CIP_CONNECTIONS = 500;
export const DEFAULT_CLOSE_TIMEOUT_S = 2;
export const DEFAULT_IDLE_TIMEOUT_S = 120;
export const DEFAULT_PARTIAL_FRAME_TIMEOUT_S = 10;
export const DEFAULT_MAX_BUFFERED_BYTES = 32 * 1024 * 1024;

/** The longest reply delay, in seconds: Node's timers run at most 2^31 - 1 ms (about 24.8 days). */
const MAX_DELAY_S = 2_147_483;

/**
 * The delay before each TCP reply, in seconds; setting `range` re-draws `value` from it every second, and setting
 * `value` ends the range.
 */
export class ReplyDelay {
  private seconds = 0;

  /** Seconds to wait before each TCP reply, 0..2147483 (Node's timer limit); default 0 = none. */
  get value(): number {
    return this.seconds;
  }

  set value(seconds: number) {
    if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds < 0 || seconds > MAX_DELAY_S)
      throw new InvalidArgumentError(
        `"delay" must be 0..${MAX_DELAY_S} seconds (Node's timer limit, about 24.8 days), got ${seconds}`,
      );
    // A value set by hand holds: a range stops re-drawing it (set `range` again to resume).
    this.range = undefined;
    this.seconds = seconds;
  }
  private span: { min: number; max: number } | undefined;
  private timer: NodeJS.Timeout | undefined;

  /** The range `value` is re-drawn from every second, or undefined for a fixed `value`. */
  get range(): { min: number; max: number } | undefined {
    return this.span;
  }

  set range(range: { min: number; max: number } | undefined) {
    if (range !== undefined) checkDelayRange(range);
    this.span = range === undefined ? undefined : { min: range.min, max: range.max };
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    if (this.span === undefined) return;
    this.draw();
    this.timer = setInterval(() => this.draw(), DELAY_REDRAW_MS);
    this.timer.unref();
  }

  /** Stops re-drawing (the server calls this when it closes). */
  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private draw(): void {
    const span = this.span;
    if (span !== undefined) this.seconds = span.min + Math.random() * (span.max - span.min);
  }
}

function checkDelayRange(range: { min: number; max: number }): void {
  if (
    typeof range !== "object" ||
    !Number.isFinite(range.min) ||
    !Number.isFinite(range.max) ||
    range.min < 0 ||
    range.max < range.min ||
    range.max > MAX_DELAY_S
  )
    throw new InvalidArgumentError(
      `"delay" range must be { min, max } with 0 <= min <= max <= ${MAX_DELAY_S} seconds (Node's timer limit)`,
    );
}

export function checkOptions(options: ServerOptions): void {
  if (typeof options !== "object" || options === null)
    throw new InvalidArgumentError('"options" must be an object with a "controller"');
  const c = options.controller as Partial<Controller> | undefined;
  if (typeof c?.execute !== "function") throw new InvalidArgumentError('"controller" must be a Controller');
  const integer = (name: string, value: number | undefined, min: number, max: number): void => {
    if (value !== undefined && (!Number.isInteger(value) || value < min || value > max))
      throw new InvalidArgumentError(`"${name}" must be an integer from ${min} to ${max}, got ${value}`);
  };
  const seconds = (name: string, value: number | undefined): void => {
    if (value !== undefined && (!Number.isFinite(value) || value < 0))
      throw new InvalidArgumentError(`"${name}" must be a number of seconds >= 0, got ${value}`);
  };
  integer("port", options.port, 0, 0xffff);
  integer("maxRequestSize", options.maxRequestSize, 0, MAX_ENCAPSULATION_LENGTH);
  integer("maxConnections", options.maxConnections, 1, 1_000_000);
  integer("maxCipConnections", options.maxCipConnections, 0, 1_000_000);
  integer(
    "maxFrameSize",
    options.maxFrameSize,
    ENCAPSULATION_HEADER_SIZE,
    MAX_ENCAPSULATION_LENGTH + ENCAPSULATION_HEADER_SIZE,
  );
  integer("maxPendingRequests", options.maxPendingRequests, 1, 1_000_000);
  integer("maxBufferedBytes", options.maxBufferedBytes, ENCAPSULATION_HEADER_SIZE, Number.MAX_SAFE_INTEGER);
  seconds("idleTimeout", options.idleTimeout);
  seconds("partialFrameTimeout", options.partialFrameTimeout);
  seconds("closeTimeout", options.closeTimeout);
  if (options.host !== undefined && (typeof options.host !== "string" || options.host === ""))
    throw new InvalidArgumentError('"host" must be an address such as "0.0.0.0" or "127.0.0.1"');
  if (options.tcp === false && options.udp === false)
    throw new InvalidArgumentError('"tcp" and "udp" are both false: enable at least one');
  const delay = options.delay;
  if (typeof delay === "number") new ReplyDelay().value = delay;
  else if (delay !== undefined) checkDelayRange(delay);
  const rp = options.routePath;
  if (rp !== undefined && rp !== false) {
    const only = rp[0];
    if (!Array.isArray(rp) || rp.length > 1 || (only !== undefined && !("port" in only)))
      throw new InvalidArgumentError(
        '"routePath" must be one port segment such as [{ port: 1, link: 0 }], or false',
      );
  }
  if (options.routes !== undefined && !Array.isArray(options.routes))
    throw new InvalidArgumentError('"routes" must be a RouteTable (see parseRouteTable)');
}

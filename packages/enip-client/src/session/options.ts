/** The options of a client session, checked once at the edge (CONTRIBUTING.md, Errors) with the defaults applied. */
import { type EPath, MESSAGE_ROUTER_PATH } from "@cpppo/cip-codec";
import { InvalidArgumentError } from "../core/errors.js";
import { LARGE_CONNECTION_SIZE } from "../core/packing.js";
import type { TransportFactory } from "../transport/transport.js";
import { DEFAULT_ROUTE, DEFAULT_SEND_PATH } from "./routing.js";

/** Options of `EnipClient.connect`. */
export interface EnipClientOptions {
  host: string;
  /** TCP port; defaults to 44818. */
  port?: number;
  /** Milliseconds for the TCP connection; defaults to 5000. */
  connectTimeout?: number;
  /** Default milliseconds each request (and RegisterSession, Forward Open) may take; defaults to 5000. */
  timeout?: number;
  /** Route of unconnected requests (Unconnected Send); defaults to backplane slot 0 `[{port:1,link:0}]`; false: none. */
  routePath?: EPath | false;
  /** Target of the Unconnected Send; defaults to the Connection Manager `@6/1`; "" with `routePath: false` is "simple". */
  sendPath?: EPath | "";
  /** Open a class 3 connection (Large Forward Open, falling back to standard) and send over it; defaults to false. */
  connected?: boolean;
  /** Connection size asked of the Large Forward Open; defaults to 4002 (the fallback asks 504). */
  connectionSize?: number;
  /**
   * Requested packet interval of the class 3 connection, in milliseconds; defaults to 2000. A device drops a
   * connection that carries nothing for RPI × 8 (the Forward Open's timeout multiplier), so after half of that
   * without a request the client opens a new connection before it sends.
   */
  rpi?: number;
  /** Forward Open connection path; defaults to `routePath` followed by the Message Router `@2/1`. */
  connectionPath?: EPath;
  /** Priority/tick byte of Unconnected Send and Forward Open/Close; defaults to 5 (32 ms ticks). */
  priorityTimeTick?: number;
  /** Timeout ticks of Unconnected Send and Forward Open/Close; defaults to 157. */
  timeoutTicks?: number;
  /** Rebuild the session (and connection) on the next operation after it was lost; defaults to false. */
  reconnect?: boolean;
  /** Aborting closes the client. */
  signal?: AbortSignal;
  /** Largest reply frame accepted, header included; defaults to 65535 + 24 (a larger length field is a protocol error). */
  maxFrameSize?: number;
  /**
   * Send over UDP, one frame per datagram, as cpppo's `udp=True` does: no RegisterSession (session handle 0), each
   * request timed by its own deadline, a lost datagram a timeout. Not with `connected`. Defaults to false.
   */
  udp?: boolean;
  /** How to reach the device; defaults to TCP (`connectTcp`), or UDP (`connectUdp`) with `udp`. */
  transport?: TransportFactory;
}

/** The options in effect, defaults applied (those without a default stay apart: signal, transport, frame size). */
export type ResolvedOptions = Readonly<
  Required<Omit<EnipClientOptions, "signal" | "connectionPath" | "transport" | "maxFrameSize">> & {
    connectionPath: EPath;
  }
>;

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!(typeof value === "number" && value > 0 && Number.isFinite(value)))
    throw new InvalidArgumentError(
      `"${name}" must be a positive number of milliseconds, got ${String(value)}`,
    );
  return value;
}

/** Checks `options` and applies the defaults; throws `InvalidArgumentError` naming the field. */
export function resolveOptions(options: EnipClientOptions): ResolvedOptions {
  if (typeof options.host !== "string" || options.host === "")
    throw new InvalidArgumentError(`"host" must be a host name or address, got ${String(options.host)}`);
  const routePath = options.routePath === undefined ? DEFAULT_ROUTE : options.routePath;
  const connectionSize = options.connectionSize ?? LARGE_CONNECTION_SIZE;
  if (options.udp && options.connected)
    throw new InvalidArgumentError(`"connected" needs a TCP session; drop "udp" or "connected"`);
  if (!Number.isInteger(connectionSize) || connectionSize < 16 || connectionSize > 0xffff)
    throw new InvalidArgumentError(`"connectionSize" must be an integer in 16..65535, got ${connectionSize}`);
  return {
    host: options.host,
    port: options.port ?? 44818,
    connectTimeout: positive("connectTimeout", options.connectTimeout, 5000),
    timeout: positive("timeout", options.timeout, 5000),
    routePath,
    sendPath: options.sendPath === undefined ? DEFAULT_SEND_PATH : options.sendPath,
    connected: options.connected ?? false,
    connectionSize,
    rpi: positive("rpi", options.rpi, 2000),
    connectionPath: options.connectionPath ?? [...(routePath || []), ...MESSAGE_ROUTER_PATH],
    priorityTimeTick: options.priorityTimeTick ?? 5,
    timeoutTicks: options.timeoutTicks ?? 157,
    reconnect: options.reconnect ?? false,
    udp: options.udp ?? false,
  };
}

/**
 * The class 3 connection a session may open: Large Forward Open of the asked size, then a standard one of 504
 * bytes when the device refuses it, and Forward Close. Builds the requests; the session sends them.
 */
import {
  type CipRequest,
  type EPath,
  type ForwardOpenReply,
  forwardCloseRequest,
  forwardOpenRequest,
} from "@cpppo/cip-codec";
import { STANDARD_CONNECTION_SIZE } from "../core/packing.js";

/** Originator vendor id of our connections. */
const ORIGINATOR_VENDOR = 0x1234;

/** An open class 3 connection: what sends over it, and what closes it. */
export interface Connection {
  otConnectionId: number;
  serial: number;
  size: number;
  path: EPath;
  /** The sequence count of the last request sent over it. */
  sequence: number;
  /** Milliseconds without traffic after which the device drops it: O→T packet interval × the timeout multiplier. */
  watchdogMs: number;
  /** When the last request went over it, on the session's clock. */
  lastSent: number;
}

/** How connections are opened and closed: the path, the ticks and the requested packet interval (ms). */
export interface ConnectionParameters {
  connectionPath: EPath;
  priorityTimeTick: number;
  timeoutTicks: number;
  rpi: number;
}

/** Timeout multiplier code of our Forward Opens: ×8 (CIP Vol 1 §3-5.4.1.4: RPI × 4 × 2^code). */
const TIMEOUT_MULTIPLIER_CODE = 1;

/** The connection sizes to try in turn: `size`, then the standard 504 when `size` is larger. */
export function connectionSizes(size: number): number[] {
  return size > STANDARD_CONNECTION_SIZE ? [size, STANDARD_CONNECTION_SIZE] : [size];
}

/** A Forward Open (Large when `size` needs it) with a fresh connection serial and T→O id. */
export function openRequest(
  size: number,
  originatorSerial: number,
  p: ConnectionParameters,
): { request: CipRequest; serial: number } {
  const serial = (Math.random() * 0xffff) | 0;
  const request = forwardOpenRequest({
    connectionSerial: serial,
    originatorVendor: ORIGINATOR_VENDOR,
    originatorSerial,
    toConnectionId: (Math.random() * 0xfffffffe + 1) >>> 0,
    size,
    connectionPath: p.connectionPath,
    priorityTimeTick: p.priorityTimeTick,
    timeoutTicks: p.timeoutTicks,
    rpiUs: Math.round(p.rpi * 1000),
    timeoutMultiplier: TIMEOUT_MULTIPLIER_CODE,
  });
  return { request, serial };
}

/** The connection a successful Forward Open `reply` opened (asked with interval `rpi` ms), at `now`. */
export function openedConnection(
  reply: ForwardOpenReply,
  serial: number,
  size: number,
  path: EPath,
  rpi: number,
  now: number,
): Connection {
  // The device times the connection by the interval it granted (the API), else by the one asked.
  const intervalMs = reply.otApiUs > 0 ? reply.otApiUs / 1000 : rpi;
  const watchdogMs = intervalMs * (4 << TIMEOUT_MULTIPLIER_CODE);
  return { otConnectionId: reply.otConnectionId, serial, size, path, sequence: 0, watchdogMs, lastSent: now };
}

/** The Forward Close of `connection`. */
export function closeRequest(
  connection: Connection,
  originatorSerial: number,
  p: Omit<ConnectionParameters, "connectionPath">,
): CipRequest {
  return forwardCloseRequest({
    connectionSerial: connection.serial,
    originatorVendor: ORIGINATOR_VENDOR,
    originatorSerial,
    connectionPath: connection.path,
    priorityTimeTick: p.priorityTimeTick,
    timeoutTicks: p.timeoutTicks,
  });
}

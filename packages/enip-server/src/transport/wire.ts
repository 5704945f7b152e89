/** What every transport module shares: raw header reads, canned error replies, and the outcome of handling one frame. */
import {
  CipDecodeError,
  CipEncodeError,
  type CipReply,
  EncapsulationStatus,
  encodeEncapsulation,
  GeneralStatus,
  SENDER_CONTEXT_SIZE,
} from "@cpppo/cip-codec";
import { replyServiceOf } from "../core/reply-service.js";

export const ENCAPSULATION_VERSION = 1;
export const EMPTY = new Uint8Array(0);

export const STATUS = EncapsulationStatus.codes;
export const GS = GeneralStatus.codes;

/** Close the connection after writing `reply` (if any). */
export interface Close {
  close: true;
  reply?: Uint8Array;
}
/** What handling one frame produces: a reply, nothing, or the end of the connection. */
export type Outcome = Uint8Array | undefined | Close;
export const CLOSE: Close = { close: true };

export function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | undefined)?.then === "function";
}

export function u16(bytes: Uint8Array, at: number): number {
  return (bytes[at] as number) | ((bytes[at + 1] as number) << 8);
}

export function u32(bytes: Uint8Array, at: number): number {
  return (u16(bytes, at) | (u16(bytes, at + 2) << 16)) >>> 0;
}

/** An encapsulation reply with no data echoing `header` (a 24-byte request header) with `status`. */
export function statusReply(header: Uint8Array, status: number, session = u32(header, 4)): Uint8Array {
  return encodeEncapsulation({
    header: {
      command: u16(header, 0),
      session,
      status,
      senderContext: header.subarray(12, 12 + SENDER_CONTEXT_SIZE),
    },
    body: { command: "raw", data: EMPTY },
  });
}

/** "::ffff:10.0.0.1" → "10.0.0.1"; other addresses unchanged. */
export function plainAddress(address: string | undefined): string {
  if (address === undefined) return "";
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}

export function isIpv4(address: string): boolean {
  return /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address);
}

/** The CIP status a request that cannot be decoded gets: path errors 0x04, short data 0x13, anything else 0x20. */
export function decodeFailureStatus(error: unknown): number {
  if (!(error instanceof CipDecodeError)) return GS.invalidParameter;
  for (const part of error.path)
    if (part === "path" || part === "routePath" || part === "connectionPath") return GS.pathSegmentError;
  return error.failure === "truncated" ? GS.notEnoughData : GS.invalidParameter;
}

/** Status of a reply that cannot be encoded: too large for the frame (0x11), or a bad value (0xFF). */
export function encodeFailureStatus(error: unknown): number {
  return error instanceof CipEncodeError && /exceeds|more than/.test(error.message)
    ? GS.replyDataTooLarge
    : GS.generalError;
}

export function errorReply(service: number, generalStatus: number, extStatus: number[] = []): CipReply {
  return { kind: "generic", service: replyServiceOf(service), generalStatus, extStatus, data: EMPTY };
}

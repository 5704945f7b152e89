/**
 * What every operation returns: its CIP status as data (never thrown) and its value when it succeeded, and the
 * per-operation options. Kept apart from the client so the modules that build results need not import it.
 */

import type { AnyCipType } from "@cpppo/cip-codec";
import { type CipReply, describeStatus, isSuccessStatus } from "@cpppo/cip-codec";

/** Per-operation options: a deadline and an abort signal. */
export interface RequestOptions {
  /** Milliseconds this request may take; defaults to the client's `timeout`. */
  timeout?: number;
  signal?: AbortSignal;
}

/** What every result carries, whatever its outcome. */
interface ResultStatus {
  /** General status. */
  status: number;
  extStatus: number[];
  /** `describeStatus` text, e.g. "Success (0x00)". */
  statusText: string;
  /** The reply it came from (the last one, for continued transfers). */
  reply: CipReply;
}

/**
 * The outcome of one CIP operation: its status as data (never thrown) and its value when it succeeded. `ok` is true
 * for general status 0x00 (and 0x06, data that was asked for in part); it tells the two cases apart, so that
 * `if (r.ok) r.value` is the value, and a failure has no value.
 */
export type CipResult<V = unknown> =
  | (ResultStatus & { ok: true; value: V })
  | (ResultStatus & { ok: false; value?: undefined });

/** What a read result adds: the tag type and raw bytes its values came from. */
export interface ReadData {
  /** Tag type code of the data (0x02A0 for a structure); undefined on failure. */
  type?: number;
  structureHandle?: number;
  /** The raw element data, all fragments joined. */
  data?: Uint8Array;
}

/** A read's result: the values, plus the tag type and raw bytes they came from. */
export type ReadResult = CipResult<unknown[]> & ReadData;

/** Options of `read`. */
export interface ReadOptions extends RequestOptions {
  /** Elements to read; defaults to 1. */
  elements?: number;
  /** Byte offset: one Read Tag Fragmented from there, not continued (cpppo's `+offset`). */
  offset?: number;
  /** Always use Read Tag Fragmented (still continued when no `offset`); defaults to false. */
  fragment?: boolean;
}

/** Options of `write`. */
export interface WriteOptions extends RequestOptions {
  /** Type code (0xC4), type name ("DINT") or codec; defaults to the type learned from a read (one is made if needed). */
  type?: number | string | AnyCipType;
  /** Structure handle when `type` is STRUCT (0x02A0). */
  structureHandle?: number;
  /** Elements the write covers; defaults to the number of values. */
  elements?: number;
  /** Byte offset: one Write Tag Fragmented of these values there (cpppo's `+offset`). */
  offset?: number;
  /** Always use Write Tag Fragmented; defaults to false. */
  fragment?: boolean;
}

/** Texts of general statuses without extended status, built once each (every result carries one). */
const STATUS_TEXTS = new Map<number, string>();

/** `describeStatus` text of a status, cached when there is no extended status. */
export function statusText(generalStatus: number, extStatus: readonly number[]): string {
  if (extStatus.length > 0) return describeStatus(generalStatus, extStatus);
  let text = STATUS_TEXTS.get(generalStatus);
  if (text === undefined) {
    text = describeStatus(generalStatus);
    STATUS_TEXTS.set(generalStatus, text);
  }
  return text;
}

/**
 * Builds a result from `reply`, taking `value` only when its status is a success. Without `value` (a failure, or a
 * success that carries nothing) the value is undefined.
 */
export function resultOf<V>(reply: CipReply, value: V): CipResult<V>;
export function resultOf(reply: CipReply): CipResult<never>;
export function resultOf<V>(reply: CipReply, value?: V): CipResult<V> {
  const ok = isSuccessStatus(reply.generalStatus);
  return {
    ok,
    status: reply.generalStatus,
    extStatus: reply.extStatus,
    statusText: statusText(reply.generalStatus, reply.extStatus),
    value: ok ? value : undefined,
    reply,
  } as CipResult<V>;
}

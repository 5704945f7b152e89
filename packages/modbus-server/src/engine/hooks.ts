/**
 * Hooks that see every read and write the simulator serves, as enip-server's tag hooks do: they observe, and may
 * veto (the client gets exception 01, Illegal Function) or, for reads, answer other values. A hook that throws
 * gets the client exception 04 (Server Device Failure); it never reaches the transport. With no hooks set the
 * engine builds no access record.
 */
import type { ModbusTable } from "../core/address.js";

/** One read or write of a run of addresses of one table. */
export interface ModbusAccess {
  /** The function code of the request (1…6, 15, 16, 22, 23). */
  readonly fc: number;
  /** The unit id the request was addressed to. */
  readonly unitId: number;
  /** The table accessed. */
  readonly table: ModbusTable;
  /** First 0-based protocol address accessed. */
  readonly address: number;
  /** Number of addresses accessed. */
  readonly count: number;
  /** True for a write (FC 5, 6, 15, 16, 22 and the write half of 23), false for a read. */
  readonly write: boolean;
  /** Reads: the stored values about to be sent; writes: the values about to be stored (0/1 for bits, 0…65535 for registers). */
  readonly values: readonly number[];
  /** The peer ("ip:port", or the serial port's path) that asked, when the transport knows it. */
  readonly peer?: string;
  /** The Modbus/TCP Security role of the client's certificate, on TLS. */
  readonly role?: string;
}

/**
 * Intercepts reads and writes. `onRead` may return `count` values to answer instead of the stored ones, or false
 * to refuse; `onWrite` may return false to refuse (nothing is stored). Hooks run synchronously, before the store
 * is touched for writes and after it is read for reads.
 */
export interface ModbusHooks {
  /** Called before a read is answered; return values to answer with instead, or false to refuse it. */
  // biome-ignore lint/suspicious/noConfusingVoidType: a hook that only observes returns nothing
  onRead?(access: ModbusAccess): readonly number[] | boolean | undefined | void;
  /** Called before a write is stored; return false to refuse it. */
  // biome-ignore lint/suspicious/noConfusingVoidType: a hook that only observes returns nothing
  onWrite?(access: ModbusAccess): boolean | undefined | void;
}

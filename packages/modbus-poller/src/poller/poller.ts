/**
 * cpppo's `poller_modbus` on a promise API: addresses registered with `poll()`/`read()` are merged into read
 * blocks each cycle (`reach`, `// 10000` decades, 123 registers / 1968 bits), read one block at a time on a
 * cadence of whole periods, their values cached for `read()`; `write()` goes through the same FIFO line, so it
 * waits for at most one block; online/offline, failing/polling ranges and the 1/5/15-minute load follow cpppo.
 */
import { EventEmitter } from "node:events";
import {
  decodeFloat32,
  decodeInt32,
  decodeRegisterString,
  decodeUint32,
  encodeFloat32,
  encodeInt32,
  encodeRegisterString,
  encodeUint32,
  type RegisterStringOptions,
  type WordOrder,
} from "@cpppo/modbus-codec";
import { onAbort } from "../core/abort.js";
import { wireAddress } from "../core/address.js";
import { nextCycle } from "../core/cadence.js";
import { InvalidArgumentError, ModbusClosedError, ModbusOfflineError } from "../core/errors.js";
import { type LoadTriple, nextLoad } from "../core/load.js";
import { type AddressRange, BIT_BLOCK_LIMIT, blocksOf, REGISTER_BLOCK_LIMIT } from "../core/ranges.js";
import { TcpTransport, type TcpTransportOptions } from "../transport/tcp.js";
import type { ModbusTransport, OperationOptions, ReadRequest, WriteFunction } from "../transport/types.js";
import type { PollerEvent, PollRange } from "./events.js";

/** How a poller is made: a transport of its own (TCP options) or one given, and cpppo's knobs. */
export interface ModbusPollerOptions extends TcpTransportOptions {
  /** The line to use instead of a new `TcpTransport` (several pollers may share one RTU line this way). */
  transport?: ModbusTransport;
  /** The default unit id (default 0, cpppo's `Defaults.UnitId`). */
  unit?: number;
  /** The poll period in ms (default 1000). */
  period?: number;
  /** Merge registrations this close into one block (default 100, as `poller_modbus`; `modbus-poll` uses 1). */
  reach?: number;
  /** The clock in ms (default `performance.now`); injected by tests. */
  now?: () => number;
}

/** Which unit an operation addresses (default the poller's). */
export interface UnitOption {
  unit?: number;
}

/** Options of `write`: the unit, `multi` to use FC16/FC15 for one value, and the deadline and signal. */
export interface WriteOptions extends UnitOption, OperationOptions {
  multi?: boolean;
}

/** The typed reading of registers: 32-bit values in any word order, or text in `registers` registers. */
export type ValueType =
  | { type: "int32" | "uint32" | "float32"; order?: WordOrder }
  | ({ type: "string"; registers: number } & RegisterStringOptions);

/** What a write got back: `exception` is the Modbus exception code when the server refused it. */
export interface WriteOutcome {
  exception: number | undefined;
}

/** cpppo's Modbus poller: `poll`, `read`, `write`, `online`, `load`, `failing`, `polling`, with events. */
export class ModbusPoller extends EventEmitter {
  readonly transport: ModbusTransport;
  readonly unit: number;
  readonly period: number;
  readonly reach: number;
  /** False once a whole cycle read nothing, true again at the first block read (cpppo starts online). */
  online = true;
  /** The 1, 5 and 15-minute load averages, undefined before the first cycle. */
  load: LoadTriple | undefined;
  /** The ranges that failed in the last cycle. */
  failing: PollRange[] = [];
  /** The ranges read in the last cycle. */
  polling: PollRange[] = [];
  /** Cycles run so far, and the busy time of the last one in ms. */
  cycles = 0;
  busyMs = 0;
  private readonly now: () => number;
  private readonly data = new Map<number, Map<number, number | undefined>>();
  private readonly iterators = new Set<(e: PollerEvent | undefined) => void>();
  private wake: (() => void) | undefined;
  /** The blocks of every unit, kept until a registration changes them. */
  private plan:
    | Array<{ unit: number; table: Map<number, number | undefined>; blocks: PlannedBlock[] }>
    | undefined;
  private sleeper: NodeJS.Timeout | undefined;
  private closing = false;
  private readonly ownsTransport: boolean;
  private readonly looping: Promise<void>;

  /** A poller on `options.transport` or a new TCP line to `host:port`; it starts its loop at once (idle until a poll). */
  constructor(options: ModbusPollerOptions = {}) {
    super();
    this.transport = options.transport ?? new TcpTransport(options);
    this.ownsTransport = options.transport === undefined;
    this.unit = checkUnit(options.unit ?? 0);
    this.period = options.period ?? 1000;
    this.reach = options.reach ?? 100;
    this.now = options.now ?? (() => performance.now());
    if (!(this.period > 0)) throw new InvalidArgumentError(`"period" must be a positive number of ms`);
    if (!Number.isInteger(this.reach) || this.reach < 0)
      throw new InvalidArgumentError(`"reach" must be an integer >= 0`);
    this.looping = this.loop();
  }

  /** Registers `count` (default 1) addresses from `address` of `unit` for polling. */
  poll(address: number, count = 1, options: UnitOption = {}): void {
    const unit = checkUnit(options.unit ?? this.unit);
    wireAddress(address);
    if (count > 1) wireAddress(address + count - 1);
    let table = this.data.get(unit);
    if (table === undefined) {
      table = new Map();
      this.data.set(unit, table);
    }
    for (let a = address; a < address + count; a++) if (!table.has(a)) table.set(a, undefined);
    this.plan = undefined;
    this.wake?.();
  }

  /** Stops polling `count` addresses from `address` of `unit`, and forgets their values. */
  unpoll(address: number, count = 1, options: UnitOption = {}): void {
    const table = this.data.get(options.unit ?? this.unit);
    if (table === undefined) return;
    for (let a = address; a < address + count; a++) table.delete(a);
    this.plan = undefined;
  }

  /** The last polled value of `address` (bits as 0/1), undefined before its first poll or while offline; registers it as cpppo does. */
  read(address: number, options: UnitOption = {}): number | undefined {
    const unit = options.unit ?? this.unit;
    const value = this.data.get(unit)?.get(address);
    if (value === undefined && !this.data.get(unit)?.has(address)) this.poll(address, 1, { unit });
    return this.online ? value : undefined;
  }

  /** A typed value from the polled registers at `address` (registers it for the next polls); undefined until all are read. */
  readValue(address: number, as: ValueType, options: UnitOption = {}): number | string | undefined {
    const n = as.type === "string" ? as.registers : 2;
    const words: number[] = [];
    for (let i = 0; i < n; i++) {
      const w = this.read(address + i, options);
      if (w === undefined) {
        for (let j = i + 1; j < n; j++) this.read(address + j, options);
        return undefined;
      }
      words.push(w);
    }
    switch (as.type) {
      case "int32":
        return decodeInt32(words, 0, as.order);
      case "uint32":
        return decodeUint32(words, 0, as.order);
      case "float32":
        return decodeFloat32(words, 0, as.order);
      case "string":
        return decodeRegisterString(words, 0, n, as);
    }
  }

  /**
   * Writes `value` (one register or coil: FC6/FC5; several, or `multi`: FC16/FC15) at `address`, between poll
   * blocks; resolves once the server has answered. Rejects with `ModbusOfflineError` while offline, and with the
   * transport's errors (timeout, connection, abort); a Modbus exception is `outcome.exception`.
   */
  async write(
    address: number,
    value: number | boolean | readonly (number | boolean)[],
    options: WriteOptions = {},
  ): Promise<WriteOutcome> {
    if (this.closing) throw new ModbusClosedError("the poller is closed");
    const wire = wireAddress(address);
    if (wire.table !== "coils" && wire.table !== "holdingRegisters")
      throw new InvalidArgumentError(`${address} is not writable (only coils and holding registers are)`);
    const values = (Array.isArray(value) ? value : [value]).map(Number);
    const multi = Array.isArray(value) || options.multi === true;
    const limit = wire.bit ? BIT_BLOCK_LIMIT : REGISTER_BLOCK_LIMIT;
    if (values.length === 0 || values.length > limit)
      throw new InvalidArgumentError(`a write takes 1-${limit} values, not ${values.length}`);
    for (const v of values)
      if (!Number.isInteger(v) || v < 0 || v > (wire.bit ? 1 : 0xffff))
        throw new InvalidArgumentError(
          `${v} is not a ${wire.bit ? "coil value (0 or 1)" : "register value (0-65535)"}`,
        );
    if (!this.online) throw new ModbusOfflineError(`write to ${address} failed: Offline`);
    const fc: WriteFunction = wire.bit ? (multi ? 15 : 5) : multi ? 16 : 6;
    const reply = await this.transport.transact(
      { unit: checkUnit(options.unit ?? this.unit), fc, offset: wire.offset, values },
      { timeout: options.timeout, signal: options.signal },
    );
    return { exception: reply.kind === "exception" ? reply.code : undefined };
  }

  /** Writes a typed value (32-bit in any word order, or text in `registers` registers) as one FC16 at `address`. */
  writeValue(
    address: number,
    value: number | string,
    as: ValueType,
    options: WriteOptions = {},
  ): Promise<WriteOutcome> {
    let words: number[];
    if (as.type === "string") {
      if (typeof value !== "string") throw new InvalidArgumentError(`a "string" value must be text`);
      words = encodeRegisterString(value, as.registers, as);
    } else {
      if (typeof value !== "number") throw new InvalidArgumentError(`an "${as.type}" value must be a number`);
      const encode = as.type === "int32" ? encodeInt32 : as.type === "uint32" ? encodeUint32 : encodeFloat32;
      words = encode(value, as.order);
    }
    return this.write(address, words, options);
  }

  /** Every event from now on, until the poller closes or `signal` aborts. */
  events(options: { signal?: AbortSignal } = {}): AsyncIterableIterator<PollerEvent> {
    const buffer: PollerEvent[] = [];
    let waiting: ((r: IteratorResult<PollerEvent>) => void) | undefined;
    let ended = this.closing || options.signal?.aborted === true;
    const push = (e: PollerEvent | undefined) => {
      if (e === undefined) ended = true;
      else buffer.push(e);
      if (waiting) {
        const w = waiting;
        waiting = undefined;
        const next = buffer.shift();
        w(next === undefined ? { done: true, value: undefined } : { done: false, value: next });
      }
    };
    const finish = () => {
      this.iterators.delete(push);
      dispose();
      push(undefined);
    };
    const dispose = onAbort(options.signal, finish);
    if (!ended) this.iterators.add(push);
    const iterator: AsyncIterableIterator<PollerEvent> = {
      next: () => {
        const e = buffer.shift();
        if (e !== undefined) return Promise.resolve({ done: false, value: e });
        if (ended) return Promise.resolve({ done: true, value: undefined });
        return new Promise((ok) => {
          waiting = ok;
        });
      },
      return: () => {
        finish();
        return Promise.resolve({ done: true, value: undefined });
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /** Stops the loop (after the block in flight), closes the transport it made, and ends every iterator. */
  async close(): Promise<void> {
    if (this.closing) return this.looping;
    this.closing = true;
    this.wakeUp();
    if (this.ownsTransport) await this.transport.close();
    await this.looping;
    for (const push of [...this.iterators]) push(undefined);
    this.iterators.clear();
  }

  /** The blocks the next cycle will read for `unit` (default the poller's). */
  blocks(unit = this.unit): AddressRange[] {
    const table = this.data.get(unit);
    return table === undefined ? [] : blocksOf(table.keys(), this.reach);
  }

  private emitEvent(e: PollerEvent): void {
    this.emit(e.type, e);
    for (const push of this.iterators) push(e);
  }

  private wakeUp(): void {
    clearTimeout(this.sleeper);
    this.sleeper = undefined;
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** Sleeps `ms`, or until woken (a new registration, close). */
  private sleep(ms: number): Promise<void> {
    return new Promise((ok) => {
      this.wake = ok;
      this.sleeper = setTimeout(() => this.wakeUp(), Math.max(0, ms));
    });
  }

  private registered(): boolean {
    for (const table of this.data.values()) if (table.size > 0) return true;
    return false;
  }

  private async loop(): Promise<void> {
    let target = this.now();
    while (!this.closing) {
      if (!this.registered()) {
        await this.sleep(100);
        target = this.now();
        continue;
      }
      let now = this.now();
      if (now < target) {
        await this.sleep(target - now);
        if (this.closing) break;
        now = this.now();
        if (now < target) continue; // woken early by a registration
      }
      const { missed, next } = nextCycle(target, now, this.period);
      if (missed > 0) this.emitEvent({ type: "slipped", missed });
      target = next;
      await this.cycle();
    }
  }

  /** One cycle: every unit's blocks, one transaction each; then online/offline, ranges and load. */
  private async cycle(): Promise<void> {
    const succ: PollRange[] = [];
    const fail: PollRange[] = [];
    let busy = 0;
    let started = Number.NaN;
    // cpppo's busy time: from when a block's transaction starts on the line (not the wait for it) to its end.
    const onStart = () => {
      started = this.now();
    };
    const stop = () => {
      if (!Number.isNaN(started)) busy += this.now() - started;
    };
    if (this.plan === undefined) this.plan = this.planBlocks();
    for (const { unit, table, blocks } of this.plan) {
      for (const { range, request } of blocks) {
        if (this.closing) return;
        const { address } = range;
        started = Number.NaN;
        try {
          const reply = await this.transport.transact(request, { onStart });
          stop();
          if (reply.kind === "exception") {
            fail.push(range);
            this.emitEvent({ type: "failure", range, error: undefined, exception: reply.code });
            continue;
          }
          if (!this.online) {
            this.online = true;
            this.emitEvent({ type: "online" });
          }
          succ.push(range);
          this.store(unit, table, address, reply.values);
        } catch (e) {
          stop();
          if (this.closing) return;
          fail.push(range);
          this.emitEvent({ type: "failure", range, error: e as Error, exception: undefined });
        }
      }
    }
    this.cycles++;
    this.busyMs = busy;
    if (!sameRanges(succ, this.polling) || !sameRanges(fail, this.failing)) {
      this.polling = succ;
      this.failing = fail;
      this.emitEvent({ type: "ranges", failing: fail, polling: succ });
    }
    if (succ.length === 0 && this.online && this.registered()) {
      this.online = false;
      this.emitEvent({ type: "offline" });
    }
    this.load = nextLoad(this.load, busy / 1000, this.period / 1000);
    this.emitEvent({ type: "load", load: this.load });
  }

  private planBlocks(): Array<{
    unit: number;
    table: Map<number, number | undefined>;
    blocks: PlannedBlock[];
  }> {
    const plan = [];
    for (const [unit, table] of this.data) {
      if (table.size === 0) continue;
      const blocks = blocksOf(table.keys(), this.reach).map(([address, count]) => {
        const wire = wireAddress(address);
        return {
          range: { unit, address, count },
          request: { unit, fc: wire.readFunction, offset: wire.offset, count },
        };
      });
      plan.push({ unit, table, blocks });
    }
    return plan;
  }

  /** Stores the values of registered addresses only (the block's extra addresses are discarded, as cpppo's `create=False`). */
  private store(
    unit: number,
    table: Map<number, number | undefined>,
    address: number,
    values: readonly number[],
  ): void {
    for (let i = 0; i < values.length; i++) {
      const a = address + i;
      if (!table.has(a)) continue;
      const was = table.get(a);
      const value = values[i] as number;
      if (was === value) continue;
      table.set(a, value);
      this.emitEvent({ type: "value", unit, address: a, value, was });
    }
  }
}

/** One block of a cycle: its range, and the read request that polls it. */
interface PlannedBlock {
  range: PollRange;
  request: ReadRequest;
}

function sameRanges(a: readonly PollRange[], b: readonly PollRange[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as PollRange;
    const y = b[i] as PollRange;
    if (x.unit !== y.unit || x.address !== y.address || x.count !== y.count) return false;
  }
  return true;
}

function checkUnit(unit: number): number {
  if (!Number.isInteger(unit) || unit < 0 || unit > 255)
    throw new InvalidArgumentError(`"unit" must be 0-255, not ${String(unit)}`);
  return unit;
}

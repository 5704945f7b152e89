/**
 * The simulator's data: four tables of which only the defined addresses exist, as in cpppo's sparse data blocks.
 * Each table keeps its values and a defined-flag per address in typed arrays allocated on first use, so a
 * request costs O(count) (never O(defined size), unlike pymodbus's sparse block) and 65,536 addresses per table
 * load in a few milliseconds.
 */
import { isBitTable, MODBUS_TABLES, type ModbusTable, TABLE_SIZE } from "../core/address.js";
import { InvalidArgumentError, ModbusRangeError } from "../core/errors.js";
import type { RegisterRange } from "./ranges.js";

class Table {
  readonly values = new Uint16Array(TABLE_SIZE);
  readonly defined = new Uint8Array(TABLE_SIZE);
}

function checkTable(table: ModbusTable): void {
  if (!MODBUS_TABLES.includes(table))
    throw new InvalidArgumentError(
      `"table" must be one of ${MODBUS_TABLES.join(", ")}, got ${String(table)}`,
    );
}

function checkSpan(address: number, count: number): void {
  if (!Number.isInteger(address) || address < 0 || address >= TABLE_SIZE)
    throw new InvalidArgumentError(`"address" must be an integer from 0 to 65535, got ${address}`);
  if (!Number.isInteger(count) || count < 0 || address + count > TABLE_SIZE)
    throw new InvalidArgumentError(
      `"count" must be an integer from 0 to ${TABLE_SIZE - address}, got ${count}`,
    );
}

/** The typed arrays of one table, for the engine's read path; not part of the public API. */
export let tableValues: (
  store: ModbusStore,
  table: ModbusTable,
) => { readonly values: Uint16Array; readonly defined: Uint8Array } | undefined;

/** A sparse Modbus data store: coils, discrete inputs, input registers and holding registers; only defined addresses exist. */
export class ModbusStore {
  private readonly tables = new Map<ModbusTable, Table>();

  static {
    tableValues = (store, table) => store.tables.get(table);
  }

  /** A store holding the given ranges (later ranges overwrite earlier ones where they overlap). */
  static fromRanges(ranges: readonly RegisterRange[]): ModbusStore {
    const store = new ModbusStore();
    for (const range of ranges) store.define(range.table, range.address, range.values);
    return store;
  }

  /** Defines `values.length` addresses from `address` (0-based) with these values (bits: any truthy value is 1). */
  define(table: ModbusTable, address: number, values: ArrayLike<number | boolean>): void {
    checkTable(table);
    checkSpan(address, values.length);
    let t = this.tables.get(table);
    if (t === undefined) {
      t = new Table();
      this.tables.set(table, t);
    }
    this.store(t, table, address, values);
    t.defined.fill(1, address, address + values.length);
  }

  /** True when every address of `address`…`address + count - 1` is defined (count 0: true). */
  has(table: ModbusTable, address: number, count: number): boolean {
    const t = this.tables.get(table);
    if (count <= 0) return true;
    if (t === undefined || address < 0 || address + count > TABLE_SIZE) return false;
    const defined = t.defined;
    for (let i = address, end = address + count; i < end; i++) if (defined[i] === 0) return false;
    return true;
  }

  /** The values of `count` addresses from `address`: 0/1 for bits, 0…65535 for registers. Throws `ModbusRangeError` if any is undefined. */
  read(table: ModbusTable, address: number, count: number): number[] {
    checkTable(table);
    checkSpan(address, count);
    this.require(table, address, count);
    const values = (this.tables.get(table) as Table).values;
    const out = new Array<number>(count);
    for (let i = 0; i < count; i++) out[i] = values[address + i] as number;
    return out;
  }

  /** Stores values at defined addresses from `address`. Throws `ModbusRangeError` if any is undefined. */
  write(table: ModbusTable, address: number, values: ArrayLike<number | boolean>): void {
    checkTable(table);
    checkSpan(address, values.length);
    this.require(table, address, values.length);
    this.store(this.tables.get(table) as Table, table, address, values);
  }

  private require(table: ModbusTable, address: number, count: number): void {
    if (!this.has(table, address, count))
      throw new ModbusRangeError(`${table} ${address}…${address + count - 1} (0-based) are not all defined`);
  }

  private store(t: Table, table: ModbusTable, address: number, values: ArrayLike<number | boolean>): void {
    const out = t.values;
    const n = values.length;
    if (isBitTable(table)) for (let i = 0; i < n; i++) out[address + i] = values[i] ? 1 : 0;
    else {
      // Check every value before storing any, so a bad write changes nothing.
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (typeof v !== "number" || !Number.isInteger(v) || v < -0x8000 || v > 0xffff)
          throw new InvalidArgumentError(
            `register values must be integers from -32768 to 65535, got ${String(v)}`,
          );
      }
      for (let i = 0; i < n; i++) out[address + i] = (values[i] as number) & 0xffff;
    }
  }
}

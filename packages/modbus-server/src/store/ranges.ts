/**
 * cpppo's register range grammar, `<begin>[-<end>][=<val>[,<val>…]]`: `40001-40100=99` is 100 holding registers
 * of 99; the values repeat to fill the range and extra ones are dropped (as cpppo does); `<begin>=a,b,c` ends
 * where the values end; no values means 0. Numbers are decimal or `0x` hex; addresses follow `parseModbusAddress`.
 */
import { isBitTable, type ModbusTable, parseModbusAddress, TABLE_SIZE } from "../core/address.js";
import { ModbusRangeError } from "../core/errors.js";

/** A run of addresses in one table and their initial values (`values.length === count`). */
export interface RegisterRange {
  /** The table the range is in. */
  table: ModbusTable;
  /** First 0-based protocol address. */
  address: number;
  /** Number of addresses. */
  count: number;
  /** Initial values: 0/1 for coils and discrete inputs, 0…65535 for registers. */
  values: number[];
}

const NUMBER = /^(?:0[xX][0-9a-fA-F]{1,8}|-?\d{1,10})$/;

function number(text: string, spec: string, what: string): number {
  const t = text.trim();
  if (!NUMBER.test(t))
    throw new ModbusRangeError(`range "${spec}": ${what} "${t}" is not a decimal or 0x hex number`);
  return Number(t);
}

function address(text: string, spec: string): { table: ModbusTable; address: number } {
  const t = text.trim();
  if (/^\d+$/.test(t)) {
    try {
      return parseModbusAddress(t);
    } catch (error) {
      throw new ModbusRangeError(`range "${spec}": ${(error as Error).message}`);
    }
  }
  const n = number(t, spec, "address");
  try {
    return parseModbusAddress(n);
  } catch (error) {
    throw new ModbusRangeError(`range "${spec}": ${(error as Error).message}`);
  }
}

/** Parses one range spec; throws `ModbusRangeError` with a one-line reason. */
export function parseRegisterRange(spec: string): RegisterRange {
  if (typeof spec !== "string" || spec.trim() === "")
    throw new ModbusRangeError(`range "${String(spec)}": empty; expected <begin>[-<end>][=<val>[,<val>...]]`);
  const eq = spec.indexOf("=");
  const span = eq < 0 ? spec : spec.slice(0, eq);
  const dash = span.indexOf("-", 1);
  const begin = address(dash < 0 ? span : span.slice(0, dash), spec);
  const isBits = isBitTable(begin.table);
  let values: number[] = [0];
  if (eq >= 0) {
    const list = spec.slice(eq + 1).split(",");
    if (list.length > TABLE_SIZE)
      throw new ModbusRangeError(`range "${spec}": more than ${TABLE_SIZE} values`);
    values = list.map((v) => {
      const n = number(v, spec, "value");
      if (isBits ? n !== 0 && n !== 1 : n < -0x8000 || n > 0xffff)
        throw new ModbusRangeError(
          `range "${spec}": value ${v.trim()} is out of range for ${begin.table} (${isBits ? "0 or 1" : "-32768 to 65535"})`,
        );
      return n & 0xffff;
    });
  }
  let count: number;
  if (dash < 0) count = values.length;
  else {
    const end = address(span.slice(dash + 1), spec);
    if (end.table !== begin.table)
      throw new ModbusRangeError(`range "${spec}": begins in ${begin.table} but ends in ${end.table}`);
    if (end.address < begin.address) throw new ModbusRangeError(`range "${spec}": ends before it begins`);
    count = end.address - begin.address + 1;
  }
  if (begin.address + count > TABLE_SIZE)
    throw new ModbusRangeError(`range "${spec}": runs past the end of ${begin.table} (65536 addresses)`);
  const filled = new Array<number>(count);
  for (let i = 0; i < count; i++) filled[i] = values[i % values.length] as number;
  return { table: begin.table, address: begin.address, count, values: filled };
}

/** Parses cpppo range specs such as `["40001-40100=99", "1-16=1,0", "30001=0x1234,7"]`; throws `ModbusRangeError` on the first bad one. */
export function parseRegisterRanges(specs: readonly string[]): RegisterRange[] {
  if (!Array.isArray(specs)) throw new ModbusRangeError("register ranges must be an array of strings");
  return specs.map(parseRegisterRange);
}

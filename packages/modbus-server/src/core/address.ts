/**
 * cpppo's 1-based Modbus address model: the leading digits of an address name its table, the rest its
 * 1-based offset. 5-digit forms: coils 1…9999, discrete inputs 10001…19999, input registers 30001…39999,
 * holding registers 40001…99999; 6-digit forms: 000001…065536, 100001…165536, 300001…365536, 400001…465536.
 */
import { ModbusRangeError } from "./errors.js";

/** The four Modbus data tables. */
export type ModbusTable = "coils" | "discreteInputs" | "inputRegisters" | "holdingRegisters";

/** The four tables, in the order of their address prefixes (0, 1, 3, 4). */
export const MODBUS_TABLES: readonly ModbusTable[] = [
  "coils",
  "discreteInputs",
  "inputRegisters",
  "holdingRegisters",
];

/** A table and a 0-based protocol address in it (0…65535). */
export interface ModbusAddress {
  table: ModbusTable;
  address: number;
}

/** Addresses a table holds: 0…65535 (the PDU carries 16 bits). */
export const TABLE_SIZE = 0x10000;

/** True for the two 1-bit tables (coils, discrete inputs). */
export function isBitTable(table: ModbusTable): boolean {
  return table === "coils" || table === "discreteInputs";
}

/**
 * The table and 0-based address of a cpppo address: a number (1…9999 coils, 10001… discrete inputs, 30001… input
 * registers, 40001…99999 holding registers; 100001…165536, 300001…365536, 400001…465536) or its decimal text,
 * where 6 digits with a leading 0 (000001…065536) name coils. Throws `ModbusRangeError` for any other value.
 */
export function parseModbusAddress(n: number | string): ModbusAddress {
  let value: number;
  let sixDigitCoil = false;
  if (typeof n === "string") {
    if (!/^\d{1,6}$/.test(n))
      throw new ModbusRangeError(`"${n}" is not a Modbus address (1 to 6 decimal digits)`);
    value = Number(n);
    sixDigitCoil = n.length === 6 && n[0] === "0";
  } else value = n;
  if (!Number.isInteger(value))
    throw new ModbusRangeError(`${String(n)} is not a Modbus address (an integer)`);
  if (sixDigitCoil) {
    if (value >= 1 && value <= TABLE_SIZE) return { table: "coils", address: value - 1 };
  } else if (value >= 400001 && value <= 465536)
    return { table: "holdingRegisters", address: value - 400001 };
  else if (value >= 300001 && value <= 365536) return { table: "inputRegisters", address: value - 300001 };
  else if (value >= 100001 && value <= 165536) return { table: "discreteInputs", address: value - 100001 };
  else if (value >= 40001 && value <= 99999) return { table: "holdingRegisters", address: value - 40001 };
  else if (value >= 30001 && value <= 39999) return { table: "inputRegisters", address: value - 30001 };
  else if (value >= 10001 && value <= 19999) return { table: "discreteInputs", address: value - 10001 };
  else if (value >= 1 && value <= 9999) return { table: "coils", address: value - 1 };
  throw new ModbusRangeError(
    `${String(n)} is not a Modbus address (coils 1-9999 or 000001-065536, discrete inputs 10001-19999 or 100001-165536, input registers 30001-39999 or 300001-365536, holding registers 40001-99999 or 400001-465536)`,
  );
}

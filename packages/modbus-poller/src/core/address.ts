/**
 * cpppo's 1-based Modbus address model, as the poller reads and writes it: coils 1…9999, discrete inputs
 * 10001…19999 and 100001…165536, input registers 30001…39999 and 300001…365536, holding registers 40001…99999 and
 * 400001…465536. The 6-digit ranges take precedence; the table fixes the function code and the 0-based offset.
 */
import { InvalidArgumentError } from "./errors.js";

/** The four Modbus data tables. */
export type ModbusTable = "coils" | "discreteInputs" | "inputRegisters" | "holdingRegisters";

/** What a cpppo address means on the wire: its table, 0-based offset, read function and whether it is a bit. */
export interface WireAddress {
  table: ModbusTable;
  /** The 0-based protocol address (0…65535). */
  offset: number;
  /** The function code that reads it: 1, 2, 3 or 4. */
  readFunction: 1 | 2 | 3 | 4;
  /** True for coils and discrete inputs. */
  bit: boolean;
}

const COILS = { table: "coils", readFunction: 1, bit: true } as const;
const INPUTS = { table: "discreteInputs", readFunction: 2, bit: true } as const;
const INPUT_REGISTERS = { table: "inputRegisters", readFunction: 4, bit: false } as const;
const HOLDING = { table: "holdingRegisters", readFunction: 3, bit: false } as const;

/** The wire meaning of a cpppo address, or undefined for a number outside the model. */
export function wireAddressOf(address: number): WireAddress | undefined {
  if (!Number.isInteger(address)) return undefined;
  if (address >= 400001 && address <= 465536) return { ...HOLDING, offset: address - 400001 };
  if (address >= 300001 && address <= 365536) return { ...INPUT_REGISTERS, offset: address - 300001 };
  if (address >= 100001 && address <= 165536) return { ...INPUTS, offset: address - 100001 };
  if (address >= 40001 && address <= 99999) return { ...HOLDING, offset: address - 40001 };
  if (address >= 30001 && address <= 39999) return { ...INPUT_REGISTERS, offset: address - 30001 };
  if (address >= 10001 && address <= 19999) return { ...INPUTS, offset: address - 10001 };
  if (address >= 1 && address <= 9999) return { ...COILS, offset: address - 1 };
  return undefined;
}

/** The wire meaning of a cpppo address; throws `InvalidArgumentError` naming the valid ranges for any other. */
export function wireAddress(address: number): WireAddress {
  const wire = wireAddressOf(address);
  if (wire === undefined)
    throw new InvalidArgumentError(
      `${String(address)} is not a Modbus address (coils 1-9999, discrete inputs 10001-19999 or 100001-165536, input registers 30001-39999 or 300001-365536, holding registers 40001-99999 or 400001-465536)`,
    );
  return wire;
}

/** True for the addresses cpppo reads in bits (coils and discrete inputs), whose block limit is 1968. */
export function isBitAddress(address: number): boolean {
  return (
    (address >= 1 && address <= 9999) ||
    (address >= 10001 && address <= 19999) ||
    (address >= 100001 && address <= 165536)
  );
}

/** True for the addresses a client may write: coils and holding registers. */
export function isWritable(address: number): boolean {
  const wire = wireAddressOf(address);
  return wire !== undefined && (wire.table === "coils" || wire.table === "holdingRegisters");
}

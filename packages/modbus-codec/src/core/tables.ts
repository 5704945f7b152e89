/**
 * The Modbus code tables: function codes, exception codes and quantity limits. Encoders, decoders and the
 * length rules all read these; nothing else spells a code.
 */

/** The function codes this codec reads and writes, name → code. */
export const FunctionCode = {
  ReadCoils: 1,
  ReadDiscreteInputs: 2,
  ReadHoldingRegisters: 3,
  ReadInputRegisters: 4,
  WriteSingleCoil: 5,
  WriteSingleRegister: 6,
  WriteMultipleCoils: 15,
  WriteMultipleRegisters: 16,
  MaskWriteRegister: 22,
  ReadWriteMultipleRegisters: 23,
  EncapsulatedInterfaceTransport: 43,
} as const;
export type FunctionCode = (typeof FunctionCode)[keyof typeof FunctionCode];

/** The exception codes of the Modbus application protocol, name → code. */
export const ExceptionCode = {
  IllegalFunction: 1,
  IllegalDataAddress: 2,
  IllegalDataValue: 3,
  ServerDeviceFailure: 4,
  Acknowledge: 5,
  ServerDeviceBusy: 6,
  GatewayPathUnavailable: 0x0a,
  GatewayTargetFailedToRespond: 0x0b,
} as const;
export type ExceptionCode = (typeof ExceptionCode)[keyof typeof ExceptionCode];

/** One entry of a code table. */
export interface CodeEntry {
  readonly code: number;
  readonly name: string;
}

function entries(table: Record<string, number>): readonly CodeEntry[] {
  return Object.freeze(Object.entries(table).map(([name, code]) => Object.freeze({ code, name })));
}

/** Every function code as `{code, name}`, in code order. */
export const FUNCTION_CODES: readonly CodeEntry[] = entries(FunctionCode);
/** Every exception code as `{code, name}`, in code order. */
export const EXCEPTION_CODES: readonly CodeEntry[] = entries(ExceptionCode);

const functionNames = new Map(FUNCTION_CODES.map((e) => [e.code, e.name]));
const exceptionNames = new Map(EXCEPTION_CODES.map((e) => [e.code, e.name]));

/** The name of function code `code` (the 0x80 exception bit ignored), or `unknown 0x..`. */
export function functionCodeName(code: number): string {
  return functionNames.get(code & 0x7f) ?? `unknown 0x${code.toString(16).padStart(2, "0")}`;
}

/** The name of exception code `code`, or `unknown 0x..`. */
export function exceptionCodeName(code: number): string {
  return exceptionNames.get(code) ?? `unknown 0x${code.toString(16).padStart(2, "0")}`;
}

/**
 * The largest quantity each kind of request may carry (Modbus Application Protocol V1.1b3, §6): what fits in
 * a 253-byte PDU. A request outside 1…limit is answered with exception 3.
 */
export const QUANTITY_LIMITS = Object.freeze({
  /** FC1, FC2: coils or discrete inputs read. */
  readBits: 2000,
  /** FC15: coils written. */
  writeBits: 1968,
  /** FC3, FC4: registers read. */
  readRegisters: 125,
  /** FC16: registers written. */
  writeRegisters: 123,
  /** FC23: registers read. */
  readWriteRead: 125,
  /** FC23: registers written. */
  readWriteWrite: 121,
});

/** Longest PDU: 256-byte RTU ADU less address and CRC; an MBAP length of 254 less the unit id. */
export const MAX_PDU_LENGTH = 253;
/** The MEI type of Read Device Identification inside FC43. */
export const MEI_READ_DEVICE_ID = 14;

import { checkCount, checkU8, checkU16, packBits, put16, u16, unpackBits } from "../core/bytes.js";
import { ModbusEncodeError, ModbusPduError } from "../core/errors.js";
import {
  ExceptionCode,
  FunctionCode,
  MAX_PDU_LENGTH,
  MEI_READ_DEVICE_ID,
  QUANTITY_LIMITS,
} from "../core/tables.js";
import type {
  DeviceIdObject,
  ModbusExceptionResponse,
  ModbusRequest,
  ModbusResponse,
  ReadDeviceIdentificationRequest,
} from "./types.js";

/**
 * The whole PDU length the bytes from `o` (the function code) to `e` imply, or -1 when more bytes are needed to
 * know. The caller has checked that `o < e`.
 */
type LengthRule = (b: Uint8Array, o: number, e: number) => number;

/**
 * One function code: its length rules and codecs in both directions. The decoders get a PDU whose length the
 * rule has already confirmed; the encoders check every field.
 */
interface FunctionCodec {
  readonly code: number;
  readonly requestLength: LengthRule;
  readonly responseLength: LengthRule;
  readonly decodeRequest: (b: Uint8Array, o: number, e: number) => ModbusRequest;
  readonly encodeRequest: (req: ModbusRequest) => Uint8Array;
  readonly decodeResponse: (b: Uint8Array, o: number, e: number) => ModbusResponse;
  readonly encodeResponse: (res: ModbusResponse) => Uint8Array;
}

const ILLEGAL_FUNCTION = ExceptionCode.IllegalFunction;
const ILLEGAL_VALUE = ExceptionCode.IllegalDataValue;
const COIL_ON = 0xff00;

/** A PDU of `n` bytes. */
const fixed =
  (n: number): LengthRule =>
  () =>
    n;
/** A PDU whose byte count sits at `k`, followed by that many bytes. */
const counted =
  (k: number): LengthRule =>
  (b, o, e) =>
    o + k < e ? k + 1 + (b[o + k] as number) : -1;

function refuse(
  b: Uint8Array,
  o: number,
  at: number,
  detail: string,
  exception: number = ILLEGAL_VALUE,
): never {
  throw new ModbusPduError(exception, b[o] as number, at, detail);
}

function checkQuantity(b: Uint8Array, o: number, at: number, n: number, limit: number, what: string): number {
  if (n < 1 || n > limit) refuse(b, o, at, `${what} ${n} is outside 1…${limit}`);
  return n;
}

function coil(b: Uint8Array, o: number, at: number): boolean {
  const v = u16(b, at);
  if (v === COIL_ON) return true;
  if (v !== 0) refuse(b, o, at, `coil value 0x${v.toString(16)} is neither 0xff00 nor 0x0000`);
  return false;
}

function pduOf(code: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  out[0] = code;
  return out;
}

function encodeRegisters(out: Uint8Array, o: number, values: readonly number[], field: string): void {
  for (let i = 0; i < values.length; i++)
    put16(out, o + 2 * i, checkU16(values[i] as number, `${field}[${i}]`));
}

function decodeRegisters(b: Uint8Array, o: number, count: number): number[] {
  const out = new Array<number>(count);
  for (let i = 0; i < count; i++) out[i] = ((b[o + 2 * i] as number) << 8) | (b[o + 2 * i + 1] as number);
  return out;
}

/** Mismatched shapes reach an encoder only through a cast; refuse them plainly. */
function wrongShape(code: number, what: string): never {
  throw new ModbusEncodeError(`function ${code} ${what} has the wrong shape`);
}

function readBits(code: 1 | 2): FunctionCodec {
  const limit = QUANTITY_LIMITS.readBits;
  return {
    code,
    requestLength: fixed(5),
    responseLength: counted(1),
    decodeRequest: (b, o) => ({
      fc: code,
      address: u16(b, o + 1),
      quantity: checkQuantity(b, o, o + 3, u16(b, o + 3), limit, "quantity"),
    }),
    encodeRequest: (req) => {
      if (req.fc !== code) return wrongShape(code, "request");
      const out = pduOf(code, 5);
      put16(out, 1, checkU16(req.address, "address"));
      put16(out, 3, checkCount(req.quantity, limit, "quantity"));
      return out;
    },
    decodeResponse: (b, o) => {
      const count = b[o + 1] as number;
      checkQuantity(b, o, o + 1, count, Math.ceil(limit / 8), "byte count");
      return { fc: code, bits: unpackBits(b, o + 2, count * 8) };
    },
    encodeResponse: (res) => {
      if (res.fc !== code) return wrongShape(code, "response");
      const count = checkCount(Math.ceil(res.bits.length / 8), Math.ceil(limit / 8), "bits.length / 8");
      const out = pduOf(code, 2 + count);
      out[1] = count;
      packBits(out, 2, res.bits);
      return out;
    },
  };
}

function readRegisters(code: 3 | 4): FunctionCodec {
  const limit = QUANTITY_LIMITS.readRegisters;
  return {
    code,
    requestLength: fixed(5),
    responseLength: counted(1),
    decodeRequest: (b, o) => ({
      fc: code,
      address: u16(b, o + 1),
      quantity: checkQuantity(b, o, o + 3, u16(b, o + 3), limit, "quantity"),
    }),
    encodeRequest: (req) => {
      if (req.fc !== code) return wrongShape(code, "request");
      const out = pduOf(code, 5);
      put16(out, 1, checkU16(req.address, "address"));
      put16(out, 3, checkCount(req.quantity, limit, "quantity"));
      return out;
    },
    decodeResponse: decodeRegistersResponse(code, limit),
    encodeResponse: encodeRegistersResponse(code, limit),
  };
}

function decodeRegistersResponse(code: 3 | 4 | 23, limit: number): FunctionCodec["decodeResponse"] {
  return (b, o) => {
    const count = b[o + 1] as number;
    if ((count & 1) !== 0) refuse(b, o, o + 1, `byte count ${count} is odd`);
    checkQuantity(b, o, o + 1, count >>> 1, limit, "register count");
    return { fc: code, registers: decodeRegisters(b, o + 2, count >>> 1) };
  };
}

function encodeRegistersResponse(code: 3 | 4 | 23, limit: number): FunctionCodec["encodeResponse"] {
  return (res) => {
    if (res.fc !== code) return wrongShape(code, "response");
    const n = checkCount(res.registers.length, limit, "registers.length");
    const out = pduOf(code, 2 + 2 * n);
    out[1] = 2 * n;
    encodeRegisters(out, 2, res.registers, "registers");
    return out;
  };
}

const writeSingleCoil: FunctionCodec = {
  code: FunctionCode.WriteSingleCoil,
  requestLength: fixed(5),
  responseLength: fixed(5),
  decodeRequest: (b, o) => ({ fc: 5, address: u16(b, o + 1), value: coil(b, o, o + 3) }),
  encodeRequest: (req) => (req.fc === 5 ? encodeCoil(req.address, req.value) : wrongShape(5, "request")),
  decodeResponse: (b, o) => ({ fc: 5, address: u16(b, o + 1), value: coil(b, o, o + 3) }),
  encodeResponse: (res) => (res.fc === 5 ? encodeCoil(res.address, res.value) : wrongShape(5, "response")),
};

function encodeCoil(address: number, value: boolean): Uint8Array {
  const out = pduOf(5, 5);
  put16(out, 1, checkU16(address, "address"));
  put16(out, 3, value ? COIL_ON : 0);
  return out;
}

const writeSingleRegister: FunctionCodec = {
  code: FunctionCode.WriteSingleRegister,
  requestLength: fixed(5),
  responseLength: fixed(5),
  decodeRequest: (b, o) => ({ fc: 6, address: u16(b, o + 1), value: u16(b, o + 3) }),
  encodeRequest: (req) => (req.fc === 6 ? encodeRegister(req.address, req.value) : wrongShape(6, "request")),
  decodeResponse: (b, o) => ({ fc: 6, address: u16(b, o + 1), value: u16(b, o + 3) }),
  encodeResponse: (res) =>
    res.fc === 6 ? encodeRegister(res.address, res.value) : wrongShape(6, "response"),
};

function encodeRegister(address: number, value: number): Uint8Array {
  const out = pduOf(6, 5);
  put16(out, 1, checkU16(address, "address"));
  put16(out, 3, checkU16(value, "value"));
  return out;
}

function writeMultipleReply(
  code: 15 | 16,
  limit: number,
): Pick<FunctionCodec, "decodeResponse" | "encodeResponse"> {
  return {
    decodeResponse: (b, o) => ({
      fc: code,
      address: u16(b, o + 1),
      quantity: checkQuantity(b, o, o + 3, u16(b, o + 3), limit, "quantity"),
    }),
    encodeResponse: (res) => {
      if (res.fc !== code) return wrongShape(code, "response");
      const out = pduOf(code, 5);
      put16(out, 1, checkU16(res.address, "address"));
      put16(out, 3, checkCount(res.quantity, limit, "quantity"));
      return out;
    },
  };
}

const writeMultipleCoils: FunctionCodec = {
  code: FunctionCode.WriteMultipleCoils,
  requestLength: counted(5),
  responseLength: fixed(5),
  decodeRequest: (b, o) => {
    const quantity = checkQuantity(b, o, o + 3, u16(b, o + 3), QUANTITY_LIMITS.writeBits, "quantity");
    const count = b[o + 5] as number;
    if (count !== Math.ceil(quantity / 8))
      refuse(b, o, o + 5, `byte count ${count} does not match quantity ${quantity}`);
    return { fc: 15, address: u16(b, o + 1), values: unpackBits(b, o + 6, quantity) };
  },
  encodeRequest: (req) => {
    if (req.fc !== 15) return wrongShape(15, "request");
    const n = checkCount(req.values.length, QUANTITY_LIMITS.writeBits, "values.length");
    const count = Math.ceil(n / 8);
    const out = pduOf(15, 6 + count);
    put16(out, 1, checkU16(req.address, "address"));
    put16(out, 3, n);
    out[5] = count;
    packBits(out, 6, req.values);
    return out;
  },
  ...writeMultipleReply(15, QUANTITY_LIMITS.writeBits),
};

const writeMultipleRegisters: FunctionCodec = {
  code: FunctionCode.WriteMultipleRegisters,
  requestLength: counted(5),
  responseLength: fixed(5),
  decodeRequest: (b, o) => {
    const quantity = checkQuantity(b, o, o + 3, u16(b, o + 3), QUANTITY_LIMITS.writeRegisters, "quantity");
    const count = b[o + 5] as number;
    if (count !== 2 * quantity)
      refuse(b, o, o + 5, `byte count ${count} does not match quantity ${quantity}`);
    return { fc: 16, address: u16(b, o + 1), values: decodeRegisters(b, o + 6, quantity) };
  },
  encodeRequest: (req) => {
    if (req.fc !== 16) return wrongShape(16, "request");
    const n = checkCount(req.values.length, QUANTITY_LIMITS.writeRegisters, "values.length");
    const out = pduOf(16, 6 + 2 * n);
    put16(out, 1, checkU16(req.address, "address"));
    put16(out, 3, n);
    out[5] = 2 * n;
    encodeRegisters(out, 6, req.values, "values");
    return out;
  },
  ...writeMultipleReply(16, QUANTITY_LIMITS.writeRegisters),
};

function encodeMask(address: number, andMask: number, orMask: number): Uint8Array {
  const out = pduOf(22, 7);
  put16(out, 1, checkU16(address, "address"));
  put16(out, 3, checkU16(andMask, "andMask"));
  put16(out, 5, checkU16(orMask, "orMask"));
  return out;
}

const maskWriteRegister: FunctionCodec = {
  code: FunctionCode.MaskWriteRegister,
  requestLength: fixed(7),
  responseLength: fixed(7),
  decodeRequest: (b, o) => ({
    fc: 22,
    address: u16(b, o + 1),
    andMask: u16(b, o + 3),
    orMask: u16(b, o + 5),
  }),
  encodeRequest: (req) =>
    req.fc === 22 ? encodeMask(req.address, req.andMask, req.orMask) : wrongShape(22, "request"),
  decodeResponse: (b, o) => ({
    fc: 22,
    address: u16(b, o + 1),
    andMask: u16(b, o + 3),
    orMask: u16(b, o + 5),
  }),
  encodeResponse: (res) =>
    res.fc === 22 ? encodeMask(res.address, res.andMask, res.orMask) : wrongShape(22, "response"),
};

const readWriteMultipleRegisters: FunctionCodec = {
  code: FunctionCode.ReadWriteMultipleRegisters,
  requestLength: counted(9),
  responseLength: counted(1),
  decodeRequest: (b, o) => {
    const readQuantity = checkQuantity(
      b,
      o,
      o + 3,
      u16(b, o + 3),
      QUANTITY_LIMITS.readWriteRead,
      "read quantity",
    );
    const writeQuantity = checkQuantity(
      b,
      o,
      o + 7,
      u16(b, o + 7),
      QUANTITY_LIMITS.readWriteWrite,
      "write quantity",
    );
    const count = b[o + 9] as number;
    if (count !== 2 * writeQuantity)
      refuse(b, o, o + 9, `byte count ${count} does not match write quantity ${writeQuantity}`);
    return {
      fc: 23,
      readAddress: u16(b, o + 1),
      readQuantity,
      writeAddress: u16(b, o + 5),
      values: decodeRegisters(b, o + 10, writeQuantity),
    };
  },
  encodeRequest: (req) => {
    if (req.fc !== 23) return wrongShape(23, "request");
    const n = checkCount(req.values.length, QUANTITY_LIMITS.readWriteWrite, "values.length");
    const out = pduOf(23, 10 + 2 * n);
    put16(out, 1, checkU16(req.readAddress, "readAddress"));
    put16(out, 3, checkCount(req.readQuantity, QUANTITY_LIMITS.readWriteRead, "readQuantity"));
    put16(out, 5, checkU16(req.writeAddress, "writeAddress"));
    put16(out, 7, n);
    out[9] = 2 * n;
    encodeRegisters(out, 10, req.values, "values");
    return out;
  },
  decodeResponse: decodeRegistersResponse(23, QUANTITY_LIMITS.readWriteRead),
  encodeResponse: encodeRegistersResponse(23, QUANTITY_LIMITS.readWriteRead),
};

/** Read Device Identification reply: 7 header bytes, then `id, length, value` per object. */
const deviceIdResponseLength: LengthRule = (b, o, e) => {
  if (o + 6 >= e) return -1;
  let p = o + 7;
  for (let n = b[o + 6] as number; n > 0; n--) {
    if (p + 1 >= e) return -1;
    p += 2 + (b[p + 1] as number);
    if (p - o > MAX_PDU_LENGTH) return p - o;
  }
  return p - o;
};

function checkMei(b: Uint8Array, o: number): void {
  const mei = b[o + 1] as number;
  if (mei !== MEI_READ_DEVICE_ID) refuse(b, o, o + 1, `MEI type ${mei} is not 14`, ILLEGAL_FUNCTION);
}

const encapsulatedInterfaceTransport: FunctionCodec = {
  code: FunctionCode.EncapsulatedInterfaceTransport,
  requestLength: fixed(4),
  responseLength: deviceIdResponseLength,
  decodeRequest: (b, o) => {
    checkMei(b, o);
    const code = b[o + 2] as number;
    if (code < 1 || code > 4) refuse(b, o, o + 2, `read device id code ${code} is outside 1…4`);
    return {
      fc: 43,
      meiType: 14,
      readDeviceIdCode: code as ReadDeviceIdentificationRequest["readDeviceIdCode"],
      objectId: b[o + 3] as number,
    };
  },
  encodeRequest: (req) => {
    if (req.fc !== 43 || req.meiType !== MEI_READ_DEVICE_ID) return wrongShape(43, "request");
    const out = pduOf(43, 4);
    out[1] = MEI_READ_DEVICE_ID;
    out[2] = checkCount(req.readDeviceIdCode, 4, "readDeviceIdCode");
    out[3] = checkU8(req.objectId, "objectId");
    return out;
  },
  decodeResponse: (b, o, e) => {
    checkMei(b, o);
    const more = b[o + 4] as number;
    if (more !== 0 && more !== 0xff)
      refuse(b, o, o + 4, `more follows 0x${more.toString(16)} is neither 0 nor 0xff`);
    const objects: DeviceIdObject[] = [];
    let p = o + 7;
    for (let n = b[o + 6] as number; n > 0; n--) {
      const length = b[p + 1] as number;
      objects.push({ id: b[p] as number, value: b.slice(p + 2, p + 2 + length) });
      p += 2 + length;
    }
    if (p !== e) refuse(b, o, p, "objects do not fill the PDU");
    return {
      fc: 43,
      meiType: 14,
      readDeviceIdCode: b[o + 2] as number,
      conformityLevel: b[o + 3] as number,
      moreFollows: more === 0xff,
      nextObjectId: b[o + 5] as number,
      objects,
    };
  },
  encodeResponse: (res) => {
    if (res.fc !== 43 || res.meiType !== MEI_READ_DEVICE_ID) return wrongShape(43, "response");
    let n = 7;
    for (const obj of res.objects) n += 2 + obj.value.length;
    if (n > MAX_PDU_LENGTH)
      throw new ModbusEncodeError(
        `device identification objects need ${n} bytes, over the PDU's ${MAX_PDU_LENGTH}`,
      );
    const out = pduOf(43, n);
    out[1] = MEI_READ_DEVICE_ID;
    out[2] = checkU8(res.readDeviceIdCode, "readDeviceIdCode");
    out[3] = checkU8(res.conformityLevel, "conformityLevel");
    out[4] = res.moreFollows ? 0xff : 0;
    out[5] = checkU8(res.nextObjectId, "nextObjectId");
    out[6] = checkU8(res.objects.length, "objects.length");
    let p = 7;
    for (const obj of res.objects) {
      out[p] = checkU8(obj.id, "objects[].id");
      out[p + 1] = obj.value.length;
      out.set(obj.value, p + 2);
      p += 2 + obj.value.length;
    }
    return out;
  },
};

/** The function table, indexed by function code: the one place each code's layout is written down. */
const FUNCTIONS: readonly (FunctionCodec | undefined)[] = (() => {
  const table = new Array<FunctionCodec | undefined>(256).fill(undefined);
  for (const codec of [
    readBits(1),
    readBits(2),
    readRegisters(3),
    readRegisters(4),
    writeSingleCoil,
    writeSingleRegister,
    writeMultipleCoils,
    writeMultipleRegisters,
    maskWriteRegister,
    readWriteMultipleRegisters,
    encapsulatedInterfaceTransport,
  ])
    table[codec.code] = codec;
  return table;
})();

/** True when this codec knows function code `fc`. */
export function isSupportedFunction(fc: number): boolean {
  return FUNCTIONS[fc] !== undefined;
}

/**
 * The whole request PDU length implied by `bytes[offset…end)`: -1 when more bytes are needed to know, 0 for an
 * unknown function code.
 */
export function requestPduLength(bytes: Uint8Array, offset: number, end: number): number {
  if (offset >= end) return -1;
  const codec = FUNCTIONS[bytes[offset] as number];
  return codec === undefined ? 0 : codec.requestLength(bytes, offset, end);
}

/**
 * The whole response PDU length implied by `bytes[offset…end)`: -1 when more bytes are needed, 0 for an unknown
 * function code. An exception reply (0x80 bit set) is 2 bytes whatever its function.
 */
export function responsePduLength(bytes: Uint8Array, offset: number, end: number): number {
  if (offset >= end) return -1;
  const fc = bytes[offset] as number;
  if (fc > 0x80) return 2;
  const codec = FUNCTIONS[fc];
  return codec === undefined ? 0 : codec.responseLength(bytes, offset, end);
}

function checkLength(bytes: Uint8Array, offset: number, end: number, length: number): void {
  if (end - offset > MAX_PDU_LENGTH)
    refuse(bytes, offset, offset + MAX_PDU_LENGTH, `PDU of ${end - offset} bytes is over ${MAX_PDU_LENGTH}`);
  if (length !== end - offset)
    refuse(
      bytes,
      offset,
      end,
      length < 0 || length > end - offset
        ? `PDU of ${end - offset} bytes is too short`
        : `PDU of ${end - offset} bytes, expected ${length}`,
    );
}

/**
 * Decodes the request PDU `bytes[offset…end)`. Throws a `ModbusPduError` whose `exceptionCode` is the answer a
 * server owes: 1 for an empty PDU or an unknown function, 3 for a bad length, quantity, byte count or value.
 */
export function decodeRequestPdu(bytes: Uint8Array, offset = 0, end: number = bytes.length): ModbusRequest {
  if (offset >= end) throw new ModbusPduError(ILLEGAL_FUNCTION, -1, offset, "empty PDU");
  const codec = FUNCTIONS[bytes[offset] as number];
  if (codec === undefined) refuse(bytes, offset, offset, "unknown function", ILLEGAL_FUNCTION);
  checkLength(bytes, offset, end, codec.requestLength(bytes, offset, end));
  return codec.decodeRequest(bytes, offset, end);
}

/** Encodes a request PDU. Throws a `ModbusEncodeError` on a field out of range or a quantity over its limit. */
export function encodeRequestPdu(req: ModbusRequest): Uint8Array {
  const codec = FUNCTIONS[req.fc];
  if (codec === undefined) throw new ModbusEncodeError(`unknown function ${req.fc}`);
  return codec.encodeRequest(req);
}

/**
 * Decodes the response PDU `bytes[offset…end)`: a reply, or an exception reply (`{fc, exception}`). Throws a
 * `ModbusPduError` on an unknown function, a bad length, count or value.
 */
export function decodeResponsePdu(
  bytes: Uint8Array,
  offset = 0,
  end: number = bytes.length,
): ModbusResponse | ModbusExceptionResponse {
  if (offset >= end) throw new ModbusPduError(ILLEGAL_FUNCTION, -1, offset, "empty PDU");
  const fc = bytes[offset] as number;
  if (fc > 0x80) {
    checkLength(bytes, offset, end, 2);
    return { fc: fc & 0x7f, exception: bytes[offset + 1] as number };
  }
  const codec = FUNCTIONS[fc];
  if (codec === undefined) refuse(bytes, offset, offset, "unknown function", ILLEGAL_FUNCTION);
  checkLength(bytes, offset, end, codec.responseLength(bytes, offset, end));
  return codec.decodeResponse(bytes, offset, end);
}

/** Encodes a response PDU, or an exception reply when `res` has an `exception`. */
export function encodeResponsePdu(res: ModbusResponse | ModbusExceptionResponse): Uint8Array {
  if ("exception" in res) return encodeExceptionPdu(res.fc, res.exception);
  const codec = FUNCTIONS[res.fc];
  if (codec === undefined) throw new ModbusEncodeError(`unknown function ${res.fc}`);
  return codec.encodeResponse(res);
}

/** The exception reply to function `fc` (1…127, the 0x80 bit is added here) with `exceptionCode`. */
export function encodeExceptionPdu(fc: number, exceptionCode: number): Uint8Array {
  if (!Number.isInteger(fc) || fc < 1 || fc > 0x7f)
    throw new ModbusEncodeError(`"fc" must be an integer in 1…127, got ${fc}`);
  const out = new Uint8Array(2);
  out[0] = fc | 0x80;
  out[1] = checkU8(exceptionCode, "exceptionCode");
  return out;
}

import { allocate, checkCount, checkU8, checkU16, packBits, put16, u16, unpackBits } from "../core/bytes.js";
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
  ReadDeviceIdentificationResponse,
} from "./types.js";

/**
 * The whole PDU length the bytes from `o` (the function code) to `e` imply, or -1 when more bytes are needed to
 * know. The caller has checked that `o < e`.
 */
type LengthRule = (b: Uint8Array, o: number, e: number) => number;

/**
 * One function code: its length rules and codecs in both directions. The decoders get a PDU whose length the
 * rule has already confirmed. Encoding is two steps, so a PDU can be written straight into an ADU: `…Size`
 * checks the shape and the counts and gives the PDU's size, `write…` writes it at `out[o…]`, checking each field.
 */
interface FunctionCodec {
  readonly code: number;
  readonly requestLength: LengthRule;
  readonly responseLength: LengthRule;
  readonly decodeRequest: (b: Uint8Array, o: number, e: number) => ModbusRequest;
  readonly decodeResponse: (b: Uint8Array, o: number, e: number) => ModbusResponse;
  readonly requestSize: (req: ModbusRequest) => number;
  readonly writeRequest: (req: ModbusRequest, out: Uint8Array, o: number) => void;
  readonly responseSize: (res: ModbusResponse) => number;
  readonly writeResponse: (res: ModbusResponse, out: Uint8Array, o: number) => void;
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

/**
 * Writes `values` big-endian at `out[o…]`, two registers a turn: the loop's own compare and branch are a fair share
 * of its cost at 100 registers (bench/index.ts, `encode-fc3-reply-100`).
 */
function writeRegisters(out: Uint8Array, o: number, values: readonly number[], field: string): void {
  const n = values.length;
  let i = 0;
  let p = o;
  for (; i + 1 < n; i += 2, p += 4) {
    const v = values[i] as number;
    const w = values[i + 1] as number;
    // A u16 passes both tests; anything else (fraction, negative, NaN, over 0xffff) fails one.
    if ((v & 0xffff) !== v) checkU16(v, `${field}[${i}]`);
    if ((w & 0xffff) !== w) checkU16(w, `${field}[${i + 1}]`);
    out[p] = v >>> 8;
    out[p + 1] = v & 0xff;
    out[p + 2] = w >>> 8;
    out[p + 3] = w & 0xff;
  }
  if (i < n) {
    const v = values[i] as number;
    if ((v & 0xffff) !== v) checkU16(v, `${field}[${i}]`);
    out[p] = v >>> 8;
    out[p + 1] = v & 0xff;
  }
}

/** Reads `count` big-endian registers at `b[o…]`, two a turn (as `writeRegisters`, for the same reason). */
function decodeRegisters(b: Uint8Array, o: number, count: number): number[] {
  const out = new Array<number>(count);
  let i = 0;
  let p = o;
  for (; i + 1 < count; i += 2, p += 4) {
    out[i] = ((b[p] as number) << 8) | (b[p + 1] as number);
    out[i + 1] = ((b[p + 2] as number) << 8) | (b[p + 3] as number);
  }
  if (i < count) out[i] = ((b[p] as number) << 8) | (b[p + 1] as number);
  return out;
}

/** Mismatched shapes reach an encoder only through a cast; refuse them plainly. */
function wrongShape(code: number, what: string): never {
  throw new ModbusEncodeError(`function ${code} ${what} has the wrong shape`);
}

/** Writes the 5-byte layout `code, a, b` shared by reads, single writes and their echoes. */
function write5(
  out: Uint8Array,
  o: number,
  code: number,
  a: number,
  aName: string,
  b: number,
  bName: string,
): void {
  out[o] = code;
  put16(out, o + 1, checkU16(a, aName));
  put16(out, o + 3, checkU16(b, bName));
}

/** Read requests (FC1-4) and write-multiple replies (FC15, FC16): address and quantity, 1…limit. */
function addressQuantity(code: number, limit: number) {
  return {
    decode: (b: Uint8Array, o: number) => ({
      fc: code,
      address: u16(b, o + 1),
      quantity: checkQuantity(b, o, o + 3, u16(b, o + 3), limit, "quantity"),
    }),
    size: (x: { fc: number; quantity?: number }, what: string) => {
      if (x.fc !== code || x.quantity === undefined) return wrongShape(code, what);
      checkCount(x.quantity, limit, "quantity");
      return 5;
    },
    write: (x: { address: number; quantity: number }, out: Uint8Array, o: number) =>
      write5(out, o, code, x.address, "address", x.quantity, "quantity"),
  };
}

function readBits(code: 1 | 2): FunctionCodec {
  const limit = QUANTITY_LIMITS.readBits;
  const maxBytes = Math.ceil(limit / 8);
  const aq = addressQuantity(code, limit);
  return {
    code,
    requestLength: fixed(5),
    responseLength: counted(1),
    decodeRequest: aq.decode as FunctionCodec["decodeRequest"],
    requestSize: (req) => aq.size(req as { fc: number; quantity?: number }, "request"),
    writeRequest: (req, out, o) => aq.write(req as { address: number; quantity: number }, out, o),
    decodeResponse: (b, o) => {
      const count = b[o + 1] as number;
      checkQuantity(b, o, o + 1, count, maxBytes, "byte count");
      return { fc: code, bits: unpackBits(b, o + 2, count * 8) };
    },
    responseSize: (res) => {
      if (res.fc !== code || !Array.isArray((res as { bits?: unknown }).bits))
        return wrongShape(code, "response");
      return 2 + checkCount(Math.ceil(res.bits.length / 8), maxBytes, "bits.length / 8");
    },
    writeResponse: (res, out, o) => {
      const bits = (res as { bits: boolean[] }).bits;
      const count = Math.ceil(bits.length / 8);
      out[o] = code;
      out[o + 1] = count;
      out.fill(0, o + 2, o + 2 + count);
      packBits(out, o + 2, bits);
    },
  };
}

function readRegisters(code: 3 | 4): FunctionCodec {
  const aq = addressQuantity(code, QUANTITY_LIMITS.readRegisters);
  return {
    code,
    requestLength: fixed(5),
    responseLength: counted(1),
    decodeRequest: aq.decode as FunctionCodec["decodeRequest"],
    requestSize: (req) => aq.size(req as { fc: number; quantity?: number }, "request"),
    writeRequest: (req, out, o) => aq.write(req as { address: number; quantity: number }, out, o),
    ...registersResponse(code, QUANTITY_LIMITS.readRegisters),
  };
}

function registersResponse(
  code: 3 | 4 | 23,
  limit: number,
): Pick<FunctionCodec, "decodeResponse" | "responseSize" | "writeResponse"> {
  return {
    decodeResponse: (b, o) => {
      const count = b[o + 1] as number;
      if ((count & 1) !== 0) refuse(b, o, o + 1, `byte count ${count} is odd`);
      checkQuantity(b, o, o + 1, count >>> 1, limit, "register count");
      return { fc: code, registers: decodeRegisters(b, o + 2, count >>> 1) };
    },
    responseSize: (res) => {
      const registers = (res as { registers?: unknown }).registers;
      if (res.fc !== code || !Array.isArray(registers)) return wrongShape(code, "response");
      return 2 + 2 * checkCount(registers.length, limit, "registers.length");
    },
    writeResponse: (res, out, o) => {
      const registers = (res as { registers: number[] }).registers;
      out[o] = code;
      out[o + 1] = 2 * registers.length;
      writeRegisters(out, o + 2, registers, "registers");
    },
  };
}

/** FC5 and FC6: the same 5 bytes in both directions. */
function single(code: 5 | 6): FunctionCodec {
  const decode = (b: Uint8Array, o: number) =>
    code === 5
      ? { fc: 5 as const, address: u16(b, o + 1), value: coil(b, o, o + 3) }
      : { fc: 6 as const, address: u16(b, o + 1), value: u16(b, o + 3) };
  const size = (x: { fc: number }, what: string) => (x.fc === code ? 5 : wrongShape(code, what));
  const write = (x: { address: number; value: number | boolean }, out: Uint8Array, o: number) => {
    if (code === 5 && typeof x.value !== "boolean")
      throw new ModbusEncodeError(`"value" of FC5 must be a boolean`);
    const value = code === 5 ? (x.value ? COIL_ON : 0) : (x.value as number);
    write5(out, o, code, x.address, "address", value, "value");
  };
  return {
    code,
    requestLength: fixed(5),
    responseLength: fixed(5),
    decodeRequest: decode,
    decodeResponse: decode,
    requestSize: (req) => size(req, "request"),
    writeRequest: (req, out, o) => write(req as { address: number; value: number | boolean }, out, o),
    responseSize: (res) => size(res, "response"),
    writeResponse: (res, out, o) => write(res as { address: number; value: number | boolean }, out, o),
  };
}

const writeMultipleCoils: FunctionCodec = (() => {
  const limit = QUANTITY_LIMITS.writeBits;
  const reply = addressQuantity(15, limit);
  return {
    code: FunctionCode.WriteMultipleCoils,
    requestLength: counted(5),
    responseLength: fixed(5),
    decodeRequest: (b, o) => {
      const quantity = checkQuantity(b, o, o + 3, u16(b, o + 3), limit, "quantity");
      const count = b[o + 5] as number;
      if (count !== Math.ceil(quantity / 8))
        refuse(b, o, o + 5, `byte count ${count} does not match quantity ${quantity}`);
      return { fc: 15, address: u16(b, o + 1), values: unpackBits(b, o + 6, quantity) };
    },
    requestSize: (req) => {
      if (req.fc !== 15 || !Array.isArray(req.values)) return wrongShape(15, "request");
      return 6 + Math.ceil(checkCount(req.values.length, limit, "values.length") / 8);
    },
    writeRequest: (req, out, o) => {
      const { address, values } = req as { address: number; values: boolean[] };
      const count = Math.ceil(values.length / 8);
      write5(out, o, 15, address, "address", values.length, "quantity");
      out[o + 5] = count;
      out.fill(0, o + 6, o + 6 + count);
      packBits(out, o + 6, values);
    },
    decodeResponse: reply.decode as FunctionCodec["decodeResponse"],
    responseSize: (res) => reply.size(res as { fc: number; quantity?: number }, "response"),
    writeResponse: (res, out, o) => reply.write(res as { address: number; quantity: number }, out, o),
  };
})();

const writeMultipleRegisters: FunctionCodec = (() => {
  const limit = QUANTITY_LIMITS.writeRegisters;
  const reply = addressQuantity(16, limit);
  return {
    code: FunctionCode.WriteMultipleRegisters,
    requestLength: counted(5),
    responseLength: fixed(5),
    decodeRequest: (b, o) => {
      const quantity = checkQuantity(b, o, o + 3, u16(b, o + 3), limit, "quantity");
      const count = b[o + 5] as number;
      if (count !== 2 * quantity)
        refuse(b, o, o + 5, `byte count ${count} does not match quantity ${quantity}`);
      return { fc: 16, address: u16(b, o + 1), values: decodeRegisters(b, o + 6, quantity) };
    },
    requestSize: (req) => {
      if (req.fc !== 16 || !Array.isArray(req.values)) return wrongShape(16, "request");
      return 6 + 2 * checkCount(req.values.length, limit, "values.length");
    },
    writeRequest: (req, out, o) => {
      const { address, values } = req as { address: number; values: number[] };
      write5(out, o, 16, address, "address", values.length, "quantity");
      out[o + 5] = 2 * values.length;
      writeRegisters(out, o + 6, values, "values");
    },
    decodeResponse: reply.decode as FunctionCodec["decodeResponse"],
    responseSize: (res) => reply.size(res as { fc: number; quantity?: number }, "response"),
    writeResponse: (res, out, o) => reply.write(res as { address: number; quantity: number }, out, o),
  };
})();

const maskWriteRegister: FunctionCodec = (() => {
  const decode = (b: Uint8Array, o: number) => ({
    fc: 22 as const,
    address: u16(b, o + 1),
    andMask: u16(b, o + 3),
    orMask: u16(b, o + 5),
  });
  const size = (x: { fc: number }, what: string) => (x.fc === 22 ? 7 : wrongShape(22, what));
  const write = (x: { address: number; andMask: number; orMask: number }, out: Uint8Array, o: number) => {
    write5(out, o, 22, x.address, "address", x.andMask, "andMask");
    put16(out, o + 5, checkU16(x.orMask, "orMask"));
  };
  return {
    code: FunctionCode.MaskWriteRegister,
    requestLength: fixed(7),
    responseLength: fixed(7),
    decodeRequest: decode,
    decodeResponse: decode,
    requestSize: (req) => size(req, "request"),
    writeRequest: (req, out, o) => write(req as { address: number; andMask: number; orMask: number }, out, o),
    responseSize: (res) => size(res, "response"),
    writeResponse: (res, out, o) =>
      write(res as { address: number; andMask: number; orMask: number }, out, o),
  };
})();

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
  requestSize: (req) => {
    if (req.fc !== 23 || !Array.isArray(req.values)) return wrongShape(23, "request");
    checkCount(req.readQuantity, QUANTITY_LIMITS.readWriteRead, "readQuantity");
    return 10 + 2 * checkCount(req.values.length, QUANTITY_LIMITS.readWriteWrite, "values.length");
  },
  writeRequest: (req, out, o) => {
    const r = req as { readAddress: number; readQuantity: number; writeAddress: number; values: number[] };
    write5(out, o, 23, r.readAddress, "readAddress", r.readQuantity, "readQuantity");
    put16(out, o + 5, checkU16(r.writeAddress, "writeAddress"));
    put16(out, o + 7, r.values.length);
    out[o + 9] = 2 * r.values.length;
    writeRegisters(out, o + 10, r.values, "values");
  },
  ...registersResponse(23, QUANTITY_LIMITS.readWriteRead),
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
  requestSize: (req) => {
    if (req.fc !== 43 || req.meiType !== MEI_READ_DEVICE_ID) return wrongShape(43, "request");
    return 4;
  },
  writeRequest: (req, out, o) => {
    const r = req as ReadDeviceIdentificationRequest;
    out[o] = 43;
    out[o + 1] = MEI_READ_DEVICE_ID;
    out[o + 2] = checkCount(r.readDeviceIdCode, 4, "readDeviceIdCode");
    out[o + 3] = checkU8(r.objectId, "objectId");
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
  responseSize: (res) => {
    if (res.fc !== 43 || res.meiType !== MEI_READ_DEVICE_ID || !Array.isArray(res.objects))
      return wrongShape(43, "response");
    let n = 7;
    for (const obj of res.objects) n += 2 + obj.value.length;
    if (n > MAX_PDU_LENGTH)
      throw new ModbusEncodeError(
        `device identification objects need ${n} bytes, over the PDU's ${MAX_PDU_LENGTH}`,
      );
    return n;
  },
  writeResponse: (res, out, o) => {
    const r = res as ReadDeviceIdentificationResponse;
    out[o] = 43;
    out[o + 1] = MEI_READ_DEVICE_ID;
    out[o + 2] = checkU8(r.readDeviceIdCode, "readDeviceIdCode");
    out[o + 3] = checkU8(r.conformityLevel, "conformityLevel");
    out[o + 4] = r.moreFollows ? 0xff : 0;
    out[o + 5] = checkU8(r.nextObjectId, "nextObjectId");
    out[o + 6] = checkU8(r.objects.length, "objects.length");
    let p = o + 7;
    for (const obj of r.objects) {
      out[p] = checkU8(obj.id, "objects[].id");
      out[p + 1] = obj.value.length;
      out.set(obj.value, p + 2);
      p += 2 + obj.value.length;
    }
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
    single(5),
    single(6),
    writeMultipleCoils,
    writeMultipleRegisters,
    maskWriteRegister,
    readWriteMultipleRegisters,
    encapsulatedInterfaceTransport,
  ])
    table[codec.code] = oneLayout(codec);
  return table;
})();

/**
 * A copy of `codec` with its fields in one fixed order. The literals above differ in key order and spreads, so V8
 * gives them different hidden classes, and every `codec.decodeResponse`-style read below that has met several
 * function codes (a poller's mix, the server's) would go through its slower megamorphic lookup; one layout keeps
 * those reads monomorphic.
 */
function oneLayout(codec: FunctionCodec): FunctionCodec {
  return {
    code: codec.code,
    requestLength: codec.requestLength,
    responseLength: codec.responseLength,
    decodeRequest: codec.decodeRequest,
    decodeResponse: codec.decodeResponse,
    requestSize: codec.requestSize,
    writeRequest: codec.writeRequest,
    responseSize: codec.responseSize,
    writeResponse: codec.writeResponse,
  };
}

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
  if (fc >= 0x80) return 2;
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
  const codec = requestCodec(req);
  const out = allocate(codec.requestSize(req));
  codec.writeRequest(req, out, 0);
  return out;
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
  if (fc >= 0x80) {
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
  const out = allocate(responsePduSize(res));
  writeResponsePdu(res, out, 0);
  return out;
}

function requestCodec(req: ModbusRequest): FunctionCodec {
  const codec = FUNCTIONS[req.fc];
  if (codec === undefined) throw new ModbusEncodeError(`unknown function ${req.fc}`);
  return codec;
}

/** The size of `req`'s PDU, after checking its shape and counts (for writing it inside an ADU). */
export function requestPduSize(req: ModbusRequest): number {
  return requestCodec(req).requestSize(req);
}

/** Writes `req`'s PDU at `out[o…]`; `requestPduSize(req)` bytes must be there. */
export function writeRequestPdu(req: ModbusRequest, out: Uint8Array, o: number): void {
  requestCodec(req).writeRequest(req, out, o);
}

/** The size of `res`'s PDU (2 for an exception reply), after checking its shape and counts. */
export function responsePduSize(res: ModbusResponse | ModbusExceptionResponse): number {
  if ("exception" in res) {
    checkExceptionFields(res.fc, res.exception);
    return 2;
  }
  const codec = FUNCTIONS[res.fc];
  if (codec === undefined) throw new ModbusEncodeError(`unknown function ${res.fc}`);
  return codec.responseSize(res);
}

/** Writes `res`'s PDU at `out[o…]`; `responsePduSize(res)` bytes must be there. */
export function writeResponsePdu(
  res: ModbusResponse | ModbusExceptionResponse,
  out: Uint8Array,
  o: number,
): void {
  if ("exception" in res) {
    out[o] = res.fc | 0x80;
    out[o + 1] = res.exception;
    return;
  }
  (FUNCTIONS[res.fc] as FunctionCodec).writeResponse(res, out, o);
}

function checkExceptionFields(fc: number, exceptionCode: number): void {
  if (!Number.isInteger(fc) || fc < 0 || fc > 0xff)
    throw new ModbusEncodeError(`"fc" must be an integer in 0…255, got ${fc}`);
  checkU8(exceptionCode, "exceptionCode");
}

/**
 * The exception reply to function `fc` with `exceptionCode`: `fc | 0x80`, then the code. Any byte a request may
 * carry is accepted, so a server can answer whatever arrived (function 0 gets 0x80, as libmodbus answers).
 */
export function encodeExceptionPdu(fc: number, exceptionCode: number): Uint8Array {
  checkExceptionFields(fc, exceptionCode);
  const out = new Uint8Array(2);
  out[0] = fc | 0x80;
  out[1] = exceptionCode;
  return out;
}

/**
 * The function-code engine: one request PDU in, one reply PDU out (or none), for every transport. The codec
 * answers exception 01 (unknown function, PDU too short) and 03 (bad quantity, byte count or value); the engine
 * answers 02 for any address not defined in the unit's store and 04 for a hook that throws.
 */
import {
  decodeRequestPdu,
  decodeTcpAdu,
  ExceptionCode,
  encodeExceptionPdu,
  encodeResponsePdu,
  encodeTcpAdu,
  FunctionCode,
  MBAP_HEADER_LENGTH,
  MEI_READ_DEVICE_ID,
  type ModbusRequest,
  type ModbusResponse,
  requestPduLength,
} from "@cpppo/modbus-codec";
import type { ModbusTable } from "../core/address.js";
import { type ModbusStore, tableValues } from "../store/store.js";
import { type DeviceIdentification, deviceObjects, readDeviceId } from "./device-id.js";
import type { ModbusAccess, ModbusHooks } from "./hooks.js";

/** Who sent a request, as the transport knows it. */
export interface RequestContext {
  /** "ip:port" of a TCP or TLS peer, or the serial port's path. */
  peer?: string;
  /** The Modbus/TCP Security role of the client's certificate. */
  role?: string;
  /** On TLS: whether the role may use a function code; a refused one gets exception 01. */
  allowed?: (fc: number) => boolean;
}

const FC = FunctionCode;
/** The most registers FC 3/4 may read (spec §6.3). */
const MAX_READ_REGISTERS = 125;
const EX = ExceptionCode;

/** A request the engine refuses with an exception code. */
class Refusal {
  constructor(readonly code: number) {}
}

/** Executes Modbus requests against the stores of the units it serves. */
export class Engine {
  private readonly objects: Map<number, Uint8Array>;

  constructor(
    /** The store of a unit id, or undefined when the unit is not served (no reply, as cpppo does). */
    readonly storeOf: (unitId: number) => ModbusStore | undefined,
    private readonly hooks: ModbusHooks | undefined,
    deviceIdentification: DeviceIdentification | undefined,
  ) {
    this.objects = deviceObjects(deviceIdentification);
  }

  /** The reply PDU to `pdu` (a function code and its data) for `unitId`; undefined when the unit is not served. */
  execute(unitId: number, pdu: Uint8Array, context: RequestContext): Uint8Array | undefined {
    const store = this.storeOf(unitId);
    if (store === undefined) return undefined;
    const fc = pdu.length > 0 ? (pdu[0] as number) & 0x7f : 0;
    if (context.allowed !== undefined && !context.allowed(fc)) return exceptionPdu(fc, EX.IllegalFunction);
    let request: ModbusRequest;
    try {
      request = decodeRequestPdu(pdu);
    } catch (error) {
      if (tooShort(pdu)) return exceptionPdu(fc, EX.IllegalFunction);
      const code = (error as { exceptionCode?: unknown }).exceptionCode;
      return exceptionPdu(fc, typeof code === "number" ? code : EX.IllegalFunction);
    }
    try {
      if (
        (request.fc === FC.ReadHoldingRegisters || request.fc === FC.ReadInputRegisters) &&
        !this.hooks?.onRead
      )
        return readRegistersPdu(store, request.fc, request.address, request.quantity);
      return encodeResponsePdu(this.answer(store, unitId, request, context));
    } catch (error) {
      return exceptionPdu(fc, error instanceof Refusal ? error.code : EX.ServerDeviceFailure);
    }
  }

  /**
   * `execute` for Modbus/TCP: the whole reply ADU (MBAP header and PDU) to a request ADU the framer accepted, or
   * undefined when the unit is not served. A hook-free FC 3/4 read of defined registers is written straight into
   * the reply ADU (one buffer, no request object); everything else goes through `execute`. `spare`, a buffer no
   * longer in use (the connection's last reply, written out), is filled instead of a new one when the direct
   * reply has exactly its size: a client polling the same block gets every reply in the same buffer.
   */
  executeTcp(adu: Uint8Array, context: RequestContext, spare?: Buffer): Uint8Array | undefined {
    const unitId = adu[6] as number;
    const fc = adu[7];
    if (
      (fc === FC.ReadHoldingRegisters || fc === FC.ReadInputRegisters) &&
      adu.length === 12 &&
      context.allowed === undefined &&
      !this.hooks?.onRead
    ) {
      const quantity = ((adu[10] as number) << 8) | (adu[11] as number);
      const store = this.storeOf(unitId);
      if (store !== undefined && quantity >= 1 && quantity <= MAX_READ_REGISTERS) {
        const address = ((adu[8] as number) << 8) | (adu[9] as number);
        const out = readRegistersAt(store, fc, address, quantity, MBAP_HEADER_LENGTH, spare);
        if (out !== undefined) {
          out[0] = adu[0] as number;
          out[1] = adu[1] as number;
          out[2] = 0;
          out[3] = 0;
          out[4] = 0;
          out[5] = 3 + 2 * quantity;
          out[6] = unitId;
          return out;
        }
      }
    }
    const { transactionId, pdu } = decodeTcpAdu(adu);
    const reply = this.execute(unitId, pdu, context);
    return reply === undefined ? undefined : encodeTcpAdu(transactionId, unitId, reply);
  }

  private answer(
    store: ModbusStore,
    unitId: number,
    req: ModbusRequest,
    context: RequestContext,
  ): ModbusResponse {
    switch (req.fc) {
      case FC.ReadCoils:
      case FC.ReadDiscreteInputs: {
        const table: ModbusTable = req.fc === FC.ReadCoils ? "coils" : "discreteInputs";
        const values = this.read(store, unitId, req.fc, table, req.address, req.quantity, context);
        const bits = new Array<boolean>(values.length);
        for (let i = 0; i < values.length; i++) bits[i] = values[i] !== 0;
        return { fc: req.fc, bits };
      }
      case FC.ReadHoldingRegisters:
      case FC.ReadInputRegisters: {
        const table: ModbusTable = req.fc === FC.ReadHoldingRegisters ? "holdingRegisters" : "inputRegisters";
        return {
          fc: req.fc,
          registers: this.read(store, unitId, req.fc, table, req.address, req.quantity, context),
        };
      }
      case FC.WriteSingleCoil:
        this.write(store, unitId, req.fc, "coils", req.address, [req.value ? 1 : 0], context);
        return { fc: req.fc, address: req.address, value: req.value };
      case FC.WriteSingleRegister:
        this.write(store, unitId, req.fc, "holdingRegisters", req.address, [req.value], context);
        return { fc: req.fc, address: req.address, value: req.value };
      case FC.WriteMultipleCoils:
        this.write(store, unitId, req.fc, "coils", req.address, req.values.map(Number), context);
        return { fc: req.fc, address: req.address, quantity: req.values.length };
      case FC.WriteMultipleRegisters:
        this.write(store, unitId, req.fc, "holdingRegisters", req.address, req.values, context);
        return { fc: req.fc, address: req.address, quantity: req.values.length };
      case FC.MaskWriteRegister: {
        if (!store.has("holdingRegisters", req.address, 1)) throw new Refusal(EX.IllegalDataAddress);
        const current = store.read("holdingRegisters", req.address, 1)[0] as number;
        const next = ((current & req.andMask) | (req.orMask & ~req.andMask)) & 0xffff;
        this.write(store, unitId, req.fc, "holdingRegisters", req.address, [next], context);
        return { fc: req.fc, address: req.address, andMask: req.andMask, orMask: req.orMask };
      }
      case FC.ReadWriteMultipleRegisters: {
        // Both halves are checked before either runs; the write happens before the read (spec §6.17).
        if (
          !store.has("holdingRegisters", req.writeAddress, req.values.length) ||
          !store.has("holdingRegisters", req.readAddress, req.readQuantity)
        )
          throw new Refusal(EX.IllegalDataAddress);
        this.write(store, unitId, req.fc, "holdingRegisters", req.writeAddress, req.values, context);
        const registers = this.read(
          store,
          unitId,
          req.fc,
          "holdingRegisters",
          req.readAddress,
          req.readQuantity,
          context,
        );
        return { fc: req.fc, registers };
      }
      case FC.EncapsulatedInterfaceTransport: {
        if (req.meiType !== MEI_READ_DEVICE_ID) throw new Refusal(EX.IllegalFunction);
        const reply = readDeviceId(this.objects, req.readDeviceIdCode, req.objectId);
        if (reply === undefined) throw new Refusal(EX.IllegalDataAddress);
        return { fc: req.fc, meiType: MEI_READ_DEVICE_ID, readDeviceIdCode: req.readDeviceIdCode, ...reply };
      }
      default:
        throw new Refusal(EX.IllegalFunction);
    }
  }

  private read(
    store: ModbusStore,
    unitId: number,
    fc: number,
    table: ModbusTable,
    address: number,
    count: number,
    context: RequestContext,
  ): number[] {
    if (!store.has(table, address, count)) throw new Refusal(EX.IllegalDataAddress);
    const values = store.read(table, address, count);
    const hook = this.hooks?.onRead;
    if (hook === undefined) return values;
    const result = hook.call(this.hooks, access(fc, unitId, table, address, count, false, values, context));
    if (result === false) throw new Refusal(EX.IllegalFunction);
    if (Array.isArray(result)) {
      if (result.length !== count) throw new Refusal(EX.ServerDeviceFailure);
      const bits = table === "coils" || table === "discreteInputs";
      return result.map((v) => (bits ? (v ? 1 : 0) : Number(v) & 0xffff));
    }
    return values;
  }

  private write(
    store: ModbusStore,
    unitId: number,
    fc: number,
    table: ModbusTable,
    address: number,
    values: number[],
    context: RequestContext,
  ): void {
    if (!store.has(table, address, values.length)) throw new Refusal(EX.IllegalDataAddress);
    const hook = this.hooks?.onWrite;
    if (hook !== undefined) {
      const result = hook.call(
        this.hooks,
        access(fc, unitId, table, address, values.length, true, values, context),
      );
      if (result === false) throw new Refusal(EX.IllegalFunction);
    }
    store.write(table, address, values);
  }
}

/**
 * The FC 3/4 reply straight from the store's typed array, without the number[] the codec's encoder takes: the
 * lock-step hot path. Same bytes as `encodeResponsePdu({ fc, registers })` (a test holds them equal).
 */
function readRegistersPdu(store: ModbusStore, fc: 3 | 4, address: number, count: number): Uint8Array {
  const out = readRegistersAt(store, fc, address, count, 0);
  if (out === undefined) throw new Refusal(EX.IllegalDataAddress);
  return out;
}

/**
 * The FC 3/4 reply PDU written `room` bytes into a buffer (room for a header the caller writes): `spare` when it
 * has exactly the size, else a fresh one; undefined when an address is not defined (exception 02).
 */
function readRegistersAt(
  store: ModbusStore,
  fc: 3 | 4,
  address: number,
  count: number,
  room: number,
  spare?: Buffer,
): Buffer | undefined {
  const table: ModbusTable = fc === FC.ReadHoldingRegisters ? "holdingRegisters" : "inputRegisters";
  const raw = tableValues(store, table);
  if (raw === undefined || address + count > raw.values.length) return undefined;
  const { values, defined } = raw;
  const size = room + 2 + 2 * count;
  // Else from Node's buffer pool: a fresh Uint8Array of this size would get a backing store of its own, which costs
  // GC time. Every byte of the reply is written below, so a reused buffer keeps nothing of the last reply.
  const out = spare !== undefined && spare.length === size ? spare : Buffer.allocUnsafe(size);
  out[room] = fc;
  out[room + 1] = 2 * count;
  // One pass: every address must be defined (exception 02 otherwise), and its value goes out big-endian.
  for (let i = address, o = room + 2, end = address + count; i < end; i++, o += 2) {
    if (defined[i] === 0) return undefined;
    const v = values[i] as number;
    out[o] = v >>> 8;
    out[o + 1] = v & 0xff;
  }
  return out;
}

/** An exception reply; function code 0 (which the codec cannot encode, being no function) gets 0x80 too, as libmodbus answers. */
function exceptionPdu(fc: number, code: number): Uint8Array {
  return fc === 0 ? Uint8Array.of(0x80, code) : encodeExceptionPdu(fc, code);
}

/** Functions whose length follows a byte count: their data may fall short of it (exception 03, byte count mismatch). */
const COUNTED = new Set<number>([
  FC.WriteMultipleCoils,
  FC.WriteMultipleRegisters,
  FC.ReadWriteMultipleRegisters,
]);

/**
 * True for a PDU too short for its function's fixed fields (exception 01, as the spec's state diagrams and cpppo
 * do); one whose data falls short of its byte count is the codec's exception 03.
 */
function tooShort(pdu: Uint8Array): boolean {
  const fc = pdu[0];
  if (fc === undefined) return true;
  const need = requestPduLength(pdu, 0, pdu.length);
  return need < 0 || (need > pdu.length && !COUNTED.has(fc));
}

function access(
  fc: number,
  unitId: number,
  table: ModbusTable,
  address: number,
  count: number,
  write: boolean,
  values: number[],
  context: RequestContext,
): ModbusAccess {
  const record: { -readonly [K in keyof ModbusAccess]: ModbusAccess[K] } = {
    fc,
    unitId,
    table,
    address,
    count,
    write,
    values: values.slice(),
  };
  if (context.peer !== undefined) record.peer = context.peer;
  if (context.role !== undefined) record.role = context.role;
  return record;
}

import { allocate, checkU8, checkU16, put16, u16, view } from "../core/bytes.js";
import { ModbusEncodeError, ModbusFrameError } from "../core/errors.js";
import { MAX_PDU_LENGTH } from "../core/tables.js";
import { requestPduSize, responsePduSize, writeRequestPdu, writeResponsePdu } from "../pdu/pdu.js";
import type { ModbusExceptionResponse, ModbusRequest, ModbusResponse } from "../pdu/types.js";

/** Bytes of the MBAP header: transaction id, protocol id, length (2 bytes each) and unit id. */
export const MBAP_HEADER_LENGTH = 7;
/** Smallest MBAP length: the unit id and a function code. */
export const MIN_MBAP_LENGTH = 2;
/** Largest MBAP length: the unit id and a 253-byte PDU. */
export const MAX_MBAP_LENGTH = MAX_PDU_LENGTH + 1;

/** The fields of an MBAP header. `length` counts the unit id and the PDU. */
export interface MbapHeader {
  transactionId: number;
  protocolId: number;
  length: number;
  unitId: number;
}

/** A Modbus/TCP ADU taken apart; `pdu` is a view of the ADU's bytes. */
export interface TcpAdu {
  transactionId: number;
  protocolId: number;
  unitId: number;
  pdu: Uint8Array;
}

/** Reads the MBAP header at `offset`; throws a `ModbusFrameError` when fewer than 7 bytes remain. No field is checked. */
export function decodeMbapHeader(bytes: Uint8Array, offset = 0): MbapHeader {
  if (offset < 0 || offset + MBAP_HEADER_LENGTH > bytes.length)
    throw new ModbusFrameError(
      `MBAP header needs 7 bytes at offset ${offset}, ${bytes.length - offset} remain`,
    );
  return {
    transactionId: u16(bytes, offset),
    protocolId: u16(bytes, offset + 2),
    length: u16(bytes, offset + 4),
    unitId: bytes[offset + 6] as number,
  };
}

/** The Modbus/TCP ADU of `pdu` (1…253 bytes) with protocol id 0. */
export function encodeTcpAdu(transactionId: number, unitId: number, pdu: Uint8Array): Uint8Array {
  if (pdu.length < 1 || pdu.length > MAX_PDU_LENGTH)
    throw new ModbusEncodeError(`a PDU must be 1…${MAX_PDU_LENGTH} bytes, got ${pdu.length}`);
  const out = mbap(transactionId, unitId, pdu.length);
  out.set(pdu, MBAP_HEADER_LENGTH);
  return out;
}

/** An ADU of `size` PDU bytes with its MBAP header written. */
function mbap(transactionId: number, unitId: number, size: number): Uint8Array {
  const out = allocate(MBAP_HEADER_LENGTH + size);
  put16(out, 0, checkU16(transactionId, "transactionId"));
  put16(out, 4, size + 1);
  out[6] = checkU8(unitId, "unitId");
  return out;
}

/** The Modbus/TCP ADU of request `req`, its PDU written in place (one allocation, no copy). */
export function encodeTcpRequest(transactionId: number, unitId: number, req: ModbusRequest): Uint8Array {
  const out = mbap(transactionId, unitId, requestPduSize(req));
  writeRequestPdu(req, out, MBAP_HEADER_LENGTH);
  return out;
}

/** The Modbus/TCP ADU of reply `res` (or of an exception reply), its PDU written in place. */
export function encodeTcpResponse(
  transactionId: number,
  unitId: number,
  res: ModbusResponse | ModbusExceptionResponse,
): Uint8Array {
  const out = mbap(transactionId, unitId, responsePduSize(res));
  writeResponsePdu(res, out, MBAP_HEADER_LENGTH);
  return out;
}

/**
 * Takes a whole Modbus/TCP ADU apart. Throws a `ModbusFrameError` when the MBAP length is outside 2…254 or
 * disagrees with the ADU's size. The protocol id is returned as found (a `TcpFramer` refuses anything but 0).
 */
export function decodeTcpAdu(bytes: Uint8Array): TcpAdu {
  if (bytes.length < MBAP_HEADER_LENGTH)
    throw new ModbusFrameError(`an ADU needs at least 7 bytes, got ${bytes.length}`);
  const length = u16(bytes, 4);
  checkMbapLength(length);
  if (length + 6 !== bytes.length)
    throw new ModbusFrameError(`MBAP length ${length} disagrees with an ADU of ${bytes.length} bytes`);
  return {
    transactionId: u16(bytes, 0),
    protocolId: u16(bytes, 2),
    unitId: bytes[6] as number,
    pdu: view(bytes, MBAP_HEADER_LENGTH, bytes.length),
  };
}

/** Throws a `ModbusFrameError` unless `length` is a possible MBAP length (2…254). */
export function checkMbapLength(length: number): void {
  if (length < MIN_MBAP_LENGTH || length > MAX_MBAP_LENGTH)
    throw new ModbusFrameError(`MBAP length ${length} is outside ${MIN_MBAP_LENGTH}…${MAX_MBAP_LENGTH}`);
}

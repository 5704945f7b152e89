/**
 * @cpppo/modbus-codec: every byte of Modbus as pure functions over Uint8Array.
 * The public API, re-exported by name, layer by layer (lowest first; see the README).
 */
// biome-ignore-all assist/source/organizeImports: the exports go layer by layer, lowest first, not by path.

// Errors and code tables.
export {
  CpppoError,
  type DefinedError,
  defineError,
  InvalidArgumentError,
  ModbusCrcError,
  ModbusEncodeError,
  ModbusFrameError,
  ModbusPduError,
} from "./core/errors.js";
export {
  type CodeEntry,
  EXCEPTION_CODES,
  ExceptionCode,
  exceptionCodeName,
  FUNCTION_CODES,
  FunctionCode,
  functionCodeName,
  MAX_PDU_LENGTH,
  MEI_READ_DEVICE_ID,
  QUANTITY_LIMITS,
} from "./core/tables.js";

// 32-bit values and strings in registers, every word and byte order.
export {
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
} from "./words/words.js";

// PDUs: one table of function codes, both directions.
export {
  decodeRequestPdu,
  decodeResponsePdu,
  encodeExceptionPdu,
  encodeRequestPdu,
  encodeResponsePdu,
  isSupportedFunction,
  requestPduLength,
  requestPduSize,
  responsePduLength,
  responsePduSize,
  writeRequestPdu,
  writeResponsePdu,
} from "./pdu/pdu.js";
export {
  type DeviceIdObject,
  isExceptionResponse,
  type MaskWriteRegisterRequest,
  type MaskWriteRegisterResponse,
  type ModbusExceptionResponse,
  type ModbusRequest,
  type ModbusResponse,
  type ReadBitsResponse,
  type ReadDeviceIdentificationRequest,
  type ReadDeviceIdentificationResponse,
  type ReadRegistersResponse,
  type ReadRequest,
  type ReadWriteMultipleRegistersRequest,
  type WriteMultipleCoilsRequest,
  type WriteMultipleRegistersRequest,
  type WriteMultipleResponse,
  type WriteSingleCoilRequest,
  type WriteSingleCoilResponse,
  type WriteSingleRegisterRequest,
  type WriteSingleRegisterResponse,
} from "./pdu/types.js";

// ADUs: Modbus/TCP (MBAP).
export {
  checkMbapLength,
  decodeMbapHeader,
  decodeTcpAdu,
  encodeTcpAdu,
  encodeTcpRequest,
  encodeTcpResponse,
  MAX_MBAP_LENGTH,
  MBAP_HEADER_LENGTH,
  type MbapHeader,
  MIN_MBAP_LENGTH,
  type TcpAdu,
} from "./adu/tcp.js";

// ADUs: RTU (unit id, PDU, CRC-16) and the line timing.
export {
  crc16,
  decodeRtuAdu,
  encodeRtuAdu,
  encodeRtuRequest,
  encodeRtuResponse,
  MAX_RTU_ADU_LENGTH,
  RTU_OVERHEAD,
  rtuCrcValid,
  type RtuTiming,
  rtuTiming,
  type SerialFormat,
} from "./adu/rtu.js";

// Stream framing.
export { type RtuFrame, RtuFramer, type RtuFramerOptions } from "./framing/rtu-framer.js";
export { TcpFramer } from "./framing/tcp-framer.js";

/** @cpppo/modbus-poller: cpppo's Modbus poller on modbus-serial, with deadlines that hold. Public API, by name, lowest layer first. */
// biome-ignore-all assist/source/organizeImports: the exports go layer by layer, lowest first, not by path.

export {
  CpppoError,
  InvalidArgumentError,
  ModbusAbortError,
  ModbusClosedError,
  ModbusConnectionError,
  ModbusOfflineError,
  ModbusReplyError,
  ModbusTimeoutError,
} from "./core/errors.js";
export {
  isBitAddress,
  isWritable,
  type ModbusTable,
  type WireAddress,
  wireAddress,
  wireAddressOf,
} from "./core/address.js";
export {
  type AddressRange,
  BIT_BLOCK_LIMIT,
  blocksOf,
  formatRanges,
  merge,
  REGISTER_BLOCK_LIMIT,
  shatter,
} from "./core/ranges.js";
export { ema, type LoadTriple, nextLoad } from "./core/load.js";
export { nextCycle } from "./core/cadence.js";

export type {
  ModbusReply,
  ModbusRequest,
  ModbusTransport,
  OperationOptions,
  ReadFunction,
  ReadRequest,
  TransactOptions,
  WriteFunction,
  WriteRequest,
} from "./transport/types.js";
export { DEFAULT_TIMEOUT_MS, type Link, ModbusSerialLine } from "./transport/line.js";
export { TcpTransport, type TcpTransportOptions } from "./transport/tcp.js";
export { RtuTransport, type RtuTransportOptions } from "./transport/rtu.js";

export type {
  FailureEvent,
  LoadEvent,
  OnlineEvent,
  PollerEvent,
  PollRange,
  RangesEvent,
  SlippedEvent,
  ValueEvent,
} from "./poller/events.js";
export {
  ModbusPoller,
  type ModbusPollerOptions,
  type UnitOption,
  type ValueType,
  type WriteOptions,
  type WriteOutcome,
} from "./poller/poller.js";

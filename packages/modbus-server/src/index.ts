/** @cpppo/modbus-server: a Modbus simulator (TCP, TLS, RTU) on cpppo's sparse, 1-based register model. Public API, re-exported by name. */

export type { ModbusAddress, ModbusTable } from "./core/address.js";
export { parseModbusAddress } from "./core/address.js";
export { CpppoError, InvalidArgumentError, ModbusRangeError } from "./core/errors.js";
export type { RegisterRange } from "./store/ranges.js";
export { parseRegisterRanges } from "./store/ranges.js";
export { ModbusStore } from "./store/store.js";

/** @cpppo/modbus-server: a Modbus simulator (TCP, TLS, RTU) on cpppo's sparse, 1-based register model. Public API, re-exported by name. */

export type { ModbusAddress, ModbusTable } from "./core/address.js";
export { parseModbusAddress } from "./core/address.js";
export type { ConnectionEvent } from "./core/diagnostics.js";
export { CpppoError, InvalidArgumentError, ModbusRangeError } from "./core/errors.js";
export type { DeviceIdentification } from "./engine/device-id.js";
export { DEFAULT_DEVICE_IDENTIFICATION } from "./engine/device-id.js";
export type { ModbusAccess, ModbusHooks } from "./engine/hooks.js";
export type { ModbusConnectionInfo } from "./server.js";
export { ModbusServer } from "./server.js";
export type { RegisterRange } from "./store/ranges.js";
export { parseRegisterRanges } from "./store/ranges.js";
export { ModbusStore } from "./store/store.js";
export type { Listener, TcpListenOptions, TlsListenOptions } from "./transport/listen.js";
export type { CorruptField, EvilMode, ModbusServerOptions } from "./transport/options.js";
export { certificateRole, ROLE_OID } from "./transport/role.js";
export type { RtuOptions, RtuPort } from "./transport/rtu.js";

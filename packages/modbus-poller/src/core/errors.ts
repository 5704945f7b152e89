/** The poller's errors: one base (`CpppoError`), one class per failure a caller may need to tell apart. */
import { defineError } from "@cpppo/automata/errors";

export { CpppoError, InvalidArgumentError } from "@cpppo/automata/errors";

/** A transaction (connect, send and reply together) that did not finish within its deadline (code `ERR_MODBUS_TIMEOUT`). */
export class ModbusTimeoutError extends defineError("ERR_MODBUS_TIMEOUT", "ModbusTimeoutError") {}

/** A connection that could not be opened, or that closed with the operation in flight (code `ERR_MODBUS_CONNECTION`). */
export class ModbusConnectionError extends defineError("ERR_MODBUS_CONNECTION", "ModbusConnectionError") {}

/** A reply that does not answer the request: another unit, another function, a bad length (code `ERR_MODBUS_REPLY`). */
export class ModbusReplyError extends defineError("ERR_MODBUS_REPLY", "ModbusReplyError") {}

/** An operation whose AbortSignal fired before it settled (code `ERR_MODBUS_ABORTED`). */
export class ModbusAbortError extends defineError("ERR_MODBUS_ABORTED", "ModbusAbortError") {}

/** An operation on a transport or poller that was closed, or closed while it waited (code `ERR_MODBUS_CLOSED`). */
export class ModbusClosedError extends defineError("ERR_MODBUS_CLOSED", "ModbusClosedError") {}

/** A write refused because the poller is offline, as cpppo's `PlcOffline` (code `ERR_MODBUS_OFFLINE`). */
export class ModbusOfflineError extends defineError("ERR_MODBUS_OFFLINE", "ModbusOfflineError") {}

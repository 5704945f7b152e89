/**
 * The errors @cpppo/modbus-server throws, all `CpppoError`s (one base for every @cpppo package; match on `err.code`).
 * A Modbus exception is a reply on the wire, never a thrown error: these are for caller mistakes.
 */
import { defineError } from "@cpppo/automata/errors";

export { CpppoError, InvalidArgumentError } from "@cpppo/automata/errors";

/** A register range or Modbus address that does not follow cpppo's grammar, or one not defined in a store (code `ERR_MODBUS_RANGE`). */
export class ModbusRangeError extends defineError("ERR_MODBUS_RANGE", "ModbusRangeError") {}

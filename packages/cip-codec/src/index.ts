/**
 * @cpppo/cip-codec: every byte of EtherNet/IP and CIP as pure functions over Uint8Array.
 * The public API is re-exported here by name; each section belongs to one module group.
 */

export type { DecodeFailure, FieldPath } from "./errors.js";
export { CipDecodeError, CipEncodeError, CpppoError, formatPath } from "./errors.js";
export { fromHex, hexExcerpt, toHex } from "./hex.js";
export { Reader } from "./reader.js";
export type { CodeTable } from "./table.js";
export { codeTable } from "./table.js";
export { checkRange, Writer } from "./writer.js";

// --- encapsulation, CPF, framer ---

// --- EPATH, data types, templates, objects ---

// --- CIP status, services, message router, Logix, MSP, connection manager ---

// --- whole frames ---

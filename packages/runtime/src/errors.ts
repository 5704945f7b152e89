/**
 * The errors @cpppo/runtime throws, all `CpppoError`s (one base for every @cpppo package; match on `err.code`).
 * A failed remote call never throws on the client: it resolves to the method's default and marks the connector
 * `Disconnected`. These are for caller mistakes and for the program's own faults.
 */
import { defineError } from "@cpppo/automata/errors";

export { CpppoError, InvalidArgumentError } from "@cpppo/automata/errors";

/** A PLC program (a plant configuration) that is not valid JSON or does not match the schema (code `ERR_RUNTIME_PROGRAM`). */
export class ProgramError extends defineError("ERR_RUNTIME_PROGRAM", "ProgramError") {}

/** A connector URI that names no known scheme, or lacks a part its scheme needs (code `ERR_RUNTIME_URI`). */
export class ConnectorUriError extends defineError("ERR_RUNTIME_URI", "ConnectorUriError") {}

/** A PSK secrets file that cannot be read or holds no valid `IDENTITY:KEY` line (code `ERR_RUNTIME_PSK`). */
export class PskFileError extends defineError("ERR_RUNTIME_PSK", "PskFileError") {}

/** An RPC frame that breaks the message format: bad length, version, or JSON (code `ERR_RUNTIME_RPC`). */
export class RpcProtocolError extends defineError("ERR_RUNTIME_RPC", "RpcProtocolError") {}

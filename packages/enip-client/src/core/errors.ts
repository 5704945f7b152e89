/**
 * The errors @cpppo/enip-client throws, all `CpppoError`s (one base for every @cpppo package; match on `err.code`).
 * A CIP error status is data in an operation's result, never an exception: these are transport failures,
 * timeouts and caller mistakes.
 */
import { defineError } from "@cpppo/cip-codec";

export { CpppoError, InvalidArgumentError } from "@cpppo/cip-codec";

/** An operation text that does not follow the grammar (code `ERR_INVALID_OPERATION`); names the operation and the fix. */
export class InvalidOperationError extends defineError("ERR_INVALID_OPERATION", "InvalidOperationError") {}

/** Connecting did not complete within `connectTimeout` (code `ERR_ENIP_CONNECT_TIMEOUT`). */
export class ConnectTimeoutError extends defineError("ERR_ENIP_CONNECT_TIMEOUT", "ConnectTimeoutError") {}

/** A request got no reply within its timeout (code `ERR_ENIP_TIMEOUT`). */
export class RequestTimeoutError extends defineError("ERR_ENIP_TIMEOUT", "RequestTimeoutError") {}

/** The connection closed (or was closed) with requests pending (code `ERR_ENIP_SESSION_CLOSED`). */
export class SessionClosedError extends defineError("ERR_ENIP_SESSION_CLOSED", "SessionClosedError") {}

/**
 * The peer sent bytes that are not a valid reply, or a reply that is not for us: another session handle (code
 * `ERR_ENIP_PROTOCOL`).
 */
export class ProtocolError extends defineError("ERR_ENIP_PROTOCOL", "ProtocolError") {}

/**
 * The device answered with a non-zero encapsulation status (code `ERR_ENIP_STATUS`): the operations that reply
 * answers fail at once; the message names the status, e.g. `0x0001 invalid or unsupported encapsulation command`.
 */
export class EncapsulationStatusError extends defineError("ERR_ENIP_STATUS", "EncapsulationStatusError") {}

/** The operation's AbortSignal fired (code `ERR_ABORTED`); `cause` is the signal's reason. */
export class AbortError extends defineError("ERR_ABORTED", "AbortError") {}

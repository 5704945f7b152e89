const brandOf = (code: string): symbol => Symbol.for(`cpppo.error.${code}`);

/**
 * Base class of every error @cpppo/enip-client throws. Match on `err.code`; `instanceof` also works
 * across duplicate installs because each class checks a `Symbol.for` brand. A CIP error status is data
 * in an operation's result, never an exception: these are transport failures, timeouts and caller mistakes.
 */
export class CpppoError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "CpppoError";
    this.code = code;
    Object.defineProperty(this, brandOf(code), { value: true });
    Object.defineProperty(this, brandOf("base"), { value: true });
  }
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === "object" && value !== null && brandOf("base") in value;
  }
}

function branded<C extends string>(code: C, name: string) {
  return class extends CpppoError {
    constructor(message: string, options?: { cause?: unknown }) {
      super(code, message, options);
      this.name = name;
    }
    static override [Symbol.hasInstance](value: unknown): boolean {
      return typeof value === "object" && value !== null && brandOf(code) in value;
    }
  };
}

/** A bad option or argument (code `ERR_INVALID_ARG`); the message names the field and the fix. */
export class InvalidArgumentError extends branded("ERR_INVALID_ARG", "InvalidArgumentError") {}

/** An operation text that does not follow the grammar (code `ERR_INVALID_OPERATION`); names the operation and the fix. */
export class InvalidOperationError extends branded("ERR_INVALID_OPERATION", "InvalidOperationError") {}

/** Connecting did not complete within `connectTimeout` (code `ERR_ENIP_CONNECT_TIMEOUT`). */
export class ConnectTimeoutError extends branded("ERR_ENIP_CONNECT_TIMEOUT", "ConnectTimeoutError") {}

/** A request got no reply within its timeout (code `ERR_ENIP_TIMEOUT`). */
export class RequestTimeoutError extends branded("ERR_ENIP_TIMEOUT", "RequestTimeoutError") {}

/** The connection closed (or was closed) with requests pending (code `ERR_ENIP_SESSION_CLOSED`). */
export class SessionClosedError extends branded("ERR_ENIP_SESSION_CLOSED", "SessionClosedError") {}

/** The peer sent bytes that are not a valid reply, or an encapsulation error status (code `ERR_ENIP_PROTOCOL`). */
export class ProtocolError extends branded("ERR_ENIP_PROTOCOL", "ProtocolError") {}

/** The operation's AbortSignal fired (code `ERR_ABORTED`); `cause` is the signal's reason. */
export class AbortError extends branded("ERR_ABORTED", "AbortError") {}

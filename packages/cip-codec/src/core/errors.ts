import { CpppoError, defineError } from "@cpppo/automata/errors";

/** Field path of a decode error: names of nested fields and indexes of repeated ones. */
export type FieldPath = readonly (string | number)[];

export { CpppoError, type DefinedError, defineError, InvalidArgumentError } from "@cpppo/automata/errors";

/** Why a decode failed: too few bytes, a ceiling exceeded, or a value the format forbids. */
export type DecodeFailure = "truncated" | "limit" | "invalid" | "unsupported";

/**
 * Thrown by every decoder on bad input (code `ERR_CIP_DECODE`). Carries the byte `offset`, the field
 * `path` and a hex `excerpt` of the bytes around the offset. No other exception escapes a decoder.
 */
export class CipDecodeError extends CpppoError {
  static override readonly code = "ERR_CIP_DECODE";
  readonly failure: DecodeFailure;
  readonly offset: number;
  readonly path: FieldPath;
  readonly excerpt: string;
  constructor(failure: DecodeFailure, detail: string, offset: number, path: FieldPath, excerpt: string) {
    const where = path.length > 0 ? ` at ${formatPath(path)}` : "";
    super("ERR_CIP_DECODE", `${detail}${where} (offset ${offset}: ${excerpt})`);
    this.name = "CipDecodeError";
    this.failure = failure;
    this.offset = offset;
    this.path = path;
    this.excerpt = excerpt;
  }
}

/** Thrown by encoders for a value that cannot be put on the wire (code `ERR_CIP_ENCODE`). */
export class CipEncodeError extends defineError("ERR_CIP_ENCODE", "CipEncodeError") {}

/** A code table declares one code twice: a programming error in a registry (code `ERR_CIP_TABLE`). */
export class CodeTableError extends defineError("ERR_CIP_TABLE", "CodeTableError") {}

/**
 * A route, send or connection path written in cpppo's notation cannot be read (code `ERR_CIP_ROUTE_PATH`). The
 * message reads `<kind> <value> <reason>; e.g. <examples>`; callers rethrow it as their own error with this as `cause`.
 */
export class RoutePathError extends CpppoError {
  static override readonly code = "ERR_CIP_ROUTE_PATH";
  /** What was being read: "route path", "send path", "connection path", "object path" or "segment". */
  readonly kind: string;
  /** The value as given (text or parsed JSON). */
  readonly value: unknown;
  /** What is wrong, as a predicate of the value, e.g. `has port "0", not 1..65535`. */
  readonly reason: string;
  constructor(kind: string, value: unknown, reason: string, example: string) {
    super(
      "ERR_CIP_ROUTE_PATH",
      `${kind} ${JSON.stringify(value) ?? String(value)} ${reason}; e.g. ${example}`,
    );
    this.name = "RoutePathError";
    this.kind = kind;
    this.value = value;
    this.reason = reason;
  }
}

/** `['cpf', 1, 'data']` → `cpf[1].data` */
export function formatPath(path: FieldPath): string {
  let out = "";
  for (const part of path) out += typeof part === "number" ? `[${part}]` : out ? `.${part}` : part;
  return out;
}

/** Field path of a decode error: names of nested fields and indexes of repeated ones. */
export type FieldPath = readonly (string | number)[];

const brandOf = (code: string): symbol => Symbol.for(`cpppo.error.${code}`);

/**
 * Base class of every error @cpppo/cip-codec throws. Match on `err.code`; `instanceof` also works
 * across duplicate installs because each class checks a `Symbol.for` brand.
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

/** Why a decode failed: too few bytes, a ceiling exceeded, or a value the format forbids. */
export type DecodeFailure = "truncated" | "limit" | "invalid" | "unsupported";

/**
 * Thrown by every decoder on bad input (code `ERR_CIP_DECODE`). Carries the byte `offset`, the field
 * `path` and a hex `excerpt` of the bytes around the offset. No other exception escapes a decoder.
 */
export class CipDecodeError extends CpppoError {
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
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === "object" && value !== null && brandOf("ERR_CIP_DECODE") in value;
  }
}

/** Thrown by encoders for a value that cannot be put on the wire (code `ERR_CIP_ENCODE`). */
export class CipEncodeError extends CpppoError {
  constructor(message: string) {
    super("ERR_CIP_ENCODE", message);
    this.name = "CipEncodeError";
  }
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === "object" && value !== null && brandOf("ERR_CIP_ENCODE") in value;
  }
}

/** `['cpf', 1, 'data']` → `cpf[1].data` */
export function formatPath(path: FieldPath): string {
  let out = "";
  for (const part of path) out += typeof part === "number" ? `[${part}]` : out ? `.${part}` : part;
  return out;
}

const brandOf = (code: string): symbol => Symbol.for(`cpppo.error.${code}`);

/**
 * Base class of every error a @cpppo package throws; each package re-exports it. Match on `err.code`
 * (a stable `ERR_…` string); `instanceof` also works across duplicate installs of a package, because
 * instances carry a `Symbol.for("cpppo.error.<code>")` brand and each class checks the brand of its own
 * `code` (the base checks a common one). The underlying error, when there is one, rides in `cause`.
 */
export class CpppoError extends Error {
  /** The code a subclass's instances carry; undefined on the base, whose `instanceof` matches any code. */
  static readonly code: string | undefined = undefined;
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "CpppoError";
    this.code = code;
    Object.defineProperty(this, brandOf(code), { value: true });
    Object.defineProperty(this, brandOf("base"), { value: true });
  }
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class `instanceof` asks about, a subclass included.
    return typeof value === "object" && value !== null && brandOf(this.code ?? "base") in value;
  }
}

/** The class `defineError` returns: `new (message, { cause })`, with the code as a literal type. */
export interface DefinedError<C extends string> {
  new (message: string, options?: { cause?: unknown }): CpppoError & { readonly code: C };
  readonly code: C;
  readonly prototype: CpppoError;
}

/**
 * A subclass of `CpppoError` with a fixed `code` and `name`, for the errors that need nothing but a
 * message (and maybe a `cause`): `export class ConfigError extends defineError("ERR_CONFIG", "ConfigError") {}`.
 * Errors with fields of their own extend `CpppoError` and declare `static override readonly code`.
 */
export function defineError<const C extends string>(code: C, name: string): DefinedError<C> {
  const defined = class extends CpppoError {
    static override readonly code: C = code;
    declare readonly code: C;
    constructor(message: string, options?: { cause?: unknown }) {
      super(code, message, options);
      this.name = name;
    }
  };
  Object.defineProperty(defined, "name", { value: name });
  return defined;
}

/** A caller mistake: a bad option or argument (code `ERR_INVALID_ARG`); the message names the field and the fix. */
export class InvalidArgumentError extends defineError("ERR_INVALID_ARG", "InvalidArgumentError") {}

/** Thrown when a regular expression cannot be parsed or has no DFA (backreferences, lookarounds); code `ERR_AUTOMATA_REGEX`. */
export class RegexError extends CpppoError {
  static override readonly code = "ERR_AUTOMATA_REGEX";
  /** The pattern source that failed. */
  readonly pattern: string;
  constructor(pattern: string, detail: string, cause?: unknown) {
    super("ERR_AUTOMATA_REGEX", `cannot compile /${pattern}/ to a DFA: ${detail}`, { cause });
    this.name = "RegexError";
    this.pattern = pattern;
  }
}

/** Where in the input a parse stopped: the shared payload of every parse error. */
export interface ParseLocation {
  /** Absolute symbol offset from the start of the run (bytes, or Unicode code points in text mode). */
  readonly offset: number;
  /** The offending symbol, or -1 when the input (or the machine's `limit`) ended. */
  readonly symbol: number;
  /** Up to 16 symbols before `offset`, then the offending one after a `|` (hex bytes, or JSON-quoted text). */
  readonly excerpt: string;
  /** Names from the outermost machine down to the current state, e.g. `["CSV", "ab+", "E"]`. */
  readonly statePath: readonly string[];
}

/**
 * Thrown when a machine cannot go on and is not in a terminal state (code `ERR_AUTOMATA_NON_TERMINAL`),
 * either on a symbol no transition accepts or at the end of the input. Feeding the same input in any
 * chunking throws the same error.
 */
export class NonTerminalError extends CpppoError implements ParseLocation {
  static override readonly code = "ERR_AUTOMATA_NON_TERMINAL";
  readonly offset: number;
  readonly symbol: number;
  readonly excerpt: string;
  readonly statePath: readonly string[];
  constructor(where: ParseLocation) {
    const on = where.symbol < 0 ? "at end of input" : `for symbol ${where.symbol}`;
    super(
      "ERR_AUTOMATA_NON_TERMINAL",
      `non-terminal state ${where.statePath.join(".")} has no transition ${on} (offset ${where.offset}: ${where.excerpt})`,
    );
    this.name = "NonTerminalError";
    this.offset = where.offset;
    this.symbol = where.symbol;
    this.excerpt = where.excerpt;
    this.statePath = where.statePath;
  }
}

/**
 * Thrown when a count, repeat or limit read from parsed data is not a non-negative integer or exceeds
 * the configured ceiling (code `ERR_AUTOMATA_LIMIT`): a length from the wire is never trusted.
 */
export class LimitError extends CpppoError implements ParseLocation {
  static override readonly code = "ERR_AUTOMATA_LIMIT";
  readonly offset: number;
  readonly symbol: number;
  readonly excerpt: string;
  readonly statePath: readonly string[];
  /** The offending value as read from the data. */
  readonly value: unknown;
  constructor(detail: string, value: unknown, where: ParseLocation) {
    super(
      "ERR_AUTOMATA_LIMIT",
      `${detail} at ${where.statePath.join(".")} (offset ${where.offset}: ${where.excerpt})`,
    );
    this.name = "LimitError";
    this.value = value;
    this.offset = where.offset;
    this.symbol = where.symbol;
    this.excerpt = where.excerpt;
    this.statePath = where.statePath;
  }
}

/** Thrown when a parser is used out of order, e.g. fed after it finished or failed (code `ERR_AUTOMATA_STATE`). */
export class ParserStateError extends defineError("ERR_AUTOMATA_STATE", "ParserStateError") {}

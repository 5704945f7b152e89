const brandOf = (code: string): symbol => Symbol.for(`cpppo.error.${code}`);

/**
 * Base class of every error @cpppo/automata throws. Match on `err.code`; `instanceof` also works
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

/** Thrown for a caller mistake: a bad builder argument or an ill-formed machine (code `ERR_INVALID_ARG`). */
export class InvalidArgumentError extends CpppoError {
  constructor(message: string) {
    super("ERR_INVALID_ARG", message);
    this.name = "InvalidArgumentError";
  }
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === "object" && value !== null && brandOf("ERR_INVALID_ARG") in value;
  }
}

/** Thrown when a regular expression cannot be parsed or has no DFA (backreferences, lookarounds); code `ERR_AUTOMATA_REGEX`. */
export class RegexError extends CpppoError {
  /** The pattern source that failed. */
  readonly pattern: string;
  constructor(pattern: string, detail: string, cause?: unknown) {
    super("ERR_AUTOMATA_REGEX", `cannot compile /${pattern}/ to a DFA: ${detail}`, { cause });
    this.name = "RegexError";
    this.pattern = pattern;
  }
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === "object" && value !== null && brandOf("ERR_AUTOMATA_REGEX") in value;
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
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === "object" && value !== null && brandOf("ERR_AUTOMATA_NON_TERMINAL") in value;
  }
}

/**
 * Thrown when a count, repeat or limit read from parsed data is not a non-negative integer or exceeds
 * the configured ceiling (code `ERR_AUTOMATA_LIMIT`): a length from the wire is never trusted.
 */
export class LimitError extends CpppoError implements ParseLocation {
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
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === "object" && value !== null && brandOf("ERR_AUTOMATA_LIMIT") in value;
  }
}

/** Thrown when a parser is used out of order, e.g. fed after it finished or failed (code `ERR_AUTOMATA_STATE`). */
export class ParserStateError extends CpppoError {
  constructor(message: string) {
    super("ERR_AUTOMATA_STATE", message);
    this.name = "ParserStateError";
  }
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === "object" && value !== null && brandOf("ERR_AUTOMATA_STATE") in value;
  }
}

const brandOf = (code: string): symbol => Symbol.for(`cpppo.error.${code}`);

/**
 * Base class of every error @cpppo/enip-server throws. Match on `err.code`; `instanceof` also works
 * across duplicate installs because each class checks a `Symbol.for` brand. Protocol errors are CIP
 * replies, never exceptions: these are for caller mistakes and transport failures.
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

/** A tag definition that does not follow the grammar or conflicts with another (code `ERR_INVALID_TAG`). */
export class InvalidTagError extends branded("ERR_INVALID_TAG", "InvalidTagError") {}

/** A configuration file or section that cannot be used (code `ERR_CONFIG`). */
export class ConfigError extends branded("ERR_CONFIG", "ConfigError") {}

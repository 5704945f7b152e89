import { CodeTableError } from "./errors.js";

/**
 * A protocol registry: an `as const` map of name → numeric code, its derived reverse map, and a
 * description per entry. Encoders and decoders share one table per registry.
 */
export interface CodeTable<T extends Record<string, number>> {
  /** name → code, as declared. */
  readonly codes: T;
  /** The name of `code`, or undefined when the table has none. */
  nameOf(code: number): (keyof T & string) | undefined;
  /** The description of `code`, or `unknown 0x…` when the table has none. */
  describe(code: number): string;
  /** True when `code` is in the table. */
  has(code: number): boolean;
}

/** Builds a `CodeTable` from `codes` and one description per name. */
export function codeTable<const T extends Record<string, number>>(
  codes: T,
  descriptions: { readonly [K in keyof T]: string },
  hexDigits = 2,
): CodeTable<T> {
  const names = new Map<number, keyof T & string>();
  const texts = new Map<number, string>();
  for (const name of Object.keys(codes) as (keyof T & string)[]) {
    const code = codes[name] as number;
    if (names.has(code)) throw new CodeTableError(`duplicate code 0x${code.toString(16)} in table (${name})`);
    names.set(code, name);
    texts.set(code, descriptions[name]);
  }
  return {
    codes,
    nameOf: (code) => names.get(code),
    describe: (code) => texts.get(code) ?? `unknown 0x${code.toString(16).padStart(hexDigits, "0")}`,
    has: (code) => names.has(code),
  };
}

import { compile, type Program, TABLE_WIDTH } from "./compile.js";
import { type RegexOptions, regex } from "./regex.js";

/**
 * A regular expression compiled to a DFA table, with direct matching loops that skip the general parser:
 * `test` is full-match acceptance, `prefix` the cpppo-style (no backtracking) match from a start offset.
 */
export class RegexMatcher {
  readonly program: Program;
  readonly greedy: boolean;
  private readonly start: number;

  constructor(pattern: string | RegExp, options: RegexOptions = {}) {
    this.program = compile(regex(pattern, options), { alphabet: options.alphabet ?? "text" });
    this.greedy = options.greedy ?? true;
    const p = this.program;
    this.start = p.instanceInitial[p.subInstance[p.root] as number] as number;
  }

  /** Whether the whole of `input[start, end)` matches (as `^(?:re)$` with the `u` flag); defaults to all of it. */
  test(input: string | Uint8Array, start = 0, end: number = input.length): boolean {
    const p = this.program;
    const table = p.table;
    let s = this.start;
    if (typeof input === "string") {
      if (p.alphabet !== "text") return this.test(new TextEncoder().encode(input.slice(start, end)));
      for (let i = start; i < end; i++) {
        let c = input.charCodeAt(i);
        if (c >= 0xd800 && c <= 0xdbff && i + 1 < end) {
          const d = input.charCodeAt(i + 1);
          if (d >= 0xdc00 && d <= 0xdfff) {
            c = ((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
            i++;
          }
        }
        const t = c < TABLE_WIDTH ? (table[s * TABLE_WIDTH + c] as number) : p.lookup(s, c);
        if (t < 0) return false;
        s = t;
      }
      return p.terminal[s] === 1;
    }
    if (p.alphabet !== "bytes") return this.test(new TextDecoder().decode(input.subarray(start, end)));
    for (let i = start; i < end; i++) {
      const t = table[s * TABLE_WIDTH + (input[i] as number)] as number;
      if (t < 0) return false;
      s = t;
    }
    return p.terminal[s] === 1;
  }

  /**
   * Where a match starting at `start` ends (an index into `input`), or -1. Greedy (the default) consumes
   * while the DFA can and fails if it then stands in a non-accepting state; non-greedy stops at the first accept.
   */
  prefix(input: string | Uint8Array, start = 0): number {
    const p = this.program;
    const table = p.table;
    const greedy = this.greedy;
    const wide = typeof input === "string";
    let s = this.start;
    let i = start;
    if (!greedy && p.terminal[s] === 1) return i;
    while (i < input.length) {
      let c: number;
      let width = 1;
      if (wide) {
        c = (input as string).codePointAt(i) as number;
        width = c > 0xffff ? 2 : 1;
      } else c = (input as Uint8Array)[i] as number;
      const t = c < TABLE_WIDTH ? (table[s * TABLE_WIDTH + c] as number) : wide ? p.lookup(s, c) : -1;
      if (t < 0) break;
      s = t;
      i += width;
      if (!greedy && p.terminal[s] === 1) return i;
    }
    return p.terminal[s] === 1 ? i : -1;
  }
}

import { CharSet, DFA, JS, NFA } from "refa";
import { CollectState, Machine, type MachineOptions, PassState, type StateNode } from "./builder.js";
import { RegexError } from "./errors.js";

/** Options of a regex machine. */
export interface RegexOptions extends MachineOptions {
  /** The machine's name, used in state paths; defaults to the pattern source (as cpppo does). */
  name?: string;
  /** Symbols are Unicode code points ("text", the default) or UTF-8 bytes ("bytes"). */
  alphabet?: "text" | "bytes";
  /** Ceiling on DFA states before compilation gives up with a RegexError; defaults to 10000. */
  maxStates?: number;
}

const MAX_CODE_POINT = 0x10ffff;
const MAX_BYTE = 0xff;

/** A DFA over either alphabet, reduced to what the machine builder needs. */
interface PlainDfa {
  readonly count: number;
  readonly initial: number;
  readonly finals: readonly boolean[];
  /** Per state: inclusive [lo, hi, target] triples. */
  readonly edges: readonly (readonly [number, number, number])[][];
}

function parseToDfa(source: string, flags: string, maxStates: number): DFA {
  let parser: JS.Parser;
  try {
    parser = JS.Parser.fromLiteral({ source, flags });
  } catch (err) {
    throw new RegexError(source, (err as Error).message, err);
  }
  try {
    const { expression, maxCharacter } = parser.parse({ assertions: "throw", backreferences: "throw" });
    const nfa = NFA.fromRegex(expression, { maxCharacter });
    const dfa = DFA.fromFA(nfa, new DFA.LimitedNodeFactory(maxStates));
    dfa.minimize();
    return dfa;
  } catch (err) {
    throw new RegexError(source, (err as Error).message, err);
  }
}

function flatten(dfa: DFA): PlainDfa {
  const ids = new Map<DFA.ReadonlyNode, number>();
  const order: DFA.ReadonlyNode[] = [];
  const idOf = (n: DFA.ReadonlyNode): number => {
    let id = ids.get(n);
    if (id === undefined) {
      id = order.length;
      ids.set(n, id);
      order.push(n);
    }
    return id;
  };
  idOf(dfa.initial);
  const edges: [number, number, number][][] = [];
  const finals: boolean[] = [];
  for (let i = 0; i < order.length; i++) {
    const node = order[i] as DFA.ReadonlyNode;
    const out: [number, number, number][] = [];
    for (const [range, to] of node.out.entries()) out.push([range.min, range.max, idOf(to)]);
    out.sort((a, b) => a[0] - b[0]);
    edges.push(out);
    finals.push(dfa.finals.has(node as DFA.Node));
  }
  return { count: order.length, initial: 0, finals, edges };
}

/** UTF-8 encoding of one scalar value. */
function utf8(cp: number): number[] {
  if (cp < 0x80) return [cp];
  if (cp < 0x800) return [0xc0 | (cp >> 6), 0x80 | (cp & 0x3f)];
  if (cp < 0x10000) return [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)];
  return [0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)];
}

/**
 * Splits the scalar values lo..hi into sequences of byte ranges whose concatenations are exactly their
 * UTF-8 encodings. Surrogates have no UTF-8 form and are left out.
 */
export function utf8Sequences(lo: number, hi: number, out: [number, number][][] = []): [number, number][][] {
  if (lo > hi) return out;
  if (lo <= 0xdfff && hi >= 0xd800) {
    if (lo < 0xd800) utf8Sequences(lo, 0xd7ff, out);
    if (hi > 0xdfff) utf8Sequences(0xe000, hi, out);
    return out;
  }
  for (const boundary of [0x7f, 0x7ff, 0xffff]) {
    if (lo <= boundary && hi > boundary) {
      utf8Sequences(lo, boundary, out);
      utf8Sequences(boundary + 1, hi, out);
      return out;
    }
  }
  const width = utf8(lo).length;
  // Align the range so each continuation byte spans a whole 0x80..0xBF block or one fixed value.
  for (let i = 1; i < width; i++) {
    const mask = (1 << (6 * i)) - 1;
    if ((lo & ~mask) !== (hi & ~mask)) {
      if ((lo & mask) !== 0) {
        utf8Sequences(lo, lo | mask, out);
        utf8Sequences((lo | mask) + 1, hi, out);
        return out;
      }
      if ((hi & mask) !== mask) {
        utf8Sequences(lo, (hi & ~mask) - 1, out);
        utf8Sequences(hi & ~mask, hi, out);
        return out;
      }
    }
  }
  const a = utf8(lo);
  const b = utf8(hi);
  out.push(a.map((x, i) => [x, b[i] as number]));
  return out;
}

/** Re-expresses a code-point DFA over UTF-8 bytes: each multi-byte transition becomes a chain of states. */
function toBytes(points: PlainDfa, maxStates: number): PlainDfa {
  const out: Map<number, CharSet>[] = [];
  const finals = new Set<number>();
  for (let s = 0; s < points.count; s++) {
    out.push(new Map());
    if (points.finals[s]) finals.add(s);
  }
  const link = (from: number, to: number, lo: number, hi: number): void => {
    const edges = out[from] as Map<number, CharSet>;
    const set = CharSet.fromRange(MAX_BYTE, { min: lo, max: hi });
    const had = edges.get(to);
    edges.set(to, had ? had.union(set) : set);
  };
  for (let s = 0; s < points.count; s++) {
    for (const [lo, hi, to] of points.edges[s] as (readonly [number, number, number])[]) {
      for (const seq of utf8Sequences(lo, hi)) {
        let from = s;
        for (let i = 0; i < seq.length; i++) {
          const [blo, bhi] = seq[i] as [number, number];
          let next = to;
          if (i < seq.length - 1) {
            next = out.length;
            out.push(new Map());
          }
          link(from, next, blo, bhi);
          from = next;
        }
      }
    }
  }
  try {
    const nfa = NFA.fromTransitionIterator(
      {
        initial: points.initial,
        getOut: (n) => out[n] as Map<number, CharSet>,
        isFinal: (n) => finals.has(n),
      },
      { maxCharacter: MAX_BYTE },
    );
    const dfa = DFA.fromFA(nfa, new DFA.LimitedNodeFactory(maxStates));
    dfa.minimize();
    return flatten(dfa);
  } catch (err) {
    throw new RegexError("(bytes)", (err as Error).message, err);
  }
}

/** Turns a DFA into machine nodes: a non-consuming start copy, then one collecting state per DFA state. */
function toMachine(name: string, dfa: PlainDfa, options: RegexOptions, alphabet: "text" | "bytes"): Machine {
  const states: CollectState[] = [];
  for (let s = 0; s < dfa.count; s++)
    states.push(new CollectState(`${name}#${s}`, { terminal: dfa.finals[s] }));
  const start = new PassState(`${name}#start`, { terminal: dfa.finals[dfa.initial] });
  const wire = (from: StateNode, s: number): void => {
    for (const [lo, hi, to] of dfa.edges[s] as (readonly [number, number, number])[]) {
      from.onRange(lo, hi, states[to] as CollectState);
    }
  };
  wire(start, dfa.initial);
  for (let s = 0; s < dfa.count; s++) wire(states[s] as CollectState, s);
  return new Machine(name, start, options, alphabet);
}

/**
 * A machine accepting a JavaScript regular expression (full Unicode, `u` semantics), compiled to a
 * minimal DFA with `refa`. Every state collects into `<context>.input`; terminal = accepted. Greedy
 * (default) keeps consuming while the DFA can; `greedy: false` stops at the first accepting state.
 * Lookarounds, anchors and backreferences have no DFA and throw a RegexError.
 */
export function regex(pattern: string | RegExp, options: RegexOptions = {}): Machine {
  const source = typeof pattern === "string" ? pattern : pattern.source;
  const given = typeof pattern === "string" ? "" : pattern.flags;
  // Only flags that change the language matter; g/y/m/d concern searching, which a DFA does not do.
  let flags = [...given].filter((f) => f === "i" || f === "s" || f === "u" || f === "v").join("");
  if (!flags.includes("u") && !flags.includes("v")) flags += "u";
  const alphabet = options.alphabet ?? "text";
  const maxStates = options.maxStates ?? 10000;
  const points = flatten(parseToDfa(source, flags, maxStates));
  const dfa = alphabet === "bytes" ? toBytes(points, maxStates) : points;
  return toMachine(options.name ?? source, dfa, options, alphabet);
}

/** Largest symbol of each alphabet, for callers that need the bound. */
export const MAX_SYMBOL = { text: MAX_CODE_POINT, bytes: MAX_BYTE } as const;

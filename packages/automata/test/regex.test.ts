import fc from "fast-check";
import { compile, Parser, RegexError, RegexMatcher, regex, utf8Sequences } from "../src/index.js";
import { parseChunked, utf8 } from "./support/parse.js";

// Patterns over a small alphabet so random strings often match; plus Unicode classes and astral symbols.
const PATTERNS = [
  "(ab+)((,[ ]*)(ab+))*",
  "a*b?c{2,3}",
  "(a|bc)*d",
  "[a-c]+?x|y",
  "(?:ab|ba)+(?:c|)",
  "[^abc]*a",
  "é+[ß-ü]?",
  "\\p{L}+\\d*",
  "😀|[😀-😂]a|.b",
  "(?:x|😀){1,3}é",
  "",
];
const ALPHABET = ["a", "b", "c", "d", "x", "y", ",", " ", "é", "ß", "ü", "😀", "😂", "1", "Z", "\u{10000}"];
const textArb = fc.array(fc.constantFrom(...ALPHABET), { maxLength: 12 }).map((a) => a.join(""));
const mixedArb = fc.oneof(textArb, fc.string({ unit: "grapheme", maxLength: 8 }));

describe("regex DFA agrees with JavaScript RegExp (full match, u flag)", () => {
  for (const pattern of PATTERNS) {
    const reference = new RegExp(`^(?:${pattern})$`, "u");
    const text = new RegexMatcher(pattern);
    const bytes = new RegexMatcher(pattern, { alphabet: "bytes" });
    const textProgram = compile(regex(pattern), { alphabet: "text" });
    const bytesProgram = compile(regex(pattern, { alphabet: "bytes" }), { alphabet: "bytes" });

    it(`/${pattern}/ in text and bytes mode`, () => {
      fc.assert(
        fc.property(mixedArb, (s) => {
          const expected = reference.test(s);
          expect(text.test(s)).toBe(expected);
          expect(bytes.test(utf8(s))).toBe(expected);
          // Through the general parser: accepted iff it ends done with every symbol consumed.
          const t = parseChunked(textProgram, s);
          expect(t.status === "done" && t.offset === [...s].length).toBe(expected);
          const b = parseChunked(bytesProgram, utf8(s));
          expect(b.status === "done" && b.offset === utf8(s).length).toBe(expected);
        }),
        { numRuns: 300 },
      );
    });
  }
});

describe("regex machines", () => {
  it("greedy takes the longest run the DFA allows, non-greedy the first accepted prefix", () => {
    expect(new RegexMatcher("a+").prefix("aaab")).toBe(3);
    expect(new RegexMatcher("a+", { greedy: false }).prefix("aaab")).toBe(1);
    expect(new RegexMatcher("a*", { greedy: false }).prefix("aaab")).toBe(0);
    expect(new RegexMatcher("ab|abcd").prefix("abcx")).toBe(-1);
    expect(new RegexMatcher("😀+").prefix("😀😀x")).toBe(4);
    expect(new RegexMatcher("é", { alphabet: "bytes" }).prefix(utf8("éé"))).toBe(2);
  });

  it("terminal is acceptance: the parser reports whether the input so far is accepted", () => {
    const parser = new Parser(compile(regex("ab+"), { alphabet: "text" }));
    expect(parser.feed("ab")).toBe("more");
    expect(parser.end()).toBe("done");
    expect(parser.result()).toEqual({ input: "ab" });
  });

  it("honours the i and s flags of a RegExp and ignores search-only flags", () => {
    const m = new RegexMatcher(/a.b/gis);
    expect(m.test("A\nB")).toBe(true);
    expect(new RegexMatcher(/a.b/).test("a\nb")).toBe(false);
  });

  it("throws RegexError for syntax errors and for features with no DFA", () => {
    expect(() => regex("(a")).toThrow(RegexError);
    expect(() => regex("a(?=b)")).toThrow(RegexError);
    expect(() => regex("(a+)\\1")).toThrow(expect.objectContaining({ code: "ERR_AUTOMATA_REGEX" }));
  });

  it("splits code point ranges into UTF-8 byte sequences that encode exactly that range", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0x10ffff }), fc.integer({ min: 0, max: 0x10ffff }), (x, y) => {
        const lo = Math.min(x, y);
        const hi = Math.max(x, y);
        const seqs = utf8Sequences(lo, hi);
        const inside = (cp: number) => {
          const enc = utf8(String.fromCodePoint(cp));
          return seqs.some(
            (seq) =>
              seq.length === enc.length &&
              seq.every(([a, b], i) => (enc[i] as number) >= a && (enc[i] as number) <= b),
          );
        };
        for (const cp of [lo, hi, lo + ((hi - lo) >> 1), Math.max(lo, hi - 1), Math.min(hi, 0xd7ff)]) {
          if (cp >= lo && cp <= hi && (cp < 0xd800 || cp > 0xdfff)) expect(inside(cp)).toBe(true);
        }
        if (lo > 0 && (lo - 1 < 0xd800 || lo - 1 > 0xdfff)) expect(inside(lo - 1)).toBe(false);
        if (hi < 0x10ffff && (hi + 1 < 0xd800 || hi + 1 > 0xdfff)) expect(inside(hi + 1)).toBe(false);
      }),
    );
  });
});

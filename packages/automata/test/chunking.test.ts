import fc from "fast-check";
import { collect, compile, count, drop, machine, type Program, regex, state, u8 } from "../src/index.js";
import { everyUnit, parseChunked, utf8 } from "./support/parse.js";

function csvProgram(alphabet: "text" | "bytes"): Program {
  const E = state("E");
  const A = collect("A");
  const B = collect("B", { terminal: true });
  E.on("a", A);
  A.on("b", B);
  B.on("b", B);
  const ABP = machine("ab+", E, { terminal: true });
  const SEP = drop("SEP");
  ABP.on(",", SEP);
  SEP.on(" ", SEP);
  SEP.epsilon(ABP);
  return compile(machine("CSV", ABP, { context: "csv" }), { alphabet });
}

/** [n:u8] then n records of [len:u8][len bytes], each record limited to its length: counts, repeats and limits at once. */
function recordsProgram(): Program {
  const n = count("n", 1, { context: "n", decode: u8 });
  const len = count("len", 1, { context: "len", decode: u8 });
  const body = machine("body", regex("[a-z]*", { alphabet: "bytes", context: "text", terminal: true }), {
    limit: "len",
    terminal: true,
  });
  len.epsilon(body);
  const record = machine("record", len, { repeat: "..n", context: "record", terminal: true });
  n.epsilon(record);
  return compile(machine("records", n), { alphabet: "bytes" });
}

const cutsArb = (length: number) =>
  fc.uniqueArray(fc.integer({ min: 0, max: Math.max(0, length) }), { maxLength: 8 });

describe("chunking invariance: any chunking gives the same result and the same error", () => {
  it("CSV composite, text", () => {
    const program = csvProgram("text");
    const inputArb = fc
      .array(fc.constantFrom("a", "b", ",", " ", "x"), { maxLength: 14 })
      .map((a) => a.join(""));
    fc.assert(
      fc.property(
        inputArb.chain((s) => fc.tuple(fc.constant(s), cutsArb(s.length))),
        ([s, cuts]) => {
          const whole = parseChunked(program, s);
          expect(parseChunked(program, s, cuts)).toEqual(whole);
          expect(parseChunked(program, s, everyUnit(s))).toEqual(whole);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("regex over astral text, split inside surrogate pairs", () => {
    const program = compile(regex("(?:😀|a)+[é😂]?"), { alphabet: "text" });
    const inputArb = fc
      .array(fc.constantFrom("a", "😀", "é", "😂", "b"), { maxLength: 8 })
      .map((a) => a.join(""));
    fc.assert(
      fc.property(inputArb, (s) => {
        expect(parseChunked(program, s, everyUnit(s))).toEqual(parseChunked(program, s));
      }),
    );
  });

  it("records with counts, repeats and limits from data, bytes; random bytes give results or coded errors", () => {
    const program = recordsProgram();
    const valid = utf8("\u0002\u0003abc\u0002xy");
    expect(parseChunked(program, valid).result).toEqual({
      n: 2,
      record: { len: 2, text: { input: utf8("abcxy") } },
    });
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 24 }).chain((b) => fc.tuple(fc.constant(b), cutsArb(b.length))),
        ([b, cuts]) => {
          const whole = parseChunked(program, b);
          if (whole.status === "error")
            expect(whole.error?.code).toMatch(/^ERR_AUTOMATA_(NON_TERMINAL|LIMIT)$/);
          expect(parseChunked(program, b, cuts)).toEqual(whole);
          expect(parseChunked(program, b, everyUnit(b))).toEqual(whole);
        },
      ),
      { numRuns: 500 },
    );
  });
});

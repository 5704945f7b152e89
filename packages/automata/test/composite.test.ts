import {
  collect,
  compile,
  count,
  decide,
  decode,
  drop,
  InvalidArgumentError,
  LimitError,
  machine,
  NonTerminalError,
  Parser,
  regex,
  resolvePath,
  state,
  u8,
  u16le,
} from "../src/index.js";
import { everyUnit, parseChunked } from "./support/parse.js";

const bytes = (...b: number[]) => Uint8Array.from(b);

/** A machine collecting decimal digits and decoding them to a number at `<context>`. */
function integer(name: string, context: string) {
  const start = state(`${name}.start`);
  const digit = collect(`${name}.digit`);
  const value = decode(`${name}.value`, (input) => Number(input), { terminal: true });
  const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
  start.when(isDigit, digit);
  digit.when(isDigit, digit);
  digit.epsilon(value);
  return machine(name, start, { context, terminal: true });
}

describe("decode and decide", () => {
  it("decode stores the collected input as a value at the state's context", () => {
    const out = parseChunked(compile(integer("int", "n"), { alphabet: "text" }), "1234;");
    expect(out).toMatchObject({ status: "done", offset: 4, result: { n: 1234 } });
  });

  it("decide branches on data parsed so far, then falls back", () => {
    // "<n>" then either ":even" or ":odd" depending on the parsed number.
    const num = integer("int", "");
    const evenTail = regex(":even", { context: "tail", terminal: true });
    const oddTail = regex(":odd", { context: "tail", terminal: true });
    num.epsilon(
      decide(evenTail, (v) => (v as number) % 2 === 0, { path: "value" }),
      decide(oddTail, (v) => (v as number) % 2 === 1, { path: "value" }),
    );
    const top = machine("parity", num);
    const program = compile(top, { alphabet: "text" });
    expect(parseChunked(program, "12:even").result).toMatchObject({ value: 12, tail: { input: ":even" } });
    expect(parseChunked(program, "7:odd").result).toMatchObject({ value: 7, tail: { input: ":odd" } });
    expect(parseChunked(program, "7:even").error?.code).toBe("ERR_AUTOMATA_NON_TERMINAL");
  });

  it("a decide with a null target stops the machine there", () => {
    const s = state("s", { terminal: true });
    const a = collect("a", { terminal: true });
    s.on(
      "a",
      decide(null, (_v, data) => (data.get("input") as string).length > 0),
      a,
    );
    a.on(
      "a",
      decide(null, (_v, data) => (data.get("input") as string).length >= 3),
      a,
    );
    const out = parseChunked(compile(machine("m", s), { alphabet: "text" }), "aaaaa");
    expect(out).toMatchObject({ status: "done", offset: 3, result: { input: "aaa" } });
  });
});

describe("repeat", () => {
  const ab = () => regex("ab", { terminal: true });

  it("runs a sub-machine a constant number of times", () => {
    const top = machine("top", machine("twice", ab(), { repeat: 2, terminal: true }));
    const program = compile(top, { alphabet: "text" });
    expect(parseChunked(program, "ababab")).toMatchObject({
      status: "done",
      offset: 4,
      result: { input: "abab" },
    });
    expect(parseChunked(program, "aba").error).toMatchObject({
      code: "ERR_AUTOMATA_NON_TERMINAL",
      offset: 3,
    });
  });

  it("reads the count from parsed data", () => {
    const n = count("n", 1, { context: "n", decode: u8 });
    const items = machine("items", count("item", 2, { context: "item", terminal: true }), {
      repeat: "n",
      terminal: true,
    });
    n.epsilon(items);
    const program = compile(machine("list", n), { alphabet: "bytes" });
    const out = parseChunked(program, bytes(3, 1, 2, 3, 4, 5, 6, 9));
    expect(out).toMatchObject({ status: "done", offset: 7, result: { n: 3, item: bytes(5, 6) } });
    expect(parseChunked(program, bytes(0, 9))).toMatchObject({ status: "done", offset: 1 });
  });

  it("rejects a count from the data above the ceiling with a LimitError", () => {
    const n = count("n", 1, { context: "n", decode: u8 });
    const items = machine("items", count("item", 1), { repeat: "n", terminal: true });
    n.epsilon(items);
    const program = compile(machine("list", n), { alphabet: "bytes", maxCount: 10 });
    const parser = new Parser(program);
    expect(() => parser.feed(bytes(200, 1, 2))).toThrow(LimitError);
  });
});

describe("limit", () => {
  it("bounds a greedy sub-machine by a constant", () => {
    const digits = regex("[0-9]+", { limit: 3, terminal: true, context: "a" });
    const rest = regex("[0-9]+", { context: "b", terminal: true });
    digits.epsilon(rest);
    const out = parseChunked(compile(machine("split", digits), { alphabet: "text" }), "12345");
    expect(out.result).toEqual({ a: { input: "123" }, b: { input: "45" } });
  });

  it("bounds a body by a parsed length field; past it only epsilon moves apply", () => {
    // [len:u16le] then a body of `len` bytes that is any number of 'x' (greedy, would run on).
    const len = count("length", 2, { context: "length", decode: u16le });
    const body = machine("body", regex("x*", { alphabet: "bytes", context: "body", terminal: true }), {
      limit: "length",
      terminal: true,
    });
    len.epsilon(body);
    const program = compile(machine("msg", len), { alphabet: "bytes" });
    const input = bytes(3, 0, 0x78, 0x78, 0x78, 0x78, 0x78);
    const out = parseChunked(program, input);
    expect(out).toMatchObject({
      status: "done",
      offset: 5,
      result: { length: 3, body: { input: bytes(0x78, 0x78, 0x78) } },
    });
    expect(parseChunked(program, input, everyUnit(input))).toEqual(out);
  });

  it("a body that is non-terminal when the limit is reached is a NonTerminalError", () => {
    const len = count("length", 1, { context: "length", decode: u8 });
    const body = machine("body", regex("xyz", { alphabet: "bytes" }), { limit: "length", terminal: true });
    len.epsilon(body);
    const out = parseChunked(compile(machine("msg", len), { alphabet: "bytes" }), bytes(2, 0x78, 0x79, 0x7a));
    expect(out.error).toMatchObject({
      code: "ERR_AUTOMATA_NON_TERMINAL",
      offset: 3,
      statePath: ["msg", "body", "xyz", "xyz#2"],
    });
  });
});

describe("counted runs", () => {
  it("take N symbols as one zero-copy slice when the run is inside one chunk", () => {
    const run = count("run", 4, { terminal: true, context: "run" });
    const chunk = bytes(1, 2, 3, 4, 5);
    const parser = new Parser(compile(machine("m", run), { alphabet: "bytes" }));
    expect(parser.feed(chunk)).toBe("done");
    const value = parser.get("run") as Uint8Array;
    expect(value).toEqual(bytes(1, 2, 3, 4));
    expect(value.buffer).toBe(chunk.buffer);
  });

  it("assemble a run that spans chunks, and take N from data", () => {
    const n = count("n", 1, { context: "n", decode: u8 });
    const run = count("run", "n", { terminal: true, context: "run" });
    n.epsilon(run);
    const program = compile(machine("m", n), { alphabet: "bytes" });
    const input = bytes(5, 10, 11, 12, 13, 14, 99);
    const whole = parseChunked(program, input);
    expect(whole).toMatchObject({ offset: 6, result: { n: 5, run: bytes(10, 11, 12, 13, 14) } });
    expect(parseChunked(program, input, [2, 4])).toEqual(whole);
    expect(parseChunked(program, input, everyUnit(input))).toEqual(whole);
  });

  it("count code points in text mode", () => {
    const run = count("run", 3, { terminal: true, context: "s" });
    const out = parseChunked(compile(machine("m", run), { alphabet: "text" }), "a😀bcd");
    expect(out).toMatchObject({ offset: 3, result: { s: "a😀b" } });
  });

  it("a truncated run is a NonTerminalError at end of input", () => {
    const run = count("run", 4, { terminal: true });
    const out = parseChunked(compile(machine("m", run), { alphabet: "bytes" }), bytes(1, 2));
    expect(out.error).toMatchObject({
      code: "ERR_AUTOMATA_NON_TERMINAL",
      offset: 2,
      excerpt: "01 02 | <end>",
    });
  });
});

describe("errors name the offending symbol whatever the chunking", () => {
  it("a stuck state with nothing to consume waits for the next symbol before failing", () => {
    const head = count("head", 2, { context: "head" });
    head.epsilon(state("stuck"));
    const program = compile(machine("m", head), { alphabet: "bytes" });
    const input = bytes(0x61, 0x62, 0x63);
    const whole = parseChunked(program, input);
    expect(whole.error).toMatchObject({ offset: 2, excerpt: "61 62 | 63", statePath: ["m", "stuck"] });
    expect(parseChunked(program, input, [2])).toEqual(whole);
    expect(parseChunked(program, input, everyUnit(input))).toEqual(whole);
    expect(parseChunked(program, input.subarray(0, 2)).error?.excerpt).toBe("61 62 | <end>");
  });

  it("reports text consumption in UTF-16 units of the chunk, astral symbols included", () => {
    const parser = new Parser(compile(regex("😀+a"), { alphabet: "text" }));
    expect(parser.feed("😀\ud83d")).toBe("more");
    expect(parser.feed("\ude00a!")).toBe("done");
    expect(parser.consumed).toBe(2);
    expect(parser.offset).toBe(3);
    expect(parser.result()).toEqual({ input: "😀😀a" });
  });
});

describe("machine checks and no-progress detection", () => {
  it("an epsilon loop without input ends the machine instead of spinning", () => {
    const a = state("a", { terminal: true });
    const b = state("b", { terminal: true });
    a.epsilon(b);
    b.epsilon(a);
    expect(parseChunked(compile(machine("loop", a), { alphabet: "bytes" }), bytes(1))).toMatchObject({
      status: "done",
      offset: 0,
    });
    const c = state("c");
    c.epsilon(c);
    expect(parseChunked(compile(machine("stuck", c), { alphabet: "bytes" }), bytes()).error?.code).toBe(
      "ERR_AUTOMATA_NON_TERMINAL",
    );
  });

  it("rejects ill-formed machines at build or compile time", () => {
    expect(() => state("s").on("ab", state("t"))).toThrow(InvalidArgumentError);
    expect(() => state("s").on("a", state("t")).on("a", state("u"))).toThrow(InvalidArgumentError);
    expect(() => compile(machine("m", collect("c")))).toThrow(InvalidArgumentError);
    expect(() => compile(machine("m", state("s").on(0x100, state("t"))), { alphabet: "bytes" })).toThrow(
      InvalidArgumentError,
    );
    expect(() => compile(regex("a"), { alphabet: "bytes" })).toThrow(/built for text/);
    const self = machine("self", state("s"));
    (self.initial as ReturnType<typeof state>).epsilon(self);
    expect(() => compile(self)).toThrow(/contains itself/);
  });

  it("errors carry a Symbol.for brand, so instanceof works on the code alone", () => {
    const fake = {
      [Symbol.for("cpppo.error.ERR_AUTOMATA_NON_TERMINAL")]: true,
      [Symbol.for("cpppo.error.base")]: true,
    };
    expect(fake).toBeInstanceOf(NonTerminalError);
    expect({}).not.toBeInstanceOf(NonTerminalError);
  });

  it("resolves data paths relative to the context, with leading dots going up", () => {
    expect(resolvePath("a.b", "len")).toBe("a.b.len");
    expect(resolvePath("a.b", "..len")).toBe("a.len");
    expect(resolvePath("a.b", "...len")).toBe("len");
    expect(resolvePath("", "len")).toBe("len");
  });

  it("drop consumes without storing; the parser refuses input after done", () => {
    const d = drop("d", { terminal: true });
    const s = state("s").on(" ", d);
    d.on(" ", d);
    const parser = new Parser(compile(machine("m", s), { alphabet: "text" }));
    expect(parser.feed("   x")).toBe("done");
    expect(parser.result()).toEqual({});
    expect(() => parser.feed("y")).toThrow(expect.objectContaining({ code: "ERR_AUTOMATA_STATE" }));
    parser.reset();
    expect(parser.feed(" x")).toBe("done");
    expect(parser.offset).toBe(1);
  });
});

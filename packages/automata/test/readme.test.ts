import {
  collect,
  compile,
  count,
  drop,
  machine,
  NonTerminalError,
  Parser,
  regex,
  state,
  u16le,
} from "../src/index.js";
import { everyUnit, parseChunked } from "./support/parse.js";

// cpppo's README: E --a--> A --b--> (B) --b--> (B); the ab+ machine.
function abPlus() {
  const E = state("E");
  const A = collect("A");
  const B = collect("B", { terminal: true });
  E.on("a", A);
  A.on("b", B);
  B.on("b", B);
  return E;
}

function csv() {
  const ABP = machine("ab+", abPlus(), { terminal: true });
  const SEP = drop("SEP");
  ABP.on(",", SEP);
  SEP.on(" ", SEP);
  SEP.epsilon(ABP);
  return machine("CSV", ABP, { context: "csv" });
}

describe("cpppo README examples over 'abbbb, ab'", () => {
  const input = "abbbb, ab";

  it("the ab+ machine accepts 'abbbb' and leaves ', ab'", () => {
    const parser = new Parser(compile(machine("ab+", abPlus(), { context: "basic" }), { alphabet: "text" }));
    expect(parser.feed(input)).toBe("done");
    expect(parser.consumed).toBe(5);
    expect(input.slice(parser.consumed)).toBe(", ab");
    expect(parser.result()).toEqual({ basic: { input: "abbbb" } });
  });

  it("the CSV composite accepts every ab+ and drops the separators", () => {
    const parser = new Parser(compile(csv(), { alphabet: "text" }));
    expect(parser.feed(input)).toBe("more");
    expect(parser.end()).toBe("done");
    expect(parser.offset).toBe(9);
    expect(parser.result()).toEqual({ csv: { input: "abbbbab" } });
  });

  it("the regex (ab+)((,[ ]*)(ab+))* accepts all of it, separators included", () => {
    const program = compile(regex("(ab+)((,[ ]*)(ab+))*", { context: "regex" }), { alphabet: "text" });
    const parser = new Parser(program);
    expect(parser.feed(input)).toBe("more");
    expect(parser.end()).toBe("done");
    expect(parser.result()).toEqual({ regex: { input: "abbbb, ab" } });
    // The minimal DFA is the README's drawing: start copy + states 2, 3, 4 (and the `,[ ]*` loop state).
    expect(program.names.filter((n) => n.startsWith("(ab+)"))).toHaveLength(5);
  });

  it("the same regex in bytes mode gives the same bytes", () => {
    const program = compile(regex("(ab+)((,[ ]*)(ab+))*", { alphabet: "bytes" }), { alphabet: "bytes" });
    const out = parseChunked(program, new TextEncoder().encode(input));
    expect(out.result).toEqual({ input: new TextEncoder().encode(input) });
  });

  it("greedy accepts 'abbb' of 'abbb,ab'; non-greedy stops at the first terminal state with 'ab'", () => {
    const greedy = new Parser(compile(machine("ab+", abPlus()), { alphabet: "text" }));
    expect(greedy.feed("abbb,ab")).toBe("done");
    expect(greedy.result()).toEqual({ input: "abbb" });
    const lazy = new Parser(compile(machine("ab+", abPlus(), { greedy: false }), { alphabet: "text" }));
    expect(lazy.feed("abbb,ab")).toBe("done");
    expect(lazy.consumed).toBe(2);
    expect(lazy.result()).toEqual({ input: "ab" });
  });

  it("a greedy regex is non-terminal when it runs into a dead end; a non-greedy one stops before", () => {
    const greedy = compile(regex("ab|abcd"), { alphabet: "text" });
    expect(parseChunked(greedy, "abcx").error?.code).toBe("ERR_AUTOMATA_NON_TERMINAL");
    const lazy = compile(regex("ab|abcd", { greedy: false }), { alphabet: "text" });
    expect(parseChunked(lazy, "abcx")).toMatchObject({ status: "done", offset: 2, result: { input: "ab" } });
  });

  it("ending in a non-terminal state is a NonTerminalError that says where", () => {
    const parser = new Parser(compile(csv(), { alphabet: "text" }));
    expect(parser.feed("abbbb, a")).toBe("more");
    let caught: unknown;
    try {
      parser.end();
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(NonTerminalError);
    expect(caught).toMatchObject({
      code: "ERR_AUTOMATA_NON_TERMINAL",
      offset: 8,
      symbol: -1,
      excerpt: '"abbbb, a" | <end>',
      statePath: ["CSV", "ab+", "A"],
    });
  });

  it("every README machine gives the same outcome fed one symbol at a time", () => {
    for (const m of [machine("ab+", abPlus(), { context: "basic" }), csv(), regex("(ab+)((,[ ]*)(ab+))*")]) {
      const program = compile(m, { alphabet: "text" });
      expect(parseChunked(program, input, everyUnit(input))).toEqual(parseChunked(program, input));
    }
  });
});

describe("README list results example", () => {
  it("gives one element per repetition", () => {
    const n = count("count", 2, { context: "count", decode: u16le });
    const type = count("type", 2, { context: "type_id", decode: u16le });
    const length = count("length", 2, { context: "length", decode: u16le });
    const data = count("data", "length", { context: "data", terminal: true });
    type.epsilon(length);
    length.epsilon(data);
    n.epsilon(machine("item", type, { repeat: "count", context: "items[]", terminal: true }));
    const parser = new Parser(compile(machine("cpf", n)));
    expect(parser.feed(Uint8Array.of(2, 0, 0, 0, 0, 0, 0xb2, 0, 3, 0, 7, 8, 9))).toBe("done");
    expect(parser.result()).toEqual({
      count: 2,
      items: [
        { type_id: 0, length: 0, data: new Uint8Array(0) },
        { type_id: 178, length: 3, data: Uint8Array.of(7, 8, 9) },
      ],
    });
    expect(parser.get("items[1].length")).toBe(3);
  });
});

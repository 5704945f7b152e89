/**
 * List results (cpppo's `.item[]`): a machine whose context ends in `[]` stores each repetition (and
 * each entry) in its own element. Includes a Common Packet Format parser built with the library and
 * checked against the `cpf` vectors (and the CPF inside full frames) of fixtures/enip-vectors.json.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import {
  collect,
  compile,
  count,
  decide,
  decode,
  drop,
  Framer,
  InvalidArgumentError,
  machine,
  Parser,
  type Program,
  regex,
  state,
  u8,
  u16le,
  u32le,
} from "../src/index.js";
import { everyUnit, parseChunked } from "./support/parse.js";

const bytes = (...b: number[]) => Uint8Array.from(b);
const fromHex = (hex: string) => Uint8Array.from(hex.match(/../g) ?? [], (h) => Number.parseInt(h, 16));

/** Feeds `input` one chunk and then symbol by symbol, and checks both give the same outcome. */
function sameAnyChunking(program: Program, input: Uint8Array | string) {
  const whole = parseChunked(program, input);
  expect(parseChunked(program, input, everyUnit(input))).toEqual(whole);
  return whole;
}

/** count u16, then count × { type_id u16, length u16, data[length] }: the shape of a CPF payload. */
function simpleCpf(): Program {
  const n = count("count", 2, { context: "count", decode: u16le });
  const type = count("type", 2, { context: "type_id", decode: u16le });
  const length = count("length", 2, { context: "length", decode: u16le });
  const data = count("data", "length", { context: "data", terminal: true });
  type.epsilon(length);
  length.epsilon(data);
  n.epsilon(machine("item", type, { repeat: "count", context: "items[]", terminal: true }));
  return compile(machine("cpf", n), { alphabet: "bytes" });
}

describe("list results: a machine context ending in []", () => {
  const twoItems = bytes(2, 0, 0, 0, 0, 0, 0xb2, 0, 3, 0, 7, 8, 9);

  it("each repetition lands in its own element", () => {
    const out = sameAnyChunking(simpleCpf(), twoItems);
    expect(out).toEqual({
      status: "done",
      offset: 13,
      result: {
        count: 2,
        items: [
          { type_id: 0, length: 0, data: bytes() },
          { type_id: 0xb2, length: 3, data: bytes(7, 8, 9) },
        ],
      },
    });
  });

  it("get reads elements by index, and the current element through its slot path", () => {
    const program = simpleCpf();
    const parser = new Parser(program);
    expect(parser.feed(twoItems)).toBe("done");
    expect(parser.get("items[1].length")).toBe(3);
    expect(parser.get("items[0].type_id")).toBe(0);
    expect(parser.get("items[1].data")).toEqual(bytes(7, 8, 9));
    expect(parser.get("items[2].length")).toBeUndefined();
    expect(parser.get("items[1].nope")).toBeUndefined();
    expect(parser.get("items[x]")).toBeUndefined();
    expect((parser.get("items") as unknown[]).length).toBe(2);
    // The slot path of the element being (or last) parsed, as decides inside the machine read it.
    expect(program.slotOf("items[].length")).toBeGreaterThanOrEqual(0);
    expect(program.slotIsList[program.slotOf("items")]).toBe(1);
    expect(parser.get("items[].length")).toBe(3);
  });

  it("mid-parse, the element being parsed shows as the last element; results are copies", () => {
    const parser = new Parser(simpleCpf());
    expect(parser.feed(twoItems.subarray(0, 10))).toBe("more"); // second item: type and length read
    const mid = parser.result();
    expect(mid).toEqual({
      count: 2,
      items: [
        { type_id: 0, length: 0, data: bytes() },
        { type_id: 0xb2, length: 3 },
      ],
    });
    expect(parser.get("items[1].length")).toBe(3);
    expect(parser.feed(twoItems.subarray(10))).toBe("done");
    expect((mid.items as unknown[]).length).toBe(2);
    expect((parser.result().items as { data: Uint8Array }[])[1]?.data).toEqual(bytes(7, 8, 9));
  });

  it("repeat 0 gives an empty list; reset and Framer start each run with fresh lists", () => {
    const program = simpleCpf();
    expect(sameAnyChunking(program, bytes(0, 0)).result).toEqual({ count: 0, items: [] });
    const parser = new Parser(program);
    parser.feed(twoItems);
    parser.reset();
    expect(parser.result()).toEqual({});
    parser.feed(bytes(1, 0, 5, 0, 1, 0, 42));
    expect(parser.result()).toEqual({ count: 1, items: [{ type_id: 5, length: 1, data: bytes(42) }] });

    const seen: unknown[] = [];
    const framer = new Framer(program, (p) => seen.push(p.result().items));
    framer.push(Uint8Array.of(...twoItems, 1, 0, 5, 0, 1, 0, 42, 0));
    framer.push(bytes(0));
    expect(seen).toEqual([
      [
        { type_id: 0, length: 0, data: bytes() },
        { type_id: 0xb2, length: 3, data: bytes(7, 8, 9) },
      ],
      [{ type_id: 5, length: 1, data: bytes(42) }],
      [],
    ]);
  });

  it("nested repeats, lists of scalars, and decides reading the current element", () => {
    // [n:u8] then n groups of [m:u8][tag:u8] and m values; tag 1: each value is a u8, tag 2: a u16le.
    const n = count("n", 1, { context: "n", decode: u8 });
    const m = count("m", 1, { context: "m", decode: u8 });
    const tag = count("tag", 1, { context: "tag", decode: u8 });
    const v8 = machine("v8", count("b", 1, { decode: u8, terminal: true }), {
      repeat: "m",
      context: "vals[]",
      terminal: true,
    });
    const v16 = machine("v16", count("w", 2, { decode: u16le, terminal: true }), {
      repeat: "m",
      context: "vals[]",
      terminal: true,
    });
    m.epsilon(tag);
    tag.epsilon(
      decide(v8, (t) => t === 1, { path: "tag" }),
      decide(v16, (t) => t === 2, { path: "tag" }),
    );
    n.epsilon(machine("group", m, { repeat: "n", context: "groups[]", terminal: true }));
    const program = compile(machine("top", n), { alphabet: "bytes" });
    const input = bytes(3, 2, 1, 10, 11, 0, 2, 2, 2, 0x34, 0x12, 0xff, 0);
    expect(sameAnyChunking(program, input)).toEqual({
      status: "done",
      offset: 13,
      result: {
        n: 3,
        groups: [
          { m: 2, tag: 1, vals: [10, 11] },
          { m: 0, tag: 2, vals: [] },
          { m: 2, tag: 2, vals: [0x1234, 0xff] },
        ],
      },
    });
    const parser = new Parser(program);
    parser.feed(input);
    expect(parser.get("groups[2].vals[0]")).toBe(0x1234);
    expect(parser.get("groups[0].vals")).toEqual([10, 11]);
    // A bad tag fails in the element being parsed; the result shows the elements so far.
    const bad = parseChunked(program, bytes(2, 1, 1, 7, 1, 9, 4));
    expect(bad.error?.code).toBe("ERR_AUTOMATA_NON_TERMINAL");
    expect(bad.error?.statePath).toEqual(["top", "group", "tag"]);
  });

  it("any chunking of random nested input gives the same results and errors", () => {
    const n = count("n", 1, { context: "n", decode: u8 });
    const len = count("len", 1, { context: "len", decode: u8 });
    const word = machine("word", regex("[a-z]*", { alphabet: "bytes", context: "w", terminal: true }), {
      limit: "len",
      terminal: true,
    });
    const k = count("k", 1, { context: "k", decode: u8 });
    const inner = machine("inner", len, { repeat: "k", context: "words[]", terminal: true });
    len.epsilon(word);
    k.epsilon(inner);
    n.epsilon(machine("outer", k, { repeat: "n", context: "recs[]", terminal: true }));
    const program = compile(machine("top", n), { alphabet: "bytes" });
    expect(sameAnyChunking(program, bytes(2, 2, 1, 97, 0, 1, 2, 98, 99)).result).toEqual({
      n: 2,
      recs: [
        { k: 2, words: [{ len: 1, w: { input: bytes(97) } }, { len: 0 }] },
        { k: 1, words: [{ len: 2, w: { input: bytes(98, 99) } }] },
      ],
    });
    const small = fc.oneof(
      fc.integer({ min: 0, max: 3 }),
      fc.integer({ min: 97, max: 100 }),
      fc.integer({ min: 0, max: 255 }),
    );
    fc.assert(
      fc.property(
        fc
          .array(small, { maxLength: 20 })
          .chain((a) =>
            fc.tuple(fc.constant(Uint8Array.from(a)), fc.uniqueArray(fc.nat(a.length), { maxLength: 6 })),
          ),
        ([input, cuts]) => {
          const whole = sameAnyChunking(program, input);
          expect(parseChunked(program, input, cuts)).toEqual(whole);
        },
      ),
      { numRuns: 400 },
    );
  });

  it("a repeat read from data past maxCount fails with the same LimitError whatever the chunking", () => {
    const n = count("n", 1, { context: "n", decode: u8 });
    n.epsilon(
      machine("item", count("b", 1, { context: "b", terminal: true }), {
        repeat: "n",
        context: "items[]",
        terminal: true,
      }),
    );
    const program = compile(machine("top", n), { alphabet: "bytes", maxCount: 2 });
    const out = sameAnyChunking(program, bytes(3, 1, 2, 3));
    expect(out.error).toMatchObject({ code: "ERR_AUTOMATA_LIMIT", offset: 1, excerpt: "03 | 01" });
    expect(sameAnyChunking(program, bytes(3)).error).toMatchObject({ excerpt: "03 | <end>" });
  });

  it("a list machine entered again appends (cpppo's loop style), text alphabet", () => {
    const E = state("E");
    const A = collect("A");
    const B = collect("B", { terminal: true });
    E.on("a", A);
    A.on("b", B);
    B.on("b", B);
    const field = machine("ab+", E, { context: "fields[]", terminal: true });
    const sep = drop("sep");
    field.on(",", sep);
    sep.on(" ", sep);
    sep.epsilon(field);
    const program = compile(machine("CSV", field, { context: "csv" }), { alphabet: "text" });
    expect(sameAnyChunking(program, "abb, ab,ab")).toMatchObject({
      status: "done",
      result: { csv: { fields: [{ input: "abb" }, { input: "ab" }, { input: "ab" }] } },
    });
    // A decoded value at the element's own path makes a list of scalars.
    const digit = collect("d");
    const num = decode("num", (s) => Number(s), { terminal: true });
    const start = state("s");
    const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
    start.when(isDigit, digit);
    digit.when(isDigit, digit);
    digit.epsilon(num);
    const n = machine("n", start, { context: "ns[]", terminal: true });
    const comma = drop("comma");
    n.on(",", comma);
    comma.epsilon(n);
    expect(sameAnyChunking(compile(machine("nums", n), { alphabet: "text" }), "12,3,456").result).toEqual({
      ns: [12, 3, 456],
    });
  });

  it("rejects [] outside a machine's context end, and a list path used as a value", () => {
    expect(() => count("x", 1, { context: "xs[]" })).toThrow(InvalidArgumentError);
    expect(() => machine("m", state("s"), { context: "a[].b" })).toThrow(/only at its end/);
    expect(() => machine("m", state("s"), { context: "[]" })).toThrow(InvalidArgumentError);
    expect(() => machine("m", state("s"), { context: "a[0]" })).toThrow(InvalidArgumentError);
    expect(() => state("s", { context: "a]" })).toThrow(InvalidArgumentError);
    const a = count("a", 1, { context: "items", terminal: true });
    a.epsilon(machine("m", count("b", 1, { terminal: true }), { context: "items[]", terminal: true }));
    expect(() => compile(machine("top", a))).toThrow(/used both as a decoded value and as a list/);
    expect(state("s", { context: "a.b" }).isList).toBe(false);
    expect(machine("m", state("s"), { context: "a.bs[]" }).isList).toBe(true);
  });
});

// ---- The Common Packet Format, built with the library, against the real vectors --------------------

interface CpfItem {
  type_id: number;
  length: number;
  connection_id?: number;
  sequence?: number;
  version?: number;
  capability_flags?: number;
  service_name?: string;
  [key: string]: unknown;
}
interface Vector {
  name: string;
  hex: string;
  frame: string;
  malformed?: boolean;
  decoded: {
    command?: number;
    length?: number;
    cpf?: { count: number; items: CpfItem[] };
    count?: number;
    items?: CpfItem[];
  };
}

/**
 * CPF: count u16, then count items of { type_id u16, length u16, body }, the body limited to the item's
 * length and chosen by a decide on the current item's type_id: 0x00A1 connection_id u32, 0x00B1 a
 * sequence u16 then data, 0x0100 version, capability_flags and a NUL-padded service name; other types
 * keep their bytes as `data`. A zero length skips the body.
 */
function cpfMachine(context: string) {
  const n = count("count", 2, { context: "count", decode: u16le });
  const type = count("type_id", 2, { context: "type_id", decode: u16le });
  const length = count("length", 2, { context: "length", decode: u16le, terminal: true });

  const raw = state("raw", { terminal: true });
  const byte = collect("byte", { context: "data", terminal: true });
  raw.any(byte);
  byte.any(byte);
  const connection = count("connection_id", 4, { context: "connection_id", decode: u32le, terminal: true });
  const sequence = count("sequence", 2, { context: "sequence", decode: u16le, terminal: true });
  sequence.epsilon(raw);
  const version = count("version", 2, { context: "version", decode: u16le });
  const flags = count("capability_flags", 2, { context: "capability_flags", decode: u16le });
  const name0 = state("name0");
  const nameByte = collect("nameByte", { context: "service_name" });
  const name = decode(
    "service_name",
    (input) => new TextDecoder("latin1").decode(input as Uint8Array).replace(/\0+$/, ""),
    { context: "service_name", terminal: true },
  );
  version.epsilon(flags);
  flags.epsilon(name0);
  name0.any(nameByte);
  name0.epsilon(name);
  nameByte.any(nameByte);
  nameByte.epsilon(name);

  const body0 = state("body");
  body0.epsilon(
    decide(connection, (t) => t === 0xa1, { path: "type_id" }),
    decide(sequence, (t) => t === 0xb1, { path: "type_id" }),
    decide(version, (t) => t === 0x100, { path: "type_id" }),
    raw,
  );
  const body = machine("body", body0, { limit: "length", terminal: true });
  type.epsilon(length);
  length.epsilon(decide(body, (len) => (len as number) > 0, { path: "length" }));
  n.epsilon(machine("item", type, { repeat: "count", context: "items[]", terminal: true }));
  return machine("CPF", n, { context, terminal: true });
}

/** An encapsulation frame: 24-byte header; SendRRData/SendUnitData add interface and timeout before the CPF. */
function frameMachine() {
  const u16 = (ctx: string, terminal = false) => count(ctx, 2, { context: ctx, decode: u16le, terminal });
  const u32 = (ctx: string, terminal = false) => count(ctx, 4, { context: ctx, decode: u32le, terminal });
  const command = u16("command");
  const length = u16("length");
  const session = u32("session");
  const status = u32("status");
  const senderContext = count("sender_context", 8, { context: "sender_context" });
  const options = u32("options", true);
  command.epsilon(length);
  length.epsilon(session);
  session.epsilon(status);
  status.epsilon(senderContext);
  senderContext.epsilon(options);
  const iface = u32("interface");
  const timeout = u16("timeout");
  iface.epsilon(timeout);
  timeout.epsilon(cpfMachine("cpf"));
  const rr = machine("sendData", iface, { limit: "length", terminal: true });
  const list = machine("list", cpfMachine("cpf"), { limit: "length", terminal: true });
  options.epsilon(
    decide(null, (len) => len === 0, { path: "length" }),
    decide(rr, (c) => c === 0x6f || c === 0x70, { path: "command" }),
    list,
  );
  return machine("ENIP", command);
}

function findVectors(): Vector[] {
  return JSON.parse(readFileSync(join(__dirname, "..", "fixtures", "enip-vectors.json"), "utf8")) as Vector[];
}

/** Checks parsed CPF items against a vector's decoded items, field by field where the parser decodes them. */
function expectItems(parsed: CpfItem[], expected: CpfItem[], raw: Uint8Array, at: number) {
  expect(parsed.map((i) => [i.type_id, i.length])).toEqual(expected.map((i) => [i.type_id, i.length]));
  let offset = at + 2;
  parsed.forEach((item, k) => {
    const want = expected[k] as CpfItem;
    const body = raw.subarray(offset + 4, offset + 4 + item.length);
    offset += 4 + item.length;
    if (item.type_id === 0xa1) expect(item.connection_id).toBe(want.connection_id);
    else if (item.type_id === 0xb1) {
      expect(item.sequence).toBe(want.sequence);
      expect(item.data).toEqual({ input: body.subarray(2) });
    } else if (item.type_id === 0x100) {
      expect([item.version, item.capability_flags, item.service_name]).toEqual([
        want.version,
        want.capability_flags,
        want.service_name,
      ]);
    } else if (item.length > 0) {
      expect(item.data).toEqual({ input: body });
      if (item.type_id === 0xb2) expect(body[0]).toBe((want.cip as { service: number }).service);
    } else expect(item.data).toBeUndefined();
  });
}

describe("CPF built with the library, over real bytes from enip-vectors.json", () => {
  const vectors = findVectors();
  const cpfVectors = vectors.filter((v) => v.frame === "cpf" && v.decoded.items !== undefined);
  const cpfProgram = compile(cpfMachine(""), { alphabet: "bytes" });

  it("covers the cpf vectors", () => {
    expect(cpfVectors.map((v) => v.name)).toEqual(
      expect.arrayContaining(["cpf_1", "cpf_1_rpy", "cpf_type_0x0001", "cpf_count0", "cpf_listservices_abc"]),
    );
  });

  it.each(cpfVectors.map((v) => [v.name, v] as const))("%s: items match `decoded`, any chunking", (_, v) => {
    const raw = fromHex(v.hex);
    const out = sameAnyChunking(cpfProgram, raw);
    expect(out.status).toBe("done");
    expect(out.offset).toBe(raw.length);
    const result = out.result as { count: number; items: CpfItem[] };
    expect(result.count).toBe(v.decoded.count);
    expectItems(result.items, v.decoded.items as CpfItem[], raw, 0);
  });

  const frames = vectors.filter((v) => v.frame === "full" && v.decoded.cpf !== undefined && !v.malformed);
  const frameProgram = compile(frameMachine(), { alphabet: "bytes" });

  it("parses the CPF inside every well-formed full frame that has one", () => {
    expect(frames.length).toBeGreaterThan(40);
    for (const v of frames) {
      const raw = fromHex(v.hex);
      const out = sameAnyChunking(frameProgram, raw);
      expect([v.name, out.status, out.offset]).toEqual([v.name, "done", raw.length]);
      const result = out.result as {
        command: number;
        length: number;
        cpf: { count: number; items: CpfItem[] };
      };
      expect([result.command, result.length]).toEqual([v.decoded.command, v.decoded.length]);
      const cpf = v.decoded.cpf as { count: number; items: CpfItem[] };
      expect(result.cpf.count).toBe(cpf.count);
      expectItems(
        result.cpf.items,
        cpf.items,
        raw,
        result.command === 0x6f || result.command === 0x70 ? 30 : 24,
      );
    }
  });

  it("the bad-framing ListIdentity reply: the item's declared length bounds its data", () => {
    const v = vectors.find((x) => x.name === "listident_1_rpy_bad_CPF_framing") as Vector;
    const raw = fromHex(v.hex);
    const parser = new Parser(frameProgram);
    // The frame's length (72) covers 66 item bytes, but the item stops at its declared 39, and so
    // does the CPF (count 1): 27 bytes of the frame are left over.
    expect(parser.feed(raw)).toBe("done");
    expect(parser.consumed).toBe(raw.length - 27);
    expect(parser.get("cpf.items[0].length")).toBe(39);
    expect((parser.get("cpf.items[0].data.input") as Uint8Array).length).toBe(39);
  });
});

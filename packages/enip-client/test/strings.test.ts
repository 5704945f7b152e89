// Strings, the client side (issue 9, item 6). SSTRING and STRING values of odd and even length, empty, of the
// maximum length and with non-ASCII (ISO-8859-1) bytes round-trip our client and our simulator, whose STRING tags
// are the Logix STRING structure. cpppo serves a STRING tag as CIP STRING (0xD0): a UINT length and the characters,
// padded to an even byte count, e.g. Read Tag of "abc" → cc 00 00 00 d0 00 03 00 61 62 63 00; the client decodes
// that, and writes CIP STRING with the same pad.
import { EnipClient } from "../src/client.js";
import { parseOperation } from "../src/parse-operations.js";
import {
  connectSimple,
  frameOf,
  headerOf,
  type RawServer,
  REGISTER_DATA,
  rawServer,
  rrData,
  rrRequest,
} from "./support/raw-server.js";
import { type Simulator, startSimulator } from "./support/simulator.js";

const hex = (text: string): Uint8Array =>
  Uint8Array.from(text.split(/\s+/).map((b) => Number.parseInt(b, 16)));
const latin1 = (text: string): number[] => [...text].map((c) => c.charCodeAt(0));

const VALUES = ["", "a", "ab", "abc", "héllo wörld ÿ", "\u00a0\u00ff\u0001~"];

describe("strings between our client and our simulator", () => {
  let sim: Simulator;
  let client: EnipClient;
  beforeAll(async () => {
    sim = await startSimulator(["SS=SSTRING", "SSA=SSTRING[4]", "LS=STRING", "LSA=STRING[4]"]);
    client = await EnipClient.connect({ host: "127.0.0.1", port: sim.port, timeout: 5000 });
  });
  afterAll(async () => {
    await client.close();
    await sim.server.close();
  });

  test.each([...VALUES, "x".repeat(255)])("SSTRING %j round-trips", async (value) => {
    const w = await client.write("SS", [value], { type: "SSTRING" });
    expect(w.ok).toBe(true);
    const r = await client.read("SS");
    expect(r.ok).toBe(true);
    expect(r.type).toBe(0xda);
    expect(r.value).toEqual([value]);
  });

  test("an SSTRING longer than 255 characters is refused before it is sent", async () => {
    await expect(client.write("SS", ["x".repeat(256)], { type: "SSTRING" })).rejects.toMatchObject({
      code: "ERR_INVALID_ARG",
    });
  });

  test.each([...VALUES, "y".repeat(82)])("Logix STRING %j round-trips, as its structure", async (value) => {
    // Untyped: the client reads the tag's type (the STRING structure) and writes that.
    const w = await client.write("LS", [value]);
    expect(w.ok).toBe(true);
    const r = await client.read("LS");
    expect(r.type).toBe(0x02a0);
    expect(r.structureHandle).toBe(0x0fce);
    expect(r.value).toEqual([value]);
  });

  test.each([...VALUES, "z".repeat(82)])("(STRING) %j written as CIP STRING reads back", async (value) => {
    // A cast to STRING sends CIP STRING (0xD0, padded); the simulator stores it in its Logix STRING.
    const w = await client.write("LS", [value], { type: "STRING" });
    expect(w.ok).toBe(true);
    expect((await client.read("LS")).value).toEqual([value]);
  });

  test("arrays of odd and even lengths round-trip through the operation grammar", async () => {
    const ops = [parseOperation('SSA[0-3]=(SSTRING)"",a,ab,"héllo"'), parseOperation("SSA[0-3]")];
    const results = [];
    for await (const r of client.pipeline(ops)) results.push(r);
    expect(results.map((r) => r.ok)).toEqual([true, true]);
    expect(results[1]?.value).toEqual(["", "a", "ab", "héllo"]);
    const w = await client.write("LSA[0]", ["", "a", "ab", "abc"], { elements: 4 });
    expect(w.ok).toBe(true);
    expect((await client.read("LSA[0]", { elements: 4 })).value).toEqual(["", "a", "ab", "abc"]);
  });

  test("an array written as CIP STRING (each element padded) reads back", async () => {
    const results = [];
    for await (const r of client.pipeline([parseOperation('LSA[0-3]=(STRING)abc,de,f,""')])) results.push(r);
    expect(results[0]?.ok).toBe(true);
    expect((await client.read("LSA[0]", { elements: 4 })).value).toEqual(["abc", "de", "f", ""]);
  });
});

describe("cpppo's CIP STRING (0xD0) tags", () => {
  let server: RawServer;
  let client: EnipClient;
  const writes: Uint8Array[] = [];
  /** The Read Tag reply data cpppo gives, by tag name. */
  const replies = new Map<string, Uint8Array>([
    // The verified reply to Read Tag of a STRING "abc": data d0 00 03 00 61 62 63 00.
    ["TEXT", hex("cc 00 00 00 d0 00 03 00 61 62 63 00")],
    // An even length has no pad.
    ["EVEN", hex("cc 00 00 00 d0 00 02 00 61 62")],
    ["EMPTY", hex("cc 00 00 00 d0 00 00 00")],
    // Three elements, each padded to even: "abc", "de", "é".
    ["ARR", hex("cc 00 00 00 d0 00 03 00 61 62 63 00 02 00 64 65 01 00 e9 00")],
  ]);
  beforeAll(async () => {
    server = await rawServer((frame, socket) => {
      const h = headerOf(frame);
      if (h.command === 0x65) {
        socket.write(frameOf(0x65, 0x77, 0, h.context, REGISTER_DATA));
        return;
      }
      if (h.command !== 0x6f) return;
      // Simple requests (no route): Read Tag 4c / Write Tag 4d, symbolic path of one name.
      const cip = rrRequest(frame);
      const name = new TextDecoder("latin1").decode(cip.subarray(4, 4 + (cip[3] as number)));
      const after = 2 + 2 * (cip[1] as number);
      let reply: Uint8Array;
      if (cip[0] === 0x4c) reply = replies.get(name) ?? hex("cc 00 04 00");
      else if (cip[0] === 0x4d) {
        writes.push(cip.slice(after));
        reply = hex("cd 00 00 00");
      } else reply = Uint8Array.of((cip[0] as number) | 0x80, 0, 0x08, 0);
      socket.write(frameOf(0x6f, 0x77, 0, h.context, rrData(reply)));
    });
    client = await connectSimple(server.port);
  });
  afterAll(async () => {
    await client.close();
    await server.close();
  });

  test.each([
    ["TEXT", ["abc"]],
    ["EVEN", ["ab"]],
    ["EMPTY", [""]],
    ["ARR", ["abc", "de", "é"]],
  ])("Read Tag of %s decodes the padded CIP STRING", async (tag, value) => {
    const r = await client.read(tag as string, { elements: (value as string[]).length });
    expect(r.ok).toBe(true);
    expect(r.type).toBe(0xd0);
    expect(r.value).toEqual(value);
  });

  test("a CIP STRING write is padded after an odd length, not after an even one", async () => {
    writes.length = 0;
    const odd = await client
      .pipeline([parseOperation("TEXT=(STRING)abc")])
      [Symbol.asyncIterator]()
      .next();
    expect(odd.value?.ok).toBe(true);
    expect((await client.write("EVEN", ["ab"], { type: "STRING" })).ok).toBe(true);
    // Untyped: the type read from the tag (0xD0) is written, padded too.
    expect((await client.write("ARR", ["é", "xy"])).ok).toBe(true);
    expect(writes.map((w) => [...w])).toEqual([
      [0xd0, 0, 1, 0, 3, 0, ...latin1("abc"), 0],
      [0xd0, 0, 1, 0, 2, 0, ...latin1("ab")],
      [0xd0, 0, 2, 0, 1, 0, 0xe9, 0, 2, 0, ...latin1("xy")],
    ]);
  });
});

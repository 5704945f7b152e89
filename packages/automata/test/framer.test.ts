import fc from "fast-check";
import { compile, Framer, lengthPrefixedFrame, NonTerminalError, type Parser } from "../src/index.js";

const program = compile(lengthPrefixedFrame(), { alphabet: "bytes" });

/** Encodes payloads as [u16le length][payload] frames. */
function encode(payloads: readonly Uint8Array[]): Uint8Array {
  const total = payloads.reduce((n, p) => n + 2 + p.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of payloads) {
    out[o] = p.length & 0xff;
    out[o + 1] = p.length >> 8;
    out.set(p, o + 2);
    o += 2 + p.length;
  }
  return out;
}

function split(stream: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const bounds = [...new Set(cuts)].filter((c) => c > 0 && c < stream.length).sort((a, b) => a - b);
  bounds.push(stream.length);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const to of bounds) {
    chunks.push(stream.subarray(from, to));
    from = to;
  }
  return chunks;
}

function collectFrames(chunks: readonly Uint8Array[]): Uint8Array[] {
  const frames: Uint8Array[] = [];
  const payload = program.slotOf("payload");
  const framer = new Framer(program, (p: Parser) =>
    frames.push(Uint8Array.from(p.slotValue(payload) as Uint8Array)),
  );
  for (const c of chunks) framer.push(c);
  framer.end();
  return frames;
}

describe("length-prefixed framer built from a counted run", () => {
  // Two frames: length 3 "abc", length 0 (empty payload).
  const stream = Uint8Array.from([0x03, 0x00, 0x61, 0x62, 0x63, 0x00, 0x00]);

  it("splits whole input into frames, including an empty one", () => {
    expect(collectFrames([stream])).toEqual([Uint8Array.from([0x61, 0x62, 0x63]), new Uint8Array(0)]);
  });

  it("gives the same frames at every split point and byte by byte", () => {
    const whole = collectFrames([stream]);
    for (let cut = 0; cut <= stream.length; cut++) expect(collectFrames(split(stream, [cut]))).toEqual(whole);
    expect(collectFrames(split(stream, [1, 2, 3, 4, 5, 6]))).toEqual(whole);
  });

  it("returns the same payloads for any frames in any chunking (fast-check)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 6 }),
        fc.array(fc.nat(2000), { maxLength: 10 }),
        (payloads, cuts) => {
          expect(collectFrames(split(encode(payloads), cuts))).toEqual(payloads);
        },
      ),
    );
  });

  it("reports a truncated last frame as a NonTerminalError at end()", () => {
    const framer = new Framer(program, () => {});
    expect(framer.push(Uint8Array.from([0x05, 0x00, 0x01]))).toBe(0);
    expect(() => framer.end()).toThrow(NonTerminalError);
  });

  it("reads a 4-byte big-endian length too", () => {
    const be = compile(lengthPrefixedFrame({ lengthBytes: 4, bigEndian: true }), { alphabet: "bytes" });
    const seen: unknown[] = [];
    const framer = new Framer(be, (p) => seen.push(p.result()));
    expect(framer.push(Uint8Array.from([0, 0, 0, 2, 9, 8, 0, 0]))).toBe(1);
    expect(seen).toEqual([{ length: 2, payload: Uint8Array.from([9, 8]) }]);
  });
});

import { readFileSync } from "node:fs";
import fc from "fast-check";
import { CipDecodeError, CpppoError } from "../src/core/errors.js";
import { fromHex, toHex } from "../src/core/hex.js";
import { decodeEncapsulation, encodeEncapsulation } from "../src/encapsulation/encapsulation.js";
import { EnipFramer } from "../src/encapsulation/framer.js";
import { fixturePath } from "./support/vectors.js";

interface CaptureFrame {
  direction: string;
  tcp_payload_hex: string;
}

const capture = JSON.parse(
  readFileSync(fixturePath("controllogix-SCADA-read-write.frames.json"), "utf8"),
) as {
  frames: CaptureFrame[];
};
const vectors = JSON.parse(readFileSync(fixturePath("enip-vectors.json"), "utf8")) as {
  name: string;
  hex: string;
  frame: string;
}[];

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Pushes `stream` cut at `cuts` (sorted offsets) into a fresh framer and returns every frame, as hex. */
function frameAt(stream: Uint8Array, cuts: readonly number[], framer = new EnipFramer()): string[] {
  const out: string[] = [];
  let from = 0;
  for (const cut of [...cuts, stream.length]) {
    // Copy each chunk, as a socket would hand over fresh buffers.
    for (const f of framer.push(stream.slice(from, cut))) out.push(toHex(f));
    from = cut;
  }
  expect(framer.buffered).toBe(0);
  framer.end();
  return out;
}

function everyChunk(stream: Uint8Array, size: number): number[] {
  const cuts: number[] = [];
  for (let at = size; at < stream.length; at += size) cuts.push(at);
  return cuts;
}

function decodeError(run: () => unknown): CipDecodeError {
  try {
    run();
  } catch (e) {
    if (e instanceof CipDecodeError) return e;
    throw e;
  }
  throw new Error("expected a CipDecodeError");
}

const requests = capture.frames.filter((f) => f.direction === "request").map((f) => f.tcp_payload_hex);
const replies = capture.frames.filter((f) => f.direction === "reply").map((f) => f.tcp_payload_hex);
/** Every non-empty full-frame vector: all have a consistent encapsulation length, malformed ones included. */
const vectorFrames = vectors.filter((v) => v.frame === "full" && v.hex !== "").map((v) => v.hex);

describe("EnipFramer on the ControlLogix capture", () => {
  for (const [name, frames] of [
    ["request stream", requests],
    ["reply stream", replies],
  ] as const) {
    const stream = concat(frames.map(fromHex));
    it(`splits the ${name} (${frames.length} frames, ${stream.length} bytes) at every chunk size 1..${stream.length}`, () => {
      expect(frames.length).toBe(7);
      for (let size = 1; size <= stream.length; size++)
        expect(frameAt(stream, everyChunk(stream, size))).toEqual(frames);
    });
    it(`splits the ${name} at every single cut point`, () => {
      for (let cut = 0; cut <= stream.length; cut++) expect(frameAt(stream, [cut])).toEqual(frames);
    });
    it(`splits the ${name} at random chunkings`, () => {
      fc.assert(
        fc.property(
          fc.uniqueArray(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 40 }),
          (cuts) => {
            expect(
              frameAt(
                stream,
                cuts.sort((a, b) => a - b),
              ),
            ).toEqual(frames);
          },
        ),
        { numRuns: 1000 },
      );
    });
  }

  it("splits all 58 full-frame vectors, back to back, at random chunkings", () => {
    const stream = concat(vectorFrames.map(fromHex));
    expect(vectorFrames.length).toBe(58);
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 200 }),
        (cuts) => {
          expect(
            frameAt(
              stream,
              cuts.sort((a, b) => a - b),
            ),
          ).toEqual(vectorFrames);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("gives frames that decode", () => {
    const framer = new EnipFramer();
    const frames = framer.push(concat(requests.map(fromHex)));
    expect(frames.map((f) => decodeEncapsulation(f).body.command)).toEqual([
      "registerSession",
      ...Array(6).fill("sendRRData"),
    ]);
  });
});

describe("EnipFramer buffering", () => {
  const nop = (n: number) =>
    encodeEncapsulation({ body: { command: "nop", data: new Uint8Array(n).fill(0xa5) } });

  it("empty_req: zero bytes are 'need more', and ending there is clean", () => {
    const framer = new EnipFramer();
    expect(framer.push(new Uint8Array(0))).toEqual([]);
    expect(framer.buffered).toBe(0);
    expect(() => framer.end()).not.toThrow();
  });

  it("returns a frame inside one chunk as a view of that chunk", () => {
    const chunk = concat([nop(3), nop(5)]);
    const [a, b] = new EnipFramer().push(chunk);
    expect(a?.buffer).toBe(chunk.buffer);
    expect(a?.byteOffset).toBe(0);
    expect(b?.buffer).toBe(chunk.buffer);
    expect(b?.byteOffset).toBe(27);
    expect(b?.length).toBe(29);
  });

  it("assembles a frame split across chunks into its own bytes, so reusing a chunk after push cannot corrupt it", () => {
    const frame = nop(10);
    const framer = new EnipFramer();
    const chunk = frame.slice(0, 20);
    expect(framer.push(chunk)).toEqual([]);
    expect(framer.buffered).toBe(20);
    chunk.fill(0);
    const rest = frame.slice(20);
    const [got] = framer.push(rest);
    rest.fill(0);
    expect(toHex(got as Uint8Array)).toBe(toHex(frame));
  });

  it("keeps earlier carried frames intact while later ones are assembled (slab reuse)", () => {
    const frames = Array.from({ length: 400 }, (_, i) =>
      encodeEncapsulation({ body: { command: "nop", data: new Uint8Array(60 + (i % 50)).fill(i & 0xff) } }),
    );
    const stream = concat(frames);
    const framer = new EnipFramer();
    const got: Uint8Array[] = [];
    for (let at = 0; at < stream.length; at += 7) got.push(...framer.push(stream.slice(at, at + 7)));
    expect(got.map(toHex)).toEqual(frames.map(toHex));
  });

  it("carries a header split before its length field, a 24-byte frame, and a large frame", () => {
    const big = nop(20000);
    const stream = concat([nop(0), big, nop(1)]);
    expect(frameAt(stream, [1, 3, 24, 25, 30, 5000, 20040])).toEqual([
      toHex(nop(0)),
      toHex(big),
      toHex(nop(1)),
    ]);
    expect(frameAt(stream, everyChunk(stream, 1)).length).toBe(3);
  });

  it("counts buffered bytes and refuses to end inside a frame", () => {
    const frame = nop(6);
    const framer = new EnipFramer();
    framer.push(frame.subarray(0, 10));
    expect(framer.buffered).toBe(10);
    const e = decodeError(() => framer.end());
    expect(e.failure).toBe("truncated");
    expect(e.message).toMatch(/10 byte\(s\) of a frame that needs a 24-byte header/);
    framer.push(frame.subarray(0, 26));
    expect(framer.buffered).toBe(26);
    expect(decodeError(() => framer.end()).message).toMatch(/26 byte\(s\) of a frame that needs 30 bytes/);
    expect(framer.buffered).toBe(0);
  });

  it("reports stream offsets in end() errors", () => {
    const framer = new EnipFramer();
    framer.push(concat([nop(0), nop(2).subarray(0, 5)]));
    expect(decodeError(() => framer.end()).offset).toBe(24 + 5);
  });
});

describe("EnipFramer limits", () => {
  const header = (length: number) => {
    const h = new Uint8Array(24);
    h[0] = 0x6f;
    h[2] = length & 0xff;
    h[3] = length >> 8;
    return h;
  };

  it("refuses a header announcing more than maxFrameSize, at the length field's stream offset", () => {
    const framer = new EnipFramer({ maxFrameSize: 100 });
    expect(framer.push(concat([header(76), new Uint8Array(76)])).length).toBe(1);
    const e = decodeError(() => framer.push(header(77)));
    expect(e).toMatchObject({ failure: "limit", offset: 100 + 2, path: ["length"] });
    // The stream has lost its framing: the framer stays failed.
    expect(decodeError(() => framer.push(new Uint8Array(1)))).toBe(e);
    expect(decodeError(() => framer.end())).toBe(e);
  });

  it("refuses it also when the header arrives in pieces", () => {
    const framer = new EnipFramer({ maxFrameSize: 100 });
    framer.push(new Uint8Array(0));
    expect(framer.push(header(200).subarray(0, 3))).toEqual([]);
    expect(decodeError(() => framer.push(header(200).subarray(3)))).toMatchObject({
      failure: "limit",
      offset: 2,
    });
  });

  it("accepts every length the field can hold by default", () => {
    const stream = concat([header(0xffff), new Uint8Array(0xffff)]);
    const framer = new EnipFramer();
    expect(framer.maxFrameSize).toBe(65535 + 24);
    expect(framer.push(stream.subarray(0, 30000))).toEqual([]);
    expect(framer.push(stream.subarray(30000)).map((f) => f.length)).toEqual([65559]);
  });

  it("validates its options", () => {
    for (const maxFrameSize of [23, 1.5, Number.NaN]) {
      let caught: unknown;
      try {
        new EnipFramer({ maxFrameSize });
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(CpppoError);
      expect((caught as CpppoError).code).toBe("ERR_INVALID_ARG");
    }
  });
});

describe("EnipFramer properties", () => {
  it("random bytes in random chunks: frames then the buffered tail reassemble the input, each frame self-consistent", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 600 }),
        fc.array(fc.integer({ min: 1, max: 80 }), { minLength: 1, maxLength: 40 }),
        (input, sizes) => {
          // Small length fields so that several frames fit in the input.
          for (let i = 3; i < input.length; i += 29) input[i] = 0;
          const framer = new EnipFramer();
          const frames: Uint8Array[] = [];
          for (let at = 0, k = 0; at < input.length; k++) {
            const size = sizes[k % sizes.length] as number;
            frames.push(...framer.push(input.slice(at, at + size)));
            at += size;
          }
          const framed = concat(frames);
          expect(framed.length + framer.buffered).toBe(input.length);
          expect(toHex(framed)).toBe(toHex(input.subarray(0, framed.length)));
          for (const f of frames) expect(f.length).toBe(24 + ((f[2] as number) | ((f[3] as number) << 8)));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("random bytes with a small ceiling give frames or a CipDecodeError, never anything else", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.integer({ min: 1, max: 64 }), (input, size) => {
        const framer = new EnipFramer({ maxFrameSize: 64 });
        try {
          for (let at = 0; at < input.length; at += size) framer.push(input.subarray(at, at + size));
          framer.end();
        } catch (e) {
          expect(e).toBeInstanceOf(CipDecodeError);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

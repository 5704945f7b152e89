// Benchmarks of @cpppo/automata; prints `BENCH automata.<figure> <value> <unit>` lines (see BENCHMARKS.md).
import os from "node:os";
import { compile, Framer, lengthPrefixedFrame, type Parser, RegexMatcher } from "@cpppo/automata";

/** Results of every call, summed so the engine cannot drop the work as dead code. */
let sink = 0;

/** Runs `work` (over `bytesPerCall` bytes) for at least `ms` after a warm-up; returns MB/s. */
function measure(work: () => number, bytesPerCall: number, ms = 1000): number {
  const warmUntil = performance.now() + 300;
  while (performance.now() < warmUntil) sink += work();
  let bytes = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    sink += work();
    bytes += bytesPerCall;
    now = performance.now();
  }
  return bytes / 1e6 / ((now - start) / 1000);
}

/** Deterministic pseudo-random numbers, so every run measures the same input. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 0x100000000;
  };
}

const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(2));
const cpu = os.cpus()[0];
console.log(`# machine: ${cpu?.model ?? "unknown"}, ${os.cpus().length} cores, node ${process.version}`);

// regex-scan: count the lines of a ~4 MB text that fully match a pattern. Ours walks the compiled DFA
// table over each line; the reference is V8's RegExp with /^(?:P)$/gmu over the same text (same count).
{
  const pattern = "[a-z]+(?:\\.[a-z]+)*@[a-z]+\\.(?:com|org|net)";
  const r = rng(1);
  const word = () =>
    Array.from({ length: 3 + Math.floor(r() * 8) }, () =>
      String.fromCharCode(97 + Math.floor(r() * 26)),
    ).join("");
  const lines: string[] = [];
  let size = 0;
  while (size < 4_000_000) {
    const line =
      r() < 0.5
        ? `${word()}.${word()}@${word()}.${["com", "org", "net"][Math.floor(r() * 3)]}`
        : `${word()} ${word()}, ${word()}`;
    lines.push(line);
    size += line.length + 1;
  }
  const text = `${lines.join("\n")}\n`;
  const bytes = Buffer.byteLength(text);
  const matcher = new RegexMatcher(pattern);
  const reference = new RegExp(`^(?:${pattern})$`, "gmu");
  const ours = () => {
    let n = 0;
    let start = 0;
    for (;;) {
      const nl = text.indexOf("\n", start);
      if (nl < 0) break;
      if (matcher.test(text, start, nl)) n++;
      start = nl + 1;
    }
    return n;
  };
  const ref = () => {
    let n = 0;
    reference.lastIndex = 0;
    while (reference.exec(text) !== null) n++;
    return n;
  };
  if (ours() !== ref()) throw new Error(`regex-scan: ${ours()} matches vs ${ref()} from RegExp`);
  const a = measure(ours, bytes);
  const b = measure(ref, bytes);
  console.log(`BENCH automata.regex-scan ${fmt(a)} MB/s`);
  console.log(`BENCH automata.regex-scan.ref ${fmt(b)} MB/s`);
  console.log(`BENCH automata.regex-scan-vs-ref ${(a / b).toFixed(2)} ratio`);
}

// frame-split: [u16le length][payload] frames of 60..140 bytes in a 4 MB stream, fed in chunks of 1..4096
// random bytes. Ours is the lengthPrefixedFrame machine (two counted runs) driven by a Framer; the
// reference is a minimal hand-written splitter carrying partial frames the usual way.
{
  const r = rng(2);
  const parts: number[] = [];
  const payloads: Uint8Array[] = [];
  let total = 0;
  while (total < 4_000_000) {
    const len = 60 + Math.floor(r() * 81);
    const p = new Uint8Array(len).map(() => Math.floor(r() * 256));
    payloads.push(p);
    parts.push(len);
    total += len + 2;
  }
  const stream = new Uint8Array(total);
  let o = 0;
  for (const p of payloads) {
    stream[o] = p.length & 0xff;
    stream[o + 1] = p.length >> 8;
    stream.set(p, o + 2);
    o += p.length + 2;
  }
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < stream.length; ) {
    const n = Math.min(stream.length - at, 1 + Math.floor(r() * 4096));
    chunks.push(stream.subarray(at, at + n));
    at += n;
  }

  const program = compile(lengthPrefixedFrame(), { alphabet: "bytes" });
  const payloadSlot = program.slotOf("payload");
  let sum = 0;
  const framer = new Framer(program, (p: Parser) => {
    sum += (p.slotValue(payloadSlot) as Uint8Array).length;
  });
  const ours = () => {
    sum = 0;
    for (const c of chunks) framer.push(c);
    framer.end();
    return sum;
  };

  let pending: Uint8Array | null = null;
  const onPayload = (p: Uint8Array) => {
    sum += p.length;
  };
  const pushRef = (chunk: Uint8Array) => {
    let buf = chunk;
    if (pending !== null) {
      buf = new Uint8Array(pending.length + chunk.length);
      buf.set(pending);
      buf.set(chunk, pending.length);
      pending = null;
    }
    let at = 0;
    while (buf.length - at >= 2) {
      const len = (buf[at] as number) | ((buf[at + 1] as number) << 8);
      if (buf.length - at - 2 < len) break;
      onPayload(buf.subarray(at + 2, at + 2 + len));
      at += 2 + len;
    }
    if (at < buf.length) pending = buf.slice(at);
  };
  const ref = () => {
    sum = 0;
    for (const c of chunks) pushRef(c);
    return sum;
  };
  const expected = payloads.reduce((n, p) => n + p.length, 0);
  if (ours() !== expected || ref() !== expected) throw new Error("frame-split: payload totals differ");
  const a = measure(ours, stream.length);
  const b = measure(ref, stream.length);
  console.log(`BENCH automata.frame-split ${fmt(a)} MB/s`);
  console.log(`BENCH automata.frame-split.ref ${fmt(b)} MB/s`);
  console.log(`BENCH automata.frame-split-vs-ref ${(a / b).toFixed(2)} ratio`);
}
if (sink < 0) console.log("# unreachable");

/**
 * Deterministic mutation of real frames for hostile-input checks: bit flips, byte overwrites with
 * boundary values, truncation, insertion, deletion, splices of two seeds, and edits of 16-bit fields
 * (lengths and counts are where decoders get hurt). Seeded, so a failure is reproducible by case number.
 */

/** A small fast PRNG (mulberry32); `seed` makes runs reproducible. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const INTERESTING_U8 = [0x00, 0x01, 0x02, 0x7f, 0x80, 0xfe, 0xff];
const INTERESTING_U16 = [0x0000, 0x0001, 0x0002, 0x00ff, 0x0100, 0x7fff, 0x8000, 0xfffe, 0xffff];

/** One mutant of `seeds[k]`: 1..4 stacked mutations chosen by `random`. */
export function mutate(seeds: readonly Uint8Array[], random: () => number): Uint8Array {
  const pick = (n: number) => Math.floor(random() * n);
  let bytes = Uint8Array.from(seeds[pick(seeds.length)] as Uint8Array);
  const rounds = 1 + pick(4);
  for (let k = 0; k < rounds; k++) {
    const at = bytes.length ? pick(bytes.length) : 0;
    switch (pick(8)) {
      case 0: // flip a bit
        if (bytes.length) bytes[at] = (bytes[at] as number) ^ (1 << pick(8));
        break;
      case 1: // a boundary byte
        if (bytes.length) bytes[at] = INTERESTING_U8[pick(INTERESTING_U8.length)] as number;
        break;
      case 2: // a boundary u16 (little-endian), where lengths and counts live
        if (at + 1 < bytes.length) {
          const v = INTERESTING_U16[pick(INTERESTING_U16.length)] as number;
          bytes[at] = v & 0xff;
          bytes[at + 1] = v >> 8;
        }
        break;
      case 3: // nudge a u16 by a small amount
        if (at + 1 < bytes.length) {
          const v = ((bytes[at] as number) | ((bytes[at + 1] as number) << 8)) + pick(9) - 4;
          bytes[at] = v & 0xff;
          bytes[at + 1] = (v >> 8) & 0xff;
        }
        break;
      case 4: // truncate
        bytes = bytes.subarray(0, pick(bytes.length + 1));
        break;
      case 5: {
        // insert random bytes
        const n = 1 + pick(8);
        const out = new Uint8Array(bytes.length + n);
        out.set(bytes.subarray(0, at), 0);
        for (let i = 0; i < n; i++) out[at + i] = pick(256);
        out.set(bytes.subarray(at), at + n);
        bytes = out;
        break;
      }
      case 6: {
        // delete a run
        const end = Math.min(bytes.length, at + 1 + pick(8));
        const out = new Uint8Array(bytes.length - (end - at));
        out.set(bytes.subarray(0, at), 0);
        out.set(bytes.subarray(end), at);
        bytes = out;
        break;
      }
      default: {
        // splice the tail of another seed
        const other = seeds[pick(seeds.length)] as Uint8Array;
        const from = pick(other.length + 1);
        const out = new Uint8Array(at + other.length - from);
        out.set(bytes.subarray(0, at), 0);
        out.set(other.subarray(from), at);
        bytes = out;
      }
    }
  }
  return bytes;
}

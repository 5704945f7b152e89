/**
 * cpppo's read blocks: registrations sorted and merged while `address < base + length + reach` within one
 * `address // 10000` decade, then shattered into blocks of at most 1968 bits or 123 registers (the write maxima,
 * which cpppo uses for reads too).
 */
import { isBitAddress } from "./address.js";

/** An inclusive-exclusive span of cpppo addresses: `[address, address + count)`. */
export type AddressRange = readonly [address: number, count: number];

/** cpppo's block limit for bits (coils, discrete inputs): the FC15 maximum. */
export const BIT_BLOCK_LIMIT = 1968;
/** cpppo's block limit for registers: the FC16 maximum. */
export const REGISTER_BLOCK_LIMIT = 123;

/** The blocks of at most `limit` (default 1968 for bit addresses, 123 otherwise) that cover `count` from `address`. */
export function shatter(address: number, count: number, limit?: number): AddressRange[] {
  const max = limit || (isBitAddress(address) ? BIT_BLOCK_LIMIT : REGISTER_BLOCK_LIMIT);
  const out: AddressRange[] = [];
  for (let left = count, at = address; left > 0; ) {
    const taken = Math.min(left, max);
    out.push([at, taken]);
    at += taken;
    left -= taken;
  }
  return out;
}

/**
 * `ranges` merged into read blocks: sorted, each joined to the block before while it starts within `reach`
 * (default 1: only adjacent or overlapping) of that block's end and in the same `// 10000` decade, then shattered
 * at `limit` (default by table). A range inside the block keeps the block's end (cpppo let it shrink).
 */
export function merge(ranges: Iterable<AddressRange>, reach = 1, limit?: number): AddressRange[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out: AddressRange[] = [];
  const span = reach || 1;
  let base = Number.NaN;
  let length = 0;
  for (const [address, count] of sorted) {
    if (
      length > 0 &&
      Math.floor(address / 10000) === Math.floor(base / 10000) &&
      address < base + length + span
    ) {
      length = Math.max(length, address + count - base);
      continue;
    }
    if (length > 0) for (const r of shatter(base, length, limit)) out.push(r);
    base = address;
    length = count;
  }
  if (length > 0) for (const r of shatter(base, length, limit)) out.push(r);
  return out;
}

/** The blocks that read `addresses` (each a 1-register or 1-bit registration) with `reach`: merge of `(a, 1)`. */
export function blocksOf(addresses: Iterable<number>, reach = 1, limit?: number): AddressRange[] {
  const sorted = Float64Array.from(addresses).sort();
  const out: AddressRange[] = [];
  const span = reach || 1;
  let base = Number.NaN;
  let length = 0;
  for (const address of sorted) {
    if (
      length > 0 &&
      Math.floor(address / 10000) === Math.floor(base / 10000) &&
      address < base + length + span
    ) {
      length = Math.max(length, address + 1 - base);
      continue;
    }
    if (length > 0) for (const r of shatter(base, length, limit)) out.push(r);
    base = address;
    length = 1;
  }
  if (length > 0) for (const r of shatter(base, length, limit)) out.push(r);
  return out;
}

/** cpppo's text for a list of ranges: `b-e` (inclusive) joined with ", ". */
export function formatRanges(ranges: Iterable<AddressRange>): string {
  return [...ranges].map(([b, c]) => `${b}-${b + c - 1}`).join(", ");
}

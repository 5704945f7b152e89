import { InvalidArgumentError } from "./errors.js";

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** Lowercase hex of `bytes`, no separators. */
export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i] as number];
  return out;
}

/** Bytes of a hex string; whitespace is ignored. Throws an `InvalidArgumentError` on odd length or a non-hex digit. */
export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, "");
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean))
    throw new InvalidArgumentError(`not a hex string: "${hex}"`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Hex of up to `radius` bytes either side of `offset`, with `>` before the byte at `offset`. */
export function hexExcerpt(bytes: Uint8Array, offset: number, radius = 8): string {
  const start = Math.max(0, offset - radius);
  const end = Math.min(bytes.length, offset + radius);
  let out = "";
  for (let i = start; i < end; i++)
    out += (i === offset ? ">" : i > start ? " " : "") + HEX[bytes[i] as number];
  if (offset >= bytes.length) out += `${out ? " " : ""}>(end)`;
  return out;
}

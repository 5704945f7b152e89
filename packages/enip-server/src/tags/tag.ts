/**
 * One tag: its type, element count and storage. Storage is a single Uint8Array of `elements × elementSize` bytes
 * holding each element in its wire encoding (little-endian), so a Read Tag reply is a slice of it.
 */
import { Reader, Writer } from "@cpppo/cip-codec";
import { InvalidArgumentError } from "../core/errors.js";
import type { TagAddress } from "./grammar.js";
import type { TagDataType } from "./types.js";

/** Tags up to this many bytes share arena chunks: a typed array per tag costs less than an ArrayBuffer per tag. */
const ARENA_MAX_TAG = 1024;
const ARENA_CHUNK = 256 * 1024;
let arena = new ArrayBuffer(0);
let arenaUsed = 0;

/** Zeroed storage of `size` bytes; small tags are views into shared chunks (so `bytes.buffer` may hold other tags). */
function allocateStorage(size: number): Uint8Array {
  if (size > ARENA_MAX_TAG) return new Uint8Array(size);
  if (arenaUsed + size > arena.byteLength) {
    arena = new ArrayBuffer(ARENA_CHUNK);
    arenaUsed = 0;
  }
  const bytes = new Uint8Array(arena, arenaUsed, size);
  // Keep 8-byte alignment so a DataView or Float64Array over a tag stays aligned.
  arenaUsed += (size + 7) & ~7;
  return bytes;
}

/** Values shown by `describe()` before the list is cut short. */
const DESCRIBE_VALUES = 10;
/** Width of the name column in `describe()`, as cpppo's web view pads it. */
const DESCRIBE_NAME_WIDTH = 15;

/** A tag of the simulated controller: typed elements in one byte buffer, with a forced error for fault injection. */
export class Tag {
  /** The name the tag was defined with (aliases are other names for this same object). */
  readonly name: string;
  /** The tag's data type. */
  readonly type: TagDataType;
  /** Element count (1 for a scalar). */
  readonly elements: number;
  /** True when the tag was defined as an array (`TYPE[SIZE]`), even of one element. */
  readonly isArray: boolean;
  /** Storage: `elements × elementSize` bytes, each element in its wire encoding. */
  readonly bytes: Uint8Array;
  /** Numeric address the tag answers at (`@class/instance/attribute`), when it has one. */
  readonly address?: TagAddress;
  /** True when the definition gave `address` (`Name@class/instance/attribute`); false when the table picked it. */
  readonly addressGiven: boolean;
  /** Symbol object (0x6B) instance id, used by tag browsing and Symbol Instance Addressing. */
  readonly instance: number;
  /** Forced CIP general status for every read and write of this tag (0 = none), as cpppo's web API sets it. */
  error = 0;

  /** Creates a tag over `storage` (shared with other tags when aliasing) or fresh zeroed storage. */
  constructor(
    name: string,
    type: TagDataType,
    elements: number,
    options: {
      isArray?: boolean;
      address?: TagAddress;
      addressGiven?: boolean;
      instance?: number;
      storage?: Uint8Array;
    } = {},
  ) {
    this.name = name;
    this.type = type;
    this.elements = elements;
    this.isArray = options.isArray ?? elements > 1;
    this.instance = options.instance ?? 0;
    if (options.address) this.address = options.address;
    this.addressGiven = options.address !== undefined && options.addressGiven === true;
    this.bytes = options.storage ?? allocateStorage(elements * type.size);
  }

  /** The type's name, e.g. "INT" or "Example_SENSOR". */
  get typeName(): string {
    return this.type.name;
  }

  /** Wire type code: 0xC1…0xDA, or 0x02A0 for structures (Logix STRING included). */
  get typeCode(): number {
    return this.type.code;
  }

  /** Structure handle sent after 0x02A0; present for structures. */
  get structureHandle(): number | undefined {
    return this.type.structureHandle;
  }

  /** Bytes of one element in storage. */
  get elementSize(): number {
    return this.type.size;
  }

  /**
   * Decoded values of `count` elements from `start` (defaults: all elements from 0): numbers, bigints (64-bit
   * integers), booleans, strings, or objects for structures. Throws InvalidArgumentError outside the tag, or when
   * raw writes left bytes the type cannot read (e.g. a STRING whose LEN exceeds 82).
   */
  values(start = 0, count = this.elements - start): unknown[] {
    this.#checkRange(start, count);
    const size = this.type.size;
    const out = new Array<unknown>(count);
    const r = new Reader(this.bytes, start * size, (start + count) * size);
    for (let i = 0; i < count; i++) {
      r.offset = (start + i) * size;
      try {
        out[i] = this.type.codec.decode(r);
      } catch (err) {
        throw new InvalidArgumentError(
          `tag "${this.name}" element ${start + i} holds bytes a ${this.type.name} cannot read: ${(err as Error).message}`,
          { cause: err },
        );
      }
    }
    return out;
  }

  /** Writes `values` from element `start` on; throws InvalidArgumentError for values the type cannot hold or outside the tag. */
  setValues(start: number, values: readonly unknown[]): void {
    this.#checkRange(start, values.length);
    const encoded = encodeElements(this.type, values, `tag "${this.name}"`);
    this.bytes.set(encoded, start * this.type.size);
  }

  #checkRange(start: number, count: number): void {
    if (
      !Number.isInteger(start) ||
      !Number.isInteger(count) ||
      start < 0 ||
      count < 0 ||
      start + count > this.elements
    )
      throw new InvalidArgumentError(
        `tag "${this.name}" has ${this.elements} element(s): elements ${start}..${start + count - 1} are outside it`,
      );
  }

  /** cpppo's web `attribute` text: the name padded to 15, the type and size, and the first values. */
  describe(): string {
    const shown = Math.min(this.elements, DESCRIBE_VALUES);
    const values: string[] = [];
    for (let i = 0; i < shown; i++) {
      try {
        values.push(formatValue(this.values(i, 1)[0]));
      } catch {
        values.push("?");
      }
    }
    const type = this.isArray ? `${this.type.name}[${this.elements}]` : this.type.name;
    const text = this.isArray
      ? `[${values.join(", ")}${this.elements > shown ? ", …" : ""}]`
      : (values[0] as string);
    return `${this.name.padEnd(DESCRIBE_NAME_WIDTH - 1)} ${type} == ${text}`;
  }
}

/** Values encoded into storage slots of `type` (a fixed-size slot per value); throws InvalidArgumentError for bad values. */
export function encodeElements(type: TagDataType, values: readonly unknown[], what: string): Uint8Array {
  const size = type.size;
  const w = new Writer(values.length * size);
  for (let i = 0; i < values.length; i++) {
    w.offset = i * size;
    try {
      type.codec.encode(w, values[i]);
    } catch (err) {
      throw new InvalidArgumentError(`${what}: element ${i}: ${(err as Error).message}`, { cause: err });
    }
  }
  w.offset = values.length * size;
  return w.finish();
}

function formatValue(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "object" && v !== null)
    return JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? String(x) : x));
  return String(v);
}

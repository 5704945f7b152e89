/**
 * Hooks that see every tag read and write the controller serves (Read/Write Tag and their fragmented forms, Read
 * Modify Write, and Get/Set Attribute on a tag's numeric address): cpppo's custom Attribute, as a typed API.
 * With no hooks set the controller never builds an access record, so they cost nothing until used.
 */
import { Reader } from "@cpppo/cip-codec";
import type { Tag } from "./tag.js";
import type { TagDataType } from "./types.js";

/** One read or write of a run of elements of a tag (or of a structure member inside it). */
export interface TagAccess {
  /** The tag accessed. */
  readonly tag: Tag;
  /** The tag's name (aliases report the name the tag was defined with). */
  readonly name: string;
  /** True for a write (or Read Modify Write), false for a read. */
  readonly write: boolean;
  /** Type of the elements accessed: the tag's type, or a member's when a path selects a structure member. */
  readonly type: TagDataType;
  /** First element accessed, counted in the array accessed (the tag's, or a member array's). */
  readonly start: number;
  /** Number of elements accessed. */
  readonly count: number;
  /** Byte offset of the first element in `tag.bytes`. */
  readonly offset: number;
  /** Reads: the stored bytes about to be sent; writes: the new bytes about to be stored (both in storage form). */
  readonly bytes: Uint8Array;
  /** `bytes` decoded with `type` (computed on first use). */
  readonly values: unknown[];
  /** The peer ("ip:port") that asked, when the transport said. */
  readonly peer?: string;
}

/**
 * Intercepts tag reads and writes. `onRead` may return values to send instead of the stored ones (encoded with the
 * access's type, `count` of them); `onWrite` may return false to refuse the write (the client gets CIP status 0x0F,
 * privilege violation). A hook that throws gets the client status 0x1F (vendor-specific error); it never reaches
 * the transport. Hooks run synchronously inside `Controller.execute`.
 */
export interface TagHooks {
  /** Called before a read is answered; return values to answer with instead of the stored ones. */
  // biome-ignore lint/suspicious/noConfusingVoidType: a hook that only observes returns nothing
  onRead?(access: TagAccess): unknown[] | undefined | void;
  /** Called before a write is stored; return false to refuse it. */
  // biome-ignore lint/suspicious/noConfusingVoidType: a hook that only observes returns nothing
  onWrite?(access: TagAccess): boolean | undefined | void;
}

/** A TagAccess whose `values` are decoded only when a hook asks for them. */
export class LazyTagAccess implements TagAccess {
  readonly tag: Tag;
  readonly write: boolean;
  readonly type: TagDataType;
  readonly start: number;
  readonly count: number;
  readonly offset: number;
  readonly bytes: Uint8Array;
  readonly peer?: string;
  #values: unknown[] | undefined;

  /** An access record; `bytes` holds `count` elements of `type` in storage form. */
  constructor(
    tag: Tag,
    write: boolean,
    type: TagDataType,
    start: number,
    count: number,
    offset: number,
    bytes: Uint8Array,
    peer: string | undefined,
  ) {
    this.tag = tag;
    this.write = write;
    this.type = type;
    this.start = start;
    this.count = count;
    this.offset = offset;
    this.bytes = bytes;
    if (peer !== undefined) this.peer = peer;
  }

  /** The tag's name. */
  get name(): string {
    return this.tag.name;
  }

  /** `bytes` decoded with `type`. */
  get values(): unknown[] {
    if (this.#values === undefined) {
      const size = this.type.size;
      const out = new Array<unknown>(this.count);
      const r = new Reader(this.bytes);
      for (let i = 0; i < this.count; i++) {
        r.offset = i * size;
        out[i] = this.type.codec.decode(r);
      }
      this.#values = out;
    }
    return this.#values;
  }
}

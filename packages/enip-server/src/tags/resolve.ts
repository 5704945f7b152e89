/**
 * Resolves a request path to the tag elements it names: symbolic (`SCADA[3]`, `Program:Main.Count`,
 * `Sensor[2].Alarms[1]`), numeric (`@0x93/3/10[/element]`, Message Router `@2/1/n`), or Symbol Instance
 * Addressing (`@0x6B/<instance>` then elements and members, as pycomm3 uses on Logix v21+).
 */
import {
  CipTypeCode,
  type EPath,
  GeneralStatus,
  LogixExtendedStatus,
  type Segment,
  type StructTemplate,
  SYMBOL_CLASS,
  type TemplateMember,
} from "@cpppo/cip-codec";
import type { TagTable } from "./table.js";
import type { Tag } from "./tag.js";
import { elementaryByCode, type TagDataType } from "./types.js";

/** The elements a path names: `available` elements of `type` from byte `offset` of `tag.bytes`. */
export interface TagView {
  tag: Tag;
  /** Type of the elements named. */
  type: TagDataType;
  /** Byte offset in `tag.bytes` of the first element named. */
  offset: number;
  /** Index of that element in the array it belongs to (for hooks). */
  start: number;
  /** Elements from the first one to the end of its array. */
  available: number;
  /** For a BOOL structure member: the mask of its bit in the byte at `offset`; 0 otherwise. */
  bit: number;
}

/** Why a path does not resolve: the CIP status to answer with. */
export interface PathFailure {
  status: number;
  ext: readonly number[];
}

/** Unknown tag or member: 0x04 with extended status 0x0000, as Logix answers. */
export const UNKNOWN_TAG: PathFailure = Object.freeze({
  status: GeneralStatus.codes.pathSegmentError,
  ext: Object.freeze([0]),
});
/** Numeric path to nothing: 0x05 path destination unknown, with extended status 0x0000. */
export const UNKNOWN_DESTINATION: PathFailure = Object.freeze({
  status: GeneralStatus.codes.pathDestinationUnknown,
  ext: Object.freeze([0]),
});
/** An index beyond the end of an array: 0xFF with extended status 0x2105. */
export const INDEX_BEYOND_END: PathFailure = Object.freeze({
  status: GeneralStatus.codes.generalError,
  ext: Object.freeze([LogixExtendedStatus.codes.beyondEndOfObject]),
});

const STRUCT = CipTypeCode.codes.STRUCT;
const MAX_JOINED_SYMBOLS = 8;

function isSymbolic(s: Segment | undefined): s is { symbolic: string } {
  return s !== undefined && "symbolic" in s;
}

/** Finds the tag named by the leading symbolic segments; returns it and how many segments it took. */
function lookupSymbolic(tags: TagTable, path: EPath): { tag: Tag; used: number } | undefined {
  const first = path[0] as { symbolic: string };
  // The common case, one symbolic segment naming a tag, costs one map lookup.
  if (!isSymbolic(path[1])) {
    const tag = tags.get(first.symbolic);
    return tag ? { tag, used: 1 } : undefined;
  }
  // Dotted names ("Motor.Speed", "Program:Main.Count") arrive as several symbolic segments: the longest join that
  // names a tag wins, and the rest are structure members.
  let run = 1;
  while (run < MAX_JOINED_SYMBOLS && isSymbolic(path[run])) run++;
  const parts: string[] = [];
  for (let i = 0; i < run; i++) parts.push((path[i] as { symbolic: string }).symbolic);
  for (let n = run; n >= 1; n--) {
    const tag = tags.get(n === 1 ? (parts[0] as string) : parts.slice(0, n).join("."));
    if (tag) return { tag, used: n };
  }
  return undefined;
}

function findMember(template: StructTemplate, name: string): TemplateMember | undefined {
  const members = template.members;
  for (let i = 0; i < members.length; i++)
    if ((members[i] as TemplateMember).name === name) return members[i];
  const folded = name.toLowerCase();
  for (let i = 0; i < members.length; i++)
    if ((members[i] as TemplateMember).name.toLowerCase() === folded) return members[i];
  return undefined;
}

/** Resolves `path` against `tags`; returns the view or the failure status to reply with. */
export function resolveTagPath(tags: TagTable, path: EPath): TagView | PathFailure {
  const first = path[0];
  if (first === undefined) return UNKNOWN_TAG;
  let tag: Tag | undefined;
  let i: number;
  if ("symbolic" in first) {
    const found = lookupSymbolic(tags, path);
    if (!found) return UNKNOWN_TAG;
    tag = found.tag;
    i = found.used;
  } else if ("class" in first) {
    const second = path[1];
    if (second === undefined || !("instance" in second)) return UNKNOWN_DESTINATION;
    if (first.class === SYMBOL_CLASS) {
      tag = tags.symbol(second.instance)?.tag;
      if (!tag) return UNKNOWN_TAG;
      i = 2;
    } else {
      const third = path[2];
      if (third === undefined || !("attribute" in third)) return UNKNOWN_DESTINATION;
      tag = tags.byAddress(first.class, second.instance, third.attribute);
      if (!tag) return UNKNOWN_DESTINATION;
      i = 3;
    }
  } else return UNKNOWN_TAG;

  // The walk keeps the array being indexed: its element type, the byte offset of its element 0, and its length.
  let type = tag.type;
  let base = 0;
  let length = tag.elements;
  let index = 0;
  let indexed = false;
  let bit = 0;
  for (; i < path.length; i++) {
    const s = path[i] as Segment;
    if ("element" in s) {
      if (indexed || bit !== 0) return UNKNOWN_TAG;
      if (s.element >= length) return INDEX_BEYOND_END;
      index = s.element;
      indexed = true;
    } else if ("symbolic" in s) {
      const template = type.template;
      if (template === undefined || bit !== 0) return UNKNOWN_TAG;
      const m = findMember(template, s.symbolic);
      if (!m) return UNKNOWN_TAG;
      const memberType =
        m.type === STRUCT
          ? m.templateId !== undefined
            ? tags.types.byTemplateId(m.templateId)
            : undefined
          : elementaryByCode(m.type);
      if (!memberType) return UNKNOWN_TAG;
      base += index * type.size + m.offset;
      type = memberType;
      index = 0;
      indexed = false;
      if (m.bit !== undefined && m.arrayLength === undefined) {
        base += m.bit >> 3;
        bit = 1 << (m.bit & 7);
        length = 1;
      } else length = m.arrayLength ?? 1;
    } else return UNKNOWN_TAG;
  }
  return { tag, type, offset: base + index * type.size, start: index, available: length - index, bit };
}

/** True when `r` is a failure rather than a view. */
export function isFailure(r: TagView | PathFailure): r is PathFailure {
  return (r as PathFailure).status !== undefined;
}

import { CipDecodeError, CipEncodeError } from "../core/errors.js";
import type { Reader } from "../core/reader.js";
import { codeTable } from "../core/table.js";
import { checkRange, type Writer } from "../core/writer.js";
import { SymbolTypeBits } from "./symbol-type.js";
import {
  type AnyCipType,
  type CipType,
  CipTypeCode,
  checkLatin1,
  latin1,
  logixStringType,
  typeByCode,
  writeLatin1,
} from "./types.js";

/** Class code of the Logix Template object, which describes a structure (UDT) type (1756-PM020, "Template object"). */
export const TEMPLATE_CLASS = 0x6c;

/** Template object instance attributes read with Get Attribute List before Read Template (1756-PM020). */
export const TemplateAttribute = codeTable(
  { STRUCTURE_HANDLE: 1, MEMBER_COUNT: 2, DEFINITION_SIZE: 4, STRUCTURE_SIZE: 5 },
  {
    STRUCTURE_HANDLE: "structure handle (UINT): the CRC Read Tag replies carry after type 0x02A0",
    MEMBER_COUNT: "member count (UINT), hidden members included",
    DEFINITION_SIZE: "template definition size (UDINT) in 32-bit words",
    STRUCTURE_SIZE: "structure size (UDINT): bytes of one value on the wire",
  },
);

/** Attribute values of one template instance; an attribute the device failed to return is in `failed` instead. */
export interface TemplateAttributes {
  structureHandle?: number;
  memberCount?: number;
  /** Attribute 4: the definition size in 32-bit words. */
  definitionWords?: number;
  /** Attribute 5: bytes of one structure value. */
  structureSize?: number;
  /** Attributes returned with a nonzero status (their value is absent from the reply). */
  failed: { attribute: number; status: number }[];
}

const ATTRIBUTE_BYTES: Record<number, number> = { 1: 2, 2: 2, 4: 4, 5: 4 };
/** A Get Attribute List reply names each attribute at most once: four known attributes, with room for repeats. */
const MAX_TEMPLATE_ATTRIBUTES = 16;

/**
 * Reads the data of a Get Attribute List reply for template attributes 1, 2, 4 and 5: a UINT count, then per
 * attribute its UINT id, UINT status and (when the status is 0) its value. An unknown attribute id cannot be sized
 * and is an `unsupported` CipDecodeError.
 */
export function decodeTemplateAttributes(r: Reader): TemplateAttributes {
  const count = r.u16("count");
  r.ceiling(count, MAX_TEMPLATE_ATTRIBUTES, "count");
  const out: TemplateAttributes = { failed: [] };
  for (let i = 0; i < count; i++) {
    r.enter(i);
    const attribute = r.u16("attribute");
    const status = r.u16("status");
    if (status !== 0) out.failed.push({ attribute, status });
    else if (attribute === TemplateAttribute.codes.STRUCTURE_HANDLE) out.structureHandle = r.u16("value");
    else if (attribute === TemplateAttribute.codes.MEMBER_COUNT) out.memberCount = r.u16("value");
    else if (attribute === TemplateAttribute.codes.DEFINITION_SIZE) out.definitionWords = r.u32("value");
    else if (attribute === TemplateAttribute.codes.STRUCTURE_SIZE) out.structureSize = r.u32("value");
    else
      throw r.fail(
        "unsupported",
        `template attribute ${attribute} has no known size`,
        "attribute",
        r.offset - 4,
      );
    r.leave();
  }
  return out;
}

function presentAttributes(a: TemplateAttributes): [number, number][] {
  const out: [number, number][] = [];
  if (a.structureHandle !== undefined) out.push([1, a.structureHandle]);
  if (a.memberCount !== undefined) out.push([2, a.memberCount]);
  if (a.definitionWords !== undefined) out.push([4, a.definitionWords]);
  if (a.structureSize !== undefined) out.push([5, a.structureSize]);
  return out;
}

/** Bytes of the Get Attribute List reply data `encodeTemplateAttributes` writes. */
export function sizeOfTemplateAttributes(a: TemplateAttributes): number {
  let size = 2 + 4 * a.failed.length;
  for (const [id] of presentAttributes(a)) size += 4 + (ATTRIBUTE_BYTES[id] as number);
  return size;
}

/** Writes Get Attribute List reply data: count, then attributes 1, 2, 4, 5 that are present, then the failed ones. */
export function encodeTemplateAttributes(w: Writer, a: TemplateAttributes): void {
  const present = presentAttributes(a);
  w.u16(present.length + a.failed.length);
  for (const [id, value] of present) {
    w.u16(id).u16(0);
    if (ATTRIBUTE_BYTES[id] === 2) {
      checkRange(TemplateAttribute.nameOf(id) as string, value, 0, 0xffff);
      w.u16(value);
    } else {
      checkRange(TemplateAttribute.nameOf(id) as string, value, 0, 0xffffffff);
      w.u32(value);
    }
  }
  for (const f of a.failed) {
    checkRange("attribute", f.attribute, 0, 0xffff);
    checkRange("status", f.status, 1, 0xffff);
    w.u16(f.attribute).u16(f.status);
  }
}

/** One member of a structure template. */
export interface TemplateMember {
  name: string;
  /** The elementary type code (0xC1…), or 0x02A0 for a nested structure. */
  type: number;
  /** For a nested structure: the Template instance id that describes it (the low 12 bits of the member's type word). */
  templateId?: number;
  /** For a nested structure: its template, when known inline (the JSON form); otherwise a resolver finds it by `templateId`. */
  template?: StructTemplate;
  /** Byte offset in the structure (for a BOOL, of its host byte). */
  offset: number;
  /** Element count when the member is an array. */
  arrayLength?: number;
  /** Bit number in the host at `offset` when the member is a BOOL. */
  bit?: number;
  /** True for members Logix adds itself (BOOL host SINTs named `ZZZZZZZZZZ…`, names starting `__`): not in values. */
  hidden: boolean;
}

/** A structure (UDT) type as the Template object describes it. */
export interface StructTemplate {
  /** Name before any `;` in the definition's name string. */
  name: string;
  /** Whatever followed the name in the definition's name string, from the `;` on (kept to write it back). */
  nameSuffix?: string;
  /** The structure handle (attribute 1), as Read Tag replies carry it after type 0x02A0. */
  handle: number;
  /** Bytes of one value (attribute 5). */
  size: number;
  members: TemplateMember[];
}

const {
  STRUCT: TYPE_STRUCT_FLAG,
  DIMENSIONS_MASK: TYPE_ARRAY_DIMS_MASK,
  ONE_DIMENSION: TYPE_ARRAY_ONE_DIM,
  TEMPLATE_ID_MASK: TYPE_TEMPLATE_ID_MASK,
  ATOMIC_MASK: TYPE_ATOMIC_MASK,
} = SymbolTypeBits;
const MEMBER_INFO_BYTES = 8;
const HIDDEN_HOST_PREFIX = "ZZZZZZZZZZ";
const HIDDEN_PREFIX = "__";
const NUL = 0;

/** Ceilings for decoding a template definition. */
export interface TemplateLimits {
  /** Most members accepted; defaults to 1024. */
  maxMembers?: number;
  /** Longest name accepted, in bytes; defaults to 255. */
  maxNameLength?: number;
}

const DEFAULT_MAX_MEMBERS = 1024;
const DEFAULT_MAX_NAME_LENGTH = 255;

/** True for the members Logix generates itself (hosts of BOOL members, and `__` names). */
export function isHiddenMemberName(name: string): boolean {
  return name.startsWith(HIDDEN_HOST_PREFIX) || name.startsWith(HIDDEN_PREFIX);
}

function readName(r: Reader, max: number, field: string | number): string {
  const start = r.offset;
  let end = start;
  while (end < r.end && r.bytes[end] !== NUL) end++;
  r.ceiling(end - start, max, field);
  const name = latin1(r.bytes.subarray(start, end));
  // The last name may end with the data rather than a NUL.
  r.offset = end < r.end ? end + 1 : end;
  return name;
}

/**
 * Reads Read Template (service 0x4C on class 0x6C) data, all fragments joined: `memberCount` × {info UINT, type
 * UINT, offset UDINT}, then NUL-terminated names: the template's (`Name;…`) and one per member. `handle` and
 * `size` come from the template's attributes; `limits` default to 1024 members and 255-byte names.
 */
export function decodeTemplateDefinition(
  r: Reader,
  attributes: { memberCount: number; structureHandle: number; structureSize: number },
  limits?: TemplateLimits,
): StructTemplate {
  const count = attributes.memberCount;
  const maxName = limits?.maxNameLength ?? DEFAULT_MAX_NAME_LENGTH;
  r.ceiling(count, limits?.maxMembers ?? DEFAULT_MAX_MEMBERS, "memberCount");
  r.need(count * MEMBER_INFO_BYTES, "members");
  const members = new Array<TemplateMember>(count);
  for (let i = 0; i < count; i++) {
    r.enter(i);
    const info = r.u16("info");
    const word = r.u16("type");
    const offset = r.u32("offset");
    const array = (word & TYPE_ARRAY_DIMS_MASK) !== 0;
    const m: TemplateMember = { name: "", type: 0, offset, hidden: false };
    if (word & TYPE_STRUCT_FLAG) {
      m.type = CipTypeCode.codes.STRUCT;
      m.templateId = word & TYPE_TEMPLATE_ID_MASK;
    } else m.type = word & TYPE_ATOMIC_MASK;
    if (array) m.arrayLength = info;
    else if (m.type === CipTypeCode.codes.BOOL) m.bit = info;
    members[i] = m;
    r.leave();
  }
  const full = readName(r, maxName, "name");
  const semicolon = full.indexOf(";");
  const template: StructTemplate = {
    name: semicolon < 0 ? full : full.slice(0, semicolon),
    handle: attributes.structureHandle,
    size: attributes.structureSize,
    members,
  };
  if (semicolon >= 0) template.nameSuffix = full.slice(semicolon);
  for (let i = 0; i < count; i++) {
    if (r.remaining === 0) throw r.fail("truncated", `names end before member ${i} of ${count}`, "names");
    const m = members[i] as TemplateMember;
    m.name = readName(r, maxName, i);
    m.hidden = isHiddenMemberName(m.name);
  }
  return template;
}

function memberTypeWord(m: TemplateMember): number {
  let word: number;
  if (m.type === CipTypeCode.codes.STRUCT) {
    if (m.templateId === undefined)
      throw new CipEncodeError(`member "${m.name}" is a structure without a "templateId"`);
    checkRange("templateId", m.templateId, 0, TYPE_TEMPLATE_ID_MASK);
    word = TYPE_STRUCT_FLAG | m.templateId;
  } else {
    checkRange("type", m.type, 0, TYPE_ATOMIC_MASK);
    word = m.type;
  }
  return m.arrayLength !== undefined ? word | TYPE_ARRAY_ONE_DIM : word;
}

/** Bytes of the Read Template data `encodeTemplateDefinition` writes. */
export function sizeOfTemplateDefinition(t: StructTemplate): number {
  let size =
    t.members.length * MEMBER_INFO_BYTES + checkLatin1("name", t.name + (t.nameSuffix ?? ""), 0xffff) + 1;
  for (const m of t.members) size += checkLatin1("member name", m.name, 0xffff) + 1;
  return size;
}

/** Writes Read Template data: member infos, then the NUL-terminated template name (with its suffix) and member names. */
export function encodeTemplateDefinition(w: Writer, t: StructTemplate): void {
  sizeOfTemplateDefinition(t);
  for (const m of t.members) {
    const info = m.arrayLength ?? m.bit ?? 0;
    checkRange(`${m.name} info`, info, 0, 0xffff);
    checkRange(`${m.name} offset`, m.offset, 0, 0xffffffff);
    w.u16(info).u16(memberTypeWord(m)).u32(m.offset);
  }
  writeLatin1(w, t.name + (t.nameSuffix ?? ""));
  w.u8(NUL);
  for (const m of t.members) {
    writeLatin1(w, m.name);
    w.u8(NUL);
  }
}

/** A structure value: visible members by name (BOOLs as booleans, arrays as arrays, Logix strings as strings). */
export type StructValue = { [member: string]: unknown };

/** Finds the template of a nested structure member by its Template instance id. */
export type TemplateResolver = (templateId: number) => StructTemplate | undefined;

/** Options for building a structure codec. */
export interface StructTypeOptions {
  /** Finds nested templates not given inline; by default none is found. */
  resolve?: TemplateResolver;
  /** Deepest nesting of structures accepted; defaults to 16. */
  maxDepth?: number;
  /** Read structures shaped {LEN DINT, DATA SINT[n]} as JS strings; defaults to true. */
  stringsAsText?: boolean;
}

const DEFAULT_MAX_DEPTH = 16;

/** How to read one visible member: a bit of a host byte, one value, or an array of values. */
interface MemberPlan {
  readonly name: string;
  readonly offset: number;
  readonly type: AnyCipType;
  /** Array element count, or -1 for a single value. */
  readonly length: number;
  /** Mask of a BOOL's bit in the byte at `offset` (already advanced to the bit's byte), or 0. */
  readonly mask: number;
}

function invalidTemplate(t: StructTemplate, detail: string): CipDecodeError {
  return new CipDecodeError("invalid", `template "${t.name}": ${detail}`, 0, [t.name], "");
}

/** True when `t` is a Logix string type: visible members exactly LEN (DINT at 0) and DATA (SINT array at 4). */
export function isLogixStringTemplate(t: StructTemplate): boolean {
  const visible = t.members.filter((m) => !m.hidden);
  const [len, data] = visible;
  return (
    visible.length === 2 &&
    len?.name === "LEN" &&
    len.type === CipTypeCode.codes.DINT &&
    len.offset === 0 &&
    len.arrayLength === undefined &&
    data?.name === "DATA" &&
    data.type === CipTypeCode.codes.SINT &&
    data.offset === 4 &&
    data.arrayLength !== undefined &&
    4 + data.arrayLength <= t.size
  );
}

function buildType(t: StructTemplate, opts: StructTypeOptions, depth: number): AnyCipType {
  if (opts.stringsAsText !== false && isLogixStringTemplate(t)) {
    const data = t.members.find((m) => m.name === "DATA") as TemplateMember;
    return logixStringType(data.arrayLength as number, t.size, t.name, t.handle);
  }
  return buildStruct(t, opts, depth);
}

function memberType(
  t: StructTemplate,
  m: TemplateMember,
  opts: StructTypeOptions,
  depth: number,
): AnyCipType {
  if (m.type !== CipTypeCode.codes.STRUCT) {
    const type = typeByCode(m.type);
    if (type === undefined || type.size < 0)
      throw invalidTemplate(
        t,
        `member "${m.name}" has type 0x${m.type.toString(16)}, which has no fixed-size codec`,
      );
    return type;
  }
  if (depth + 1 > (opts.maxDepth ?? DEFAULT_MAX_DEPTH))
    throw new CipDecodeError(
      "limit",
      `template "${t.name}": structures nest deeper than allowed`,
      0,
      [t.name],
      "",
    );
  const nested = m.template ?? (m.templateId !== undefined ? opts.resolve?.(m.templateId) : undefined);
  if (nested === undefined)
    throw invalidTemplate(t, `no template for structure member "${m.name}" (template id ${m.templateId})`);
  return buildType(nested, opts, depth + 1);
}

function buildStruct(t: StructTemplate, opts: StructTypeOptions, depth: number): CipType<StructValue> {
  const size = t.size;
  if (!Number.isInteger(size) || size < 0) throw invalidTemplate(t, `size ${size}`);
  const plans: MemberPlan[] = [];
  for (const m of t.members) {
    if (m.hidden) continue;
    if (!Number.isInteger(m.offset) || m.offset < 0)
      throw invalidTemplate(t, `member "${m.name}" offset ${m.offset}`);
    if (m.bit !== undefined && m.arrayLength === undefined) {
      if (!Number.isInteger(m.bit) || m.bit < 0 || m.offset + (m.bit >> 3) >= size)
        throw invalidTemplate(
          t,
          `BOOL member "${m.name}" bit ${m.bit} at ${m.offset} is outside ${size} bytes`,
        );
      plans.push({
        name: m.name,
        offset: m.offset + (m.bit >> 3),
        type: memberType(t, m, opts, depth),
        length: -1,
        mask: 1 << (m.bit & 7),
      });
      continue;
    }
    const type = memberType(t, m, opts, depth);
    const length = m.arrayLength ?? -1;
    if (m.offset + type.size * Math.max(length, 1) > size)
      throw invalidTemplate(t, `member "${m.name}" at ${m.offset} overruns ${size} bytes`);
    plans.push({ name: m.name, offset: m.offset, type, length, mask: 0 });
  }
  const name = t.name;
  return {
    name,
    code: CipTypeCode.codes.STRUCT,
    size,
    sizeOf: () => size,
    decode(r: Reader): StructValue {
      const base = r.offset;
      r.need(size, name);
      const out: StructValue = {};
      for (let i = 0; i < plans.length; i++) {
        const p = plans[i] as MemberPlan;
        if (p.mask !== 0) {
          out[p.name] = ((r.bytes[base + p.offset] as number) & p.mask) !== 0;
          continue;
        }
        r.offset = base + p.offset;
        r.enter(p.name);
        if (p.length < 0) out[p.name] = p.type.decode(r);
        else {
          const values = new Array<unknown>(p.length);
          for (let k = 0; k < p.length; k++) values[k] = p.type.decode(r);
          out[p.name] = values;
        }
        r.leave();
      }
      r.offset = base + size;
      return out;
    },
    encode(w: Writer, v: StructValue): void {
      if (typeof v !== "object" || v === null) throw new CipEncodeError(`"${name}" must be an object`);
      const base = w.offset;
      w.zeros(size);
      for (let i = 0; i < plans.length; i++) {
        const p = plans[i] as MemberPlan;
        const value = v[p.name];
        if (value === undefined) throw new CipEncodeError(`"${name}.${p.name}" is missing`);
        if (p.mask !== 0) {
          if (typeof value !== "boolean") throw new CipEncodeError(`"${name}.${p.name}" must be a boolean`);
          if (value) w.bytes[base + p.offset] = (w.bytes[base + p.offset] as number) | p.mask;
          continue;
        }
        w.offset = base + p.offset;
        if (p.length < 0) p.type.encode(w, value);
        else {
          if (!Array.isArray(value) || value.length !== p.length)
            throw new CipEncodeError(`"${name}.${p.name}" must be an array of ${p.length}`);
          for (let k = 0; k < p.length; k++) p.type.encode(w, value[k]);
        }
      }
      w.offset = base + size;
    },
  };
}

/**
 * A codec for values of the structure `template`: visible members by name, BOOL members as bits of their hidden
 * host bytes, arrays as arrays, and nested structures through their inline template or `opts.resolve`
 * ({LEN, DATA} string structures as JS strings). Encoding zeroes bytes no member covers. Throws CipDecodeError
 * when the template is inconsistent (a member outside the structure, an unknown type, a missing nested template).
 */
export function structType(template: StructTemplate, opts: StructTypeOptions = {}): CipType<StructValue> {
  return buildStruct(template, opts, 0);
}

/** A member of a pycomm3-style JSON structure description (`internal_tags` entries). */
export interface JsonMember {
  offset: number;
  tag_type: "atomic" | "struct";
  data_type: string | JsonDataType;
  array?: number;
  bit?: number;
}

/** A pycomm3-style JSON structure description, as in a tag list's `data_type` (e.g. ExampleSensor-tags.json). */
export interface JsonDataType {
  name: string;
  internal_tags: Record<string, JsonMember>;
  /** Names of the visible members; members not listed are hidden. */
  attributes?: string[];
  template: {
    structure_handle: number;
    structure_size: number;
    member_count?: number;
    object_definition_size?: number;
  };
}

/** A `StructTemplate` from a pycomm3-style JSON description, nested structures inline; throws CipEncodeError on bad input. */
export function templateFromJson(dataType: JsonDataType, maxDepth = DEFAULT_MAX_DEPTH): StructTemplate {
  if (maxDepth < 0) throw new CipEncodeError(`JSON structure "${dataType.name}" nests too deeply`);
  if (typeof dataType !== "object" || dataType === null || typeof dataType.internal_tags !== "object")
    throw new CipEncodeError("a JSON structure needs name, internal_tags and template");
  const visible = dataType.attributes ? new Set(dataType.attributes) : undefined;
  const members: TemplateMember[] = [];
  for (const [name, j] of Object.entries(dataType.internal_tags)) {
    const m: TemplateMember = {
      name,
      type: 0,
      offset: j.offset,
      hidden: visible ? !visible.has(name) : isHiddenMemberName(name),
    };
    if (j.tag_type === "struct") {
      if (typeof j.data_type !== "object")
        throw new CipEncodeError(`member "${name}" is a struct without a data_type`);
      m.type = CipTypeCode.codes.STRUCT;
      m.template = templateFromJson(j.data_type, maxDepth - 1);
    } else {
      const code = (CipTypeCode.codes as Record<string, number>)[String(j.data_type)];
      if (code === undefined)
        throw new CipEncodeError(`member "${name}" has unknown type ${String(j.data_type)}`);
      m.type = code;
    }
    if (j.bit !== undefined) m.bit = j.bit;
    else if (j.array) m.arrayLength = j.array;
    members.push(m);
  }
  return {
    name: dataType.name,
    handle: dataType.template.structure_handle,
    size: dataType.template.structure_size,
    members,
  };
}

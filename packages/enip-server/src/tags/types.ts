/**
 * Data types a tag can have: the elementary CIP types, the Logix STRING structure, CIP SSTRING (cpppo's string
 * type), and user structures (UDTs) built from pycomm3-style JSON. Each is a `TagDataType` that knows its wire type
 * code, its element size in storage, its codec and, for structures, its template and Template instance id.
 */
import {
  type AnyCipType,
  BOOL,
  CipTypeCode,
  DINT,
  DWORD,
  INT,
  type JsonDataType,
  LINT,
  LOGIX_STRING,
  LOGIX_STRING_HANDLE,
  LREAL,
  LWORD,
  REAL,
  SINT,
  SSTRING,
  type StructTemplate,
  structType,
  type TemplateMember,
  templateFromJson,
  UDINT,
  UINT,
  ULINT,
  USINT,
  WORD,
} from "@cpppo/cip-codec";
import { InvalidTagError } from "../core/errors.js";

/** How the values of a type are stored and sent: one fixed slot per element, encoded on the wire as is or re-packed. */
export interface TagDataType {
  /** Canonical type name: "INT", "STRING", "Example_SENSOR"… */
  readonly name: string;
  /** Type code on the wire: 0xC1…0xDA, or 0x02A0 for a structure. */
  readonly code: number;
  /** Structure handle after 0x02A0; present exactly for structures. */
  readonly structureHandle?: number;
  /** Bytes one element takes in storage (for SSTRING a whole 256-byte slot). */
  readonly size: number;
  /** Codec of one element's value (for structures, the visible members as an object; Logix STRING as text). */
  readonly codec: AnyCipType;
  /** True when the wire form of an element is its storage slot unchanged (everything but SSTRING). */
  readonly fixed: boolean;
  /** The structure's template; present for structures. */
  readonly template?: StructTemplate;
  /** Template object (0x6C) instance id describing the structure; present for structures. */
  readonly templateId?: number;
  /** True for signed/unsigned integer and bit-string types (Read Modify Write applies to these). */
  readonly integer: boolean;
}

const STRUCT = CipTypeCode.codes.STRUCT;
/** Bytes of a stored SSTRING: its USINT length and up to 255 characters. */
export const SSTRING_SLOT = 256;
/** Template instance id real controllers give the built-in STRING type (equal to its structure handle). */
export const STRING_TEMPLATE_ID = LOGIX_STRING_HANDLE;
/** First Template instance id handed to user structures; ids are 12 bits wide in a symbol type word. */
const FIRST_TEMPLATE_ID = 0x100;
const MAX_TEMPLATE_ID = 0xfff;

function elementary(codec: AnyCipType, integer: boolean): TagDataType {
  return { name: codec.name, code: codec.code, size: codec.size, codec, fixed: true, integer };
}

/** The Logix STRING structure {LEN DINT, DATA SINT[82]} as Template object 0x0FCE describes it. */
export const STRING_TEMPLATE: StructTemplate = {
  name: "STRING",
  handle: LOGIX_STRING_HANDLE,
  size: 88,
  members: [
    { name: "LEN", type: CipTypeCode.codes.DINT, offset: 0, hidden: false },
    { name: "DATA", type: CipTypeCode.codes.SINT, offset: 4, arrayLength: 82, hidden: false },
  ],
};

/** The built-in Logix STRING: type 0x02A0, handle 0x0FCE, 88 bytes, read and written as text. */
export const LOGIX_STRING_TYPE: TagDataType = {
  name: "STRING",
  code: STRUCT,
  structureHandle: LOGIX_STRING_HANDLE,
  size: LOGIX_STRING.size,
  codec: LOGIX_STRING,
  fixed: true,
  template: STRING_TEMPLATE,
  templateId: STRING_TEMPLATE_ID,
  integer: false,
};

/** CIP SHORT_STRING (0xDA), cpppo's string tag type: stored in 256-byte slots, sent as USINT length + characters. */
export const SSTRING_TYPE: TagDataType = {
  name: "SSTRING",
  code: SSTRING.code,
  size: SSTRING_SLOT,
  codec: SSTRING,
  fixed: false,
  integer: false,
};

const ELEMENTARY: ReadonlyMap<string, TagDataType> = new Map<string, TagDataType>([
  ["BOOL", elementary(BOOL, true)],
  ["SINT", elementary(SINT, true)],
  ["INT", elementary(INT, true)],
  ["DINT", elementary(DINT, true)],
  ["LINT", elementary(LINT, true)],
  ["USINT", elementary(USINT, true)],
  ["UINT", elementary(UINT, true)],
  ["UDINT", elementary(UDINT, true)],
  ["ULINT", elementary(ULINT, true)],
  ["REAL", elementary(REAL, false)],
  ["LREAL", elementary(LREAL, false)],
  ["WORD", elementary(WORD, true)],
  ["DWORD", elementary(DWORD, true)],
  ["LWORD", elementary(LWORD, true)],
  ["STRING", LOGIX_STRING_TYPE],
  ["SSTRING", SSTRING_TYPE],
  ["SHORT_STRING", SSTRING_TYPE],
]);

const BY_CODE: ReadonlyMap<number, TagDataType> = new Map(
  [...ELEMENTARY.values()].filter((t) => t.code !== STRUCT).map((t) => [t.code, t]),
);

/** The elementary (or SSTRING) type with wire code `code`, if any. */
export function elementaryByCode(code: number): TagDataType | undefined {
  return BY_CODE.get(code);
}

/** Names of the built-in types, for messages. */
export const BUILTIN_TYPE_NAMES: readonly string[] = [...ELEMENTARY.keys()];

/**
 * The types a controller knows: the built-ins and the UDTs registered from JSON. Every structure (including nested
 * ones and STRING) gets a Template instance id, so the Template object can describe it and symbol type words name it.
 */
export class TypeRegistry {
  readonly #byName = new Map<string, TagDataType>();
  readonly #byTemplateId = new Map<number, TagDataType>();
  #nextTemplateId = FIRST_TEMPLATE_ID;

  constructor() {
    this.#byTemplateId.set(STRING_TEMPLATE_ID, LOGIX_STRING_TYPE);
  }

  /** The type named `name` (case-insensitive), or undefined. */
  get(name: string): TagDataType | undefined {
    const upper = name.toUpperCase();
    return ELEMENTARY.get(upper) ?? this.#byName.get(upper);
  }

  /** The structure type described by Template instance `id`, or undefined. */
  byTemplateId(id: number): TagDataType | undefined {
    return this.#byTemplateId.get(id);
  }

  /** Every structure type with a template (STRING and the UDTs), by ascending Template instance id. */
  structures(): TagDataType[] {
    return [...this.#byTemplateId.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]);
  }

  /**
   * Registers a UDT from its pycomm3-style JSON description (nested structures included) and returns its type;
   * throws InvalidTagError when the description is inconsistent or its name is taken by another layout.
   */
  defineUdt(json: JsonDataType): TagDataType {
    let template: StructTemplate;
    try {
      template = templateFromJson(json);
    } catch (err) {
      throw new InvalidTagError(`UDT "${String(json?.name)}": ${(err as Error).message}`, { cause: err });
    }
    return this.#register(template);
  }

  #register(template: StructTemplate): TagDataType {
    const upper = template.name.toUpperCase();
    if (ELEMENTARY.has(upper)) {
      if (upper === "STRING" && template.handle === LOGIX_STRING_HANDLE && template.size === 88)
        return LOGIX_STRING_TYPE;
      throw new InvalidTagError(`UDT "${template.name}" has the name of a built-in type; rename it`);
    }
    const existing = this.#byName.get(upper);
    if (existing) {
      if (existing.structureHandle === template.handle && existing.size === template.size) return existing;
      throw new InvalidTagError(
        `UDT "${template.name}" is defined twice with different layouts (handle 0x${template.handle.toString(16)}, ${template.size} bytes vs handle 0x${(existing.structureHandle ?? 0).toString(16)}, ${existing.size} bytes)`,
      );
    }
    // Nested structures first, so each member can name its Template instance id (Read Template needs it).
    const members: TemplateMember[] = template.members.map((m) => {
      if (m.type !== STRUCT || !m.template) return m;
      const nested = this.#register(m.template);
      return { ...m, templateId: nested.templateId, template: nested.template };
    });
    const own: StructTemplate = { ...template, members };
    let codec: AnyCipType;
    try {
      codec = structType(own);
    } catch (err) {
      throw new InvalidTagError(`UDT "${template.name}": ${(err as Error).message}`, { cause: err });
    }
    if (this.#nextTemplateId === STRING_TEMPLATE_ID) this.#nextTemplateId++;
    if (this.#nextTemplateId > MAX_TEMPLATE_ID)
      throw new InvalidTagError(`UDT "${template.name}": too many structure types (at most 3839)`);
    const type: TagDataType = {
      name: template.name,
      code: STRUCT,
      structureHandle: template.handle,
      size: template.size,
      codec,
      fixed: true,
      template: own,
      templateId: this.#nextTemplateId++,
      integer: false,
    };
    this.#byName.set(upper, type);
    this.#byTemplateId.set(type.templateId as number, type);
    return type;
  }
}

/** The type of a structure member (one element of it), resolving nested templates through `registry`. */
export function memberType(registry: TypeRegistry, m: TemplateMember): TagDataType | undefined {
  if (m.type === STRUCT) return m.templateId !== undefined ? registry.byTemplateId(m.templateId) : undefined;
  return elementaryByCode(m.type);
}

/**
 * Write Tag type compatibility, as cpppo's simulator allows it (cpppo reference §2.6): a value of type `from` may be
 * written to a tag of type `to` when `to` holds every value of `from`. Anything else is 0xFF ext 0x2107.
 */
export function writableFrom(to: TagDataType, from: TagDataType): boolean {
  if (to === from) return true;
  const allowed = WIDENING.get(to.name);
  return allowed?.has(from.name) === true;
}

const SMALL_INTS = ["BOOL", "SINT", "USINT", "INT", "UINT", "DINT", "UDINT"];
const WIDENING: ReadonlyMap<string, ReadonlySet<string>> = new Map(
  Object.entries({
    SINT: ["BOOL", "USINT"],
    USINT: ["BOOL"],
    INT: ["BOOL", "SINT", "USINT", "UINT"],
    UINT: ["BOOL", "USINT"],
    DINT: SMALL_INTS,
    UDINT: ["BOOL", "USINT", "UINT"],
    LINT: [...SMALL_INTS, "ULINT"],
    ULINT: ["BOOL", "USINT", "UINT", "UDINT"],
    REAL: SMALL_INTS,
    LREAL: [...SMALL_INTS, "REAL"],
  }).map(([k, v]) => [k, new Set(v)]),
);

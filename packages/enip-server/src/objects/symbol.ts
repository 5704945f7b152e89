/**
 * The Logix Symbol object 0x6B (1756-PM020 "Symbol object"): Get Instance Attribute List 0x55 lists tags from a
 * start instance, controller-scoped or under a `Program:Name` symbolic prefix, as st-ethernet-ip, pycomm3, pylogix
 * and libplctag upload tag lists. A reply holds whole records up to the reply limit; 0x06 means more follow, and the
 * client asks again from the last instance listed + 1.
 */
import {
  encodeValues,
  GeneralStatus,
  type GetInstanceAttributeListReply,
  type GetInstanceAttributeListRequest,
  LogixService,
  STRING,
  SYMBOL_CLASS,
  type SymbolAttribute,
  SymbolAttributeId,
  type SymbolInstance,
  SymbolTypeBits,
  UDINT,
  UINT,
  USINT,
} from "@cpppo/cip-codec";
import { ReplyService } from "../core/reply-service.js";
import type { SymbolEntry, TagTable } from "../tags/table.js";
import type { Tag } from "../tags/tag.js";
import { CipClass, CipInstance, valueAttribute } from "./model.js";

/** Low byte of the symbol type word Logix lists a program entry ("Program:Main") with. */
const PROGRAM_TYPE = 0x68;
/** Symbol type word of a program entry, as Logix lists programs: the system bit and the program type (0x1068). */
const PROGRAM_SYMBOL_TYPE = SymbolTypeBits.SYSTEM | PROGRAM_TYPE;
/** Base of the made-up symbol object addresses (attribute 5); real controllers space them 40 bytes apart too. */
const OBJECT_ADDRESS_BASE = 0x00ff4600;
const OBJECT_ADDRESS_STRIDE = 40;
/** Base of the made-up data addresses (attribute 3). */
const DATA_ADDRESS_BASE = 0x00001000;
/** Software control (attribute 6) with external access Read/Write, as real controllers report user tags. */
const SOFTWARE_CONTROL_BASE = 0x04010000;
/** External access (attribute 10, USINT) of a tag: 0 Read/Write (2 is Read Only, 3 None). */
const EXTERNAL_ACCESS_READ_WRITE = 0;
/** External access of a program entry: 3 None (a program holds no data a client may read or write). */
const EXTERNAL_ACCESS_NONE = 3;
const S = GeneralStatus.codes;
const L = LogixService.codes;

/** The symbol type word (attribute 2) of a tag: elementary code or struct bit + template id, plus array dimensions. */
export function symbolType(tag: Tag): number {
  const t = tag.type;
  const word =
    t.templateId !== undefined
      ? SymbolTypeBits.STRUCT | (t.templateId & SymbolTypeBits.TEMPLATE_ID_MASK)
      : t.code & SymbolTypeBits.ATOMIC_MASK;
  return tag.isArray ? word | SymbolTypeBits.ONE_DIMENSION : word;
}

function attributeValue(entry: SymbolEntry, id: number): SymbolAttribute["value"] | undefined {
  const tag = entry.tag;
  switch (id) {
    case SymbolAttributeId.name:
      return entry.name;
    case SymbolAttributeId.symbolType:
      return tag ? symbolType(tag) : PROGRAM_SYMBOL_TYPE;
    case SymbolAttributeId.address:
      return (DATA_ADDRESS_BASE + entry.instance * 0x100) >>> 0;
    case SymbolAttributeId.objectAddress:
      return (OBJECT_ADDRESS_BASE + entry.instance * OBJECT_ADDRESS_STRIDE) >>> 0;
    case SymbolAttributeId.softwareControl:
      return (SOFTWARE_CONTROL_BASE | (entry.instance & 0xffff)) >>> 0;
    case SymbolAttributeId.elementSize:
      return tag ? Math.min(tag.type.size, 0xffff) : 0;
    case SymbolAttributeId.dimensions:
      return tag?.isArray ? [tag.elements, 0, 0] : [0, 0, 0];
    case SymbolAttributeId.externalAccess:
      return tag ? EXTERNAL_ACCESS_READ_WRITE : EXTERNAL_ACCESS_NONE;
    default:
      return undefined;
  }
}

function valueSize(id: number, v: SymbolAttribute["value"]): number {
  if (id === SymbolAttributeId.name) return 2 + (v as string).length;
  if (id === SymbolAttributeId.dimensions) return 12;
  if (id === SymbolAttributeId.externalAccess) return 1;
  return id === SymbolAttributeId.symbolType || id === SymbolAttributeId.elementSize ? 2 : 4;
}

/** Where a Get Instance Attribute List path points: the scope (program) and the first instance. */
function parseListPath(
  tags: TagTable,
  req: GetInstanceAttributeListRequest,
): { scope: string | undefined; start: number } | { status: number; ext: number[] } {
  const path = req.path;
  let i = 0;
  let scope: string | undefined;
  const first = path[0];
  if (first && "symbolic" in first) {
    const program = tags.program(first.symbolic);
    if (!program) return { status: S.pathSegmentError, ext: [0] };
    scope = program.name.toLowerCase();
    i = 1;
  }
  const cls = path[i];
  if (!cls || !("class" in cls) || cls.class !== SYMBOL_CLASS)
    return { status: S.serviceNotSupported, ext: [] };
  const inst = path[i + 1];
  const start = inst && "instance" in inst ? inst.instance : 0;
  if (path.length > i + 2) return { status: S.pathSegmentError, ext: [0] };
  return { scope, start };
}

/** Answers Get Instance Attribute List with records of at most `limit` bytes in all. */
export function listSymbols(
  tags: TagTable,
  req: GetInstanceAttributeListRequest,
  limit: number,
): GetInstanceAttributeListReply {
  const where = parseListPath(tags, req);
  if ("status" in where)
    return {
      kind: "getInstanceAttributeList",
      service: ReplyService.getInstanceAttributeList,
      generalStatus: where.status,
      extStatus: where.ext,
    };
  for (const id of req.attributes)
    if (attributeValue({ instance: 0, name: "" }, id) === undefined)
      return {
        kind: "getInstanceAttributeList",
        service: ReplyService.getInstanceAttributeList,
        generalStatus: S.attributeNotSupported,
        extStatus: [],
      };
  const entries = tags.symbols(where.scope);
  const instances: SymbolInstance[] = [];
  let used = 0;
  let more = false;
  // Entries are in ascending instance order: a binary search finds where a continuation starts.
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((entries[mid] as SymbolEntry).instance < where.start) lo = mid + 1;
    else hi = mid;
  }
  for (let k = lo; k < entries.length; k++) {
    const entry = entries[k] as SymbolEntry;
    const attributes: SymbolAttribute[] = new Array(req.attributes.length);
    let size = 4;
    for (let j = 0; j < req.attributes.length; j++) {
      const id = req.attributes[j] as number;
      const value = attributeValue(entry, id) as SymbolAttribute["value"];
      attributes[j] = { id, value };
      size += valueSize(id, value);
    }
    if (used + size > limit && instances.length > 0) {
      more = true;
      break;
    }
    instances.push({ instance: entry.instance, attributes });
    used += size;
  }
  return {
    kind: "getInstanceAttributeList",
    service: ReplyService.getInstanceAttributeList,
    generalStatus: more ? S.partialTransfer : 0,
    extStatus: [],
    instances,
  };
}

/**
 * The Symbol class: its instances are the table's symbol entries, made on demand (a table of 100 000 tags builds no
 * objects up front). Get Attribute Single/List answer attributes 1 (name as UINT length + characters), 2, 7, 8 and
 * 10 (external access).
 */
export class SymbolClass extends CipClass {
  readonly #tags: TagTable;

  /** The Symbol class over `tags`. */
  constructor(tags: TagTable) {
    super(SYMBOL_CLASS, "Symbol", 3, [
      L.getInstanceAttributeList,
      L.readTag,
      L.writeTag,
      L.readModifyWriteTag,
      L.readTagFragmented,
      L.writeTagFragmented,
    ]);
    this.#tags = tags;
  }

  override maxInstance(): number {
    return Math.min(this.#tags.lastInstance, 0xffff);
  }

  override instanceCount(): number {
    return this.#tags.symbolCount;
  }

  override instance(id: number): CipInstance | undefined {
    if (id === 0) return super.instance(0);
    const entry = this.#tags.symbol(id);
    if (!entry) return undefined;
    const dims = attributeValue(entry, SymbolAttributeId.dimensions) as number[];
    return new CipInstance(SYMBOL_CLASS, id, [
      valueAttribute(1, STRING, () => entry.name),
      valueAttribute(2, UINT, () => attributeValue(entry, SymbolAttributeId.symbolType)),
      valueAttribute(7, UINT, () => attributeValue(entry, SymbolAttributeId.elementSize)),
      { id: 8, get: () => encodeValues(UDINT, dims), size: 12 },
      valueAttribute(10, USINT, () => attributeValue(entry, SymbolAttributeId.externalAccess)),
    ]);
  }
}

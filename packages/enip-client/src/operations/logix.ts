/**
 * Logix data: the tag list (Symbol class 0x6B through Get Instance Attribute List 0x55, continued while the
 * controller answers 0x06, controller and program scope), structure templates (class 0x6C: attributes, then Read
 * Template continued) turned into codecs with named members, and Logix STRING read and written as text.
 */
import {
  type AnyCipType,
  CipTypeCode,
  decodeTemplateDefinition,
  GeneralStatus,
  getInstanceAttributeListRequest,
  isLogixStringTemplate,
  isSuccessStatus,
  LOGIX_STRING,
  logixStringType,
  Reader,
  readTemplateRequest,
  type StructTemplate,
  SymbolAttributeId,
  SymbolTypeBits,
  structType,
  TEMPLATE_CLASS,
  TemplateAttribute,
} from "@cpppo/cip-codec";
import { ProtocolError } from "../core/errors.js";
import { type PathLike, toPath } from "../core/path.js";
import type { CipResult, ReadResult, RequestOptions } from "../core/result.js";
import { resultOf } from "../core/result.js";
import { getAttributeList, replyData } from "./attributes.js";
import type { TagPort } from "./port.js";
import { readTag, writeTag } from "./tags.js";

/** One tag of the controller's tag list. */
export interface TagInfo {
  /** Full name: `Tag`, or `Program:Main.Tag` for a program-scoped tag. */
  name: string;
  /** Symbol instance id. */
  instance: number;
  /** The raw symbol type word (attribute 2). */
  symbolType: number;
  /** Element type code: an elementary code (0xC1…), or 0x02A0 for a structure. */
  type: number;
  /** Template instance id of a structure type. */
  templateId?: number;
  /** Bit position of a BOOL packed in a DINT (symbol type bits 8-10). */
  bit?: number;
  /** Array dimensions (empty for a scalar). */
  dimensions: number[];
  /** True for system tags (symbol type bit 12). */
  system: boolean;
  /** The program it belongs to ("Program:Main"), absent for controller scope. */
  program?: string;
}

const PARTIAL = GeneralStatus.codes.partialTransfer;
/** Most Get Instance Attribute List rounds of one scope: a guard against a device that never says "done". */
const MAX_LIST_ROUNDS = 10000;
/** Template definition size (attribute 4, in words) × 4 less this many bytes is what Read Template returns (1756-PM020). */
const TEMPLATE_DEFINITION_OVERHEAD = 23;
const MAX_TEMPLATE_DEPTH = 16;

/** Decodes a symbol type word into the fields of `TagInfo`. */
export function decodeSymbolType(
  word: number,
): Pick<TagInfo, "type" | "templateId" | "bit" | "system"> & { dimensionCount: number } {
  const b = SymbolTypeBits;
  const struct = (word & b.STRUCT) !== 0;
  const out: Pick<TagInfo, "type" | "templateId" | "bit" | "system"> & { dimensionCount: number } = {
    type: struct ? CipTypeCode.codes.STRUCT : word & b.ATOMIC_MASK,
    system: (word & b.SYSTEM) !== 0,
    dimensionCount: (word & b.DIMENSIONS_MASK) >> b.DIMENSIONS_SHIFT,
  };
  if (struct) out.templateId = word & b.TEMPLATE_ID_MASK;
  else if (out.type === CipTypeCode.codes.BOOL)
    out.bit = (word & b.BIT_POSITION_MASK) >> b.BIT_POSITION_SHIFT;
  return out;
}

async function listScope(
  port: TagPort,
  program: string | undefined,
  options: RequestOptions,
): Promise<TagInfo[]> {
  const tags: TagInfo[] = [];
  let start = 0;
  for (let round = 0; round < MAX_LIST_ROUNDS; round++) {
    const reply = await port.request(
      getInstanceAttributeListRequest(
        start,
        [SymbolAttributeId.name, SymbolAttributeId.symbolType, SymbolAttributeId.dimensions],
        program,
      ),
      options,
    );
    if (!isSuccessStatus(reply.generalStatus))
      throw new ProtocolError(
        `listing the tags${program ? ` of ${program}` : ""} failed: status 0x${reply.generalStatus.toString(16)}`,
      );
    if (reply.kind !== "getInstanceAttributeList" || reply.instances === undefined) return tags;
    let last = start;
    for (const inst of reply.instances) {
      let name = "";
      let symbolType = 0;
      let dims: number[] = [];
      for (const a of inst.attributes) {
        if (a.id === SymbolAttributeId.name) name = a.value as string;
        else if (a.id === SymbolAttributeId.symbolType) symbolType = a.value as number;
        else if (a.id === SymbolAttributeId.dimensions) dims = a.value as number[];
      }
      const t = decodeSymbolType(symbolType);
      const info: TagInfo = {
        name: program ? `${program}.${name}` : name,
        instance: inst.instance,
        symbolType,
        type: t.type,
        dimensions: dims.slice(0, t.dimensionCount),
        system: t.system,
      };
      if (t.templateId !== undefined) info.templateId = t.templateId;
      if (t.bit !== undefined) info.bit = t.bit;
      if (program) info.program = program;
      tags.push(info);
      last = Math.max(last, inst.instance);
    }
    if (reply.generalStatus !== PARTIAL) return tags;
    if (reply.instances.length === 0) throw new ProtocolError("a partial tag list reply carried no tags");
    start = last + 1;
  }
  throw new ProtocolError(`the tag list did not end after ${MAX_LIST_ROUNDS} requests`);
}

/**
 * The controller's tag list: controller-scoped tags, then the tags of every `Program:…` found among them
 * (unless `programs: false`). Names starting `__` (Logix internals) are left out unless `all`.
 */
export async function listTags(
  port: TagPort,
  options: RequestOptions & { programs?: boolean; all?: boolean } = {},
): Promise<TagInfo[]> {
  const controller = await listScope(port, undefined, options);
  const out: TagInfo[] = [];
  for (const tag of controller) {
    if (tag.name.startsWith("Program:")) {
      if (options.programs !== false) out.push(...(await listScope(port, tag.name, options)));
      continue;
    }
    out.push(tag);
  }
  return options.all ? out : out.filter((t) => !t.name.split(".").some((part) => part.startsWith("__")));
}

function u16(bytes: Uint8Array | undefined): number | undefined {
  return bytes && bytes.length >= 2 ? (bytes[0] as number) | ((bytes[1] as number) << 8) : undefined;
}

function u32(bytes: Uint8Array | undefined): number | undefined {
  return bytes && bytes.length >= 4
    ? ((bytes[0] as number) | ((bytes[1] as number) << 8) | ((bytes[2] as number) << 16)) +
        (bytes[3] as number) * 0x1000000
    : undefined;
}

/**
 * Reads structure template `templateId` (attributes 4, 5, 2, 1 of `@0x6C/id`, then Read Template continued while
 * partial) and, with its nested templates, registers a codec for its structure handle in `port.structTypes`,
 * so reads of that type decode into named members. Templates already read are taken from `cache`.
 */
export async function readTemplate(
  port: TagPort,
  templateId: number,
  options: RequestOptions & { cache?: Map<number, StructTemplate> } = {},
  depth = 0,
): Promise<StructTemplate> {
  const cache = options.cache ?? templateCache(port);
  const known = cache.get(templateId);
  if (known) return known;
  if (depth > MAX_TEMPLATE_DEPTH) throw new ProtocolError(`templates nest deeper than ${MAX_TEMPLATE_DEPTH}`);
  const a = TemplateAttribute.codes;
  const attrs = await getAttributeList(
    port,
    [{ class: TEMPLATE_CLASS }, { instance: templateId }],
    [a.DEFINITION_SIZE, a.STRUCTURE_SIZE, a.MEMBER_COUNT, a.STRUCTURE_HANDLE],
    {
      ...options,
      sizes: { [a.DEFINITION_SIZE]: 4, [a.STRUCTURE_SIZE]: 4, [a.MEMBER_COUNT]: 2, [a.STRUCTURE_HANDLE]: 2 },
    },
  );
  if (!attrs.ok || attrs.value === undefined)
    throw new ProtocolError(`template ${templateId}: attributes not readable (${attrs.statusText})`);
  const byId = new Map(attrs.value.map((r) => [r.id, r.value]));
  const words = u32(byId.get(a.DEFINITION_SIZE));
  const structureSize = u32(byId.get(a.STRUCTURE_SIZE));
  const memberCount = u16(byId.get(a.MEMBER_COUNT));
  const structureHandle = u16(byId.get(a.STRUCTURE_HANDLE));
  if (
    words === undefined ||
    structureSize === undefined ||
    memberCount === undefined ||
    structureHandle === undefined
  )
    throw new ProtocolError(`template ${templateId}: an attribute is missing from the reply`);
  const total = Math.max(0, words * 4 - TEMPLATE_DEFINITION_OVERHEAD);
  const pieces: Uint8Array[] = [];
  let offset = 0;
  for (;;) {
    const want = Math.max(1, total - offset);
    const reply = await port.request(
      readTemplateRequest(templateId, Math.min(0xffff, want), offset),
      options,
    );
    if (!isSuccessStatus(reply.generalStatus))
      throw new ProtocolError(
        `template ${templateId}: Read Template failed (status 0x${reply.generalStatus.toString(16)})`,
      );
    const data = replyData(reply);
    pieces.push(data);
    offset += data.length;
    if (reply.generalStatus !== PARTIAL) break;
    if (data.length === 0) throw new ProtocolError(`template ${templateId}: a partial reply carried no data`);
    if (offset > words * 4 + 4)
      throw new ProtocolError(`template ${templateId}: more data than its definition size`);
  }
  const joined = new Uint8Array(offset);
  let at = 0;
  for (const p of pieces) {
    joined.set(p, at);
    at += p.length;
  }
  let template: StructTemplate;
  try {
    template = decodeTemplateDefinition(new Reader(joined), { memberCount, structureHandle, structureSize });
  } catch (error) {
    throw new ProtocolError(`template ${templateId}: ${(error as Error).message}`, { cause: error });
  }
  cache.set(templateId, template);
  for (const m of template.members)
    if (m.templateId !== undefined && !m.hidden)
      await readTemplate(port, m.templateId, { ...options, cache }, depth + 1);
  port.structTypes.set(structureHandle, codecOf(template, cache));
  return template;
}

/** A Logix string type ({LEN, DATA[n]}) reads as text; any other structure as an object of named members. */
function codecOf(template: StructTemplate, cache: Map<number, StructTemplate>): AnyCipType {
  if (isLogixStringTemplate(template)) {
    const data = template.members.find((m) => m.name === "DATA");
    return logixStringType(data?.arrayLength ?? 0, template.size, template.name, template.handle);
  }
  return structType(template, { resolve: (id) => cache.get(id) });
}

/** Templates read so far, by the client (port) they were read through. */
const caches = new WeakMap<TagPort, Map<number, StructTemplate>>();

/** The templates read through `client` so far, by template instance id. */
export function templateCache(port: TagPort): Map<number, StructTemplate> {
  let cache = caches.get(port);
  if (cache === undefined) {
    cache = new Map();
    caches.set(port, cache);
  }
  return cache;
}

/** Lists the tags and reads the template of every structure type among them (so reads decode members by name). */
export async function loadTags(port: TagPort, options: RequestOptions = {}): Promise<TagInfo[]> {
  const tags = await listTags(port, options);
  for (const t of tags) if (t.templateId !== undefined) await readTemplate(port, t.templateId, options);
  return tags;
}

/** Reads a Logix STRING tag (or `elements` of a STRING array) as text. */
export async function readString(
  port: TagPort,
  tag: PathLike,
  options: RequestOptions & { elements?: number } = {},
): Promise<CipResult<string[]>> {
  const r: ReadResult = await readTag(port, toPath(tag), options.elements ?? 1, options);
  if (!r.ok) return resultOf(r.reply);
  if (!r.value?.every((v) => typeof v === "string"))
    throw new ProtocolError(`the tag is not a Logix string (type 0x${(r.type ?? 0).toString(16)})`);
  return resultOf(r.reply, r.value as string[]);
}

/** Writes text to a Logix STRING tag (at most 82 ISO-8859-1 characters each). */
export function writeString(
  port: TagPort,
  tag: PathLike,
  text: string | string[],
  options: RequestOptions = {},
): Promise<CipResult<true>> {
  return writeTag(port, toPath(tag), Array.isArray(text) ? text : [text], { ...options, type: LOGIX_STRING });
}

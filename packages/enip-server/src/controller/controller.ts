/**
 * The simulated Logix controller: tags, CIP objects and `execute`, which answers one CIP request with one reply.
 * It is pure and synchronous (no sockets, no timers); the transport unwraps Unconnected Send and handles
 * Forward Open/Close, then hands the embedded request here. Every outcome is a reply, never an exception.
 */
import {
  type AttributeResult,
  type AttributeSizeResolver,
  type CipReply,
  type CipRequest,
  CipService,
  CONNECTION_MANAGER_CLASS,
  checkLatin1,
  decodeRequestBytes,
  type EPath,
  encodeIdentityBytes,
  encodeRequestBytes,
  encodeTcpIpInterfaceBytes,
  GeneralStatus,
  type GenericReply,
  type Identity,
  type JsonDataType,
  LogixService,
  MESSAGE_ROUTER_CLASS,
  MESSAGE_ROUTER_PATH,
  type MultipleServiceRequest,
  multipleServiceReply,
  type ReadModifyWriteTagRequest,
  type ReadTagFragmentedRequest,
  type ReadTagRequest,
  type Segment,
  SYMBOL_CLASS,
  sizeOfReply,
  type TcpIpInterface,
  TEMPLATE_CLASS,
  type WriteTagFragmentedRequest,
  type WriteTagRequest,
} from "@cpppo/cip-codec";
import { InvalidArgumentError } from "../core/errors.js";
import { ReplyService, replyServiceOf } from "../core/reply-service.js";
import { type CipAttribute, CipInstance, NOT_SETTABLE, ObjectModel } from "../objects/model.js";
import {
  addStandardObjects,
  DEFAULT_ETHERNET_LINK,
  DEFAULT_IDENTITY,
  DEFAULT_TCPIP,
  type DeviceState,
  type EthernetLink,
  parseMac,
} from "../objects/standard.js";
import { listSymbols, SymbolClass } from "../objects/symbol.js";
import { TemplateClass, TemplateInstance } from "../objects/template.js";
import type { TagAddress, TagDefinition } from "../tags/grammar.js";
import type { TagHooks } from "../tags/hooks.js";
import {
  attributeBytes,
  hookWrite,
  NO_EXT,
  readFailure,
  readModifyWrite,
  readTag,
  sharesStorage,
  writeReply,
  writeTag,
} from "../tags/io.js";
import { isFailure, resolveTagPath, type TagView } from "../tags/resolve.js";
import { TagTable } from "../tags/table.js";
import type { Tag } from "../tags/tag.js";
import { TypeRegistry } from "../tags/types.js";

/** Options of a Controller; every field is optional. */
export interface ControllerOptions {
  /** The controller (project) name clients read from @0x64/1 (pycomm3 does at connect); default "Simulator". */
  name?: string;
  /** Identity object values over cpppo's defaults (1756-L61/B LOGIX5561, vendor 1, revision 20.11, …). */
  identity?: Partial<Identity>;
  /** TCP/IP Interface values over the defaults (status 2, capability 0x30, addresses 0.0.0.0, no host name). */
  tcpip?: Partial<TcpIpInterface>;
  /** Ethernet Link values over the defaults (100 Mbit/s, full duplex, MAC 00:00:bc:3c:6f:01). */
  ethernetLink?: Partial<EthernetLink>;
  /** Tags to create, in order: grammar text ("SCADA=INT[1000]", "Motor@0x93/3/10=REAL") or definitions. */
  tags?: (string | TagDefinition)[];
  /** UDTs (pycomm3-style JSON, as in ExampleSensor-tags.json's `data_type`) that tag types may name. */
  udts?: JsonDataType[];
  /** Tag read/write interception; default none. */
  hooks?: TagHooks;
  /** Bytes of tag data per reply when the transport gives no `replyLimit`; default 488 (cpppo, Logix UCMM). */
  maxReplyData?: number;
  /** Most requests in one Multiple Service Packet; default 200 (more: status 0x15). */
  maxServices?: number;
}

/** What the transport knows about a request. */
export interface RequestContext {
  /** "ip:port" of the peer, for hooks and logging. */
  peer?: string;
  /** True when the request arrived over a class-3 connection. */
  connected?: boolean;
  /** Bytes the whole CIP reply may take (the connection size, less the sequence count), when known. */
  replyLimit?: number;
}

/** Default controller (project) name. */
export const DEFAULT_NAME = "Simulator";
/** Default bytes of tag data per reply (cpppo's MAX_BYTES; what a Logix answers over UCMM). */
export const DEFAULT_MAX_REPLY_DATA = 488;
/** Default ceiling of requests in one Multiple Service Packet. */
export const DEFAULT_MAX_SERVICES = 200;
/** Reply bytes besides tag data: the reply header (4) and the tag type with a structure handle (4). */
const READ_REPLY_OVERHEAD = 8;
/** Largest attribute value a Get Attribute Single/All answers (it must fit one encapsulated reply). */
const MAX_ATTRIBUTE_REPLY = 0xffff - 64;

const NO_CONTEXT: RequestContext = Object.freeze({});
const EMPTY = new Uint8Array(0);
/** Services every object answers (CIP Vol 1 Appendix A). */
const COMMON_SERVICES: ReadonlySet<number> = new Set([
  CipService.codes.getAttributesAll,
  CipService.codes.getAttributeList,
  CipService.codes.setAttributeList,
  CipService.codes.getAttributeSingle,
  CipService.codes.setAttributeSingle,
]);
/** Services that mean Logix tag access on a numeric path (cpppo style `@class/instance/attribute`). */
const TAG_SERVICES: ReadonlySet<number> = new Set([
  LogixService.codes.readTag,
  LogixService.codes.writeTag,
  LogixService.codes.readModifyWriteTag,
  LogixService.codes.readTagFragmented,
  LogixService.codes.writeTagFragmented,
]);

const S = GeneralStatus.codes;
const C = CipService.codes;
/** Bytes of a Message Router reply header (service, reserved, status, extended status size). */
const REPLY_HEADER = 4;
/** A Multiple Service Packet reply before its offsets: the reply header and the service count. */
const MSP_REPLY_OVERHEAD = REPLY_HEADER + 2;

function generic(
  service: number,
  status: number,
  ext: number[] = NO_EXT,
  data: Uint8Array = EMPTY,
): GenericReply {
  return { kind: "generic", service: replyServiceOf(service), generalStatus: status, extStatus: ext, data };
}

/**
 * Bytes of tag data a read reply may carry: `maxReplyData`, or what the transport's `replyLimit` (a connection's
 * size) leaves after the reply header and tag type. Shared with the transport's read fast lane (read-lane.ts).
 */
export function readDataLimit(maxReplyData: number, context: RequestContext): number {
  const limit = context.replyLimit;
  if (limit === undefined) return maxReplyData;
  return Math.max(1, limit - READ_REPLY_OVERHEAD);
}

/** The class, instance and attribute a numeric path names (undefined where a segment is absent). */
interface Target {
  cls?: number;
  instance?: number;
  attribute?: number;
  /** True when the path holds anything else (symbolic segments, elements, ports…). */
  other: boolean;
}

function target(path: EPath): Target {
  const t: Target = { other: false };
  for (let i = 0; i < path.length; i++) {
    const s = path[i] as Segment;
    if ("class" in s && t.cls === undefined && i === 0) t.cls = s.class;
    else if ("instance" in s && t.cls !== undefined && t.instance === undefined) t.instance = s.instance;
    else if ("attribute" in s && t.instance !== undefined && t.attribute === undefined)
      t.attribute = s.attribute;
    else t.other = true;
  }
  return t;
}

function mergeIdentity(over: Partial<Identity> | undefined): Identity {
  const identity: Identity = {
    ...DEFAULT_IDENTITY,
    ...over,
    revision: { ...DEFAULT_IDENTITY.revision, ...over?.revision },
  } as Identity;
  try {
    encodeIdentityBytes(identity);
  } catch (err) {
    throw new InvalidArgumentError(`"identity": ${(err as Error).message}`, { cause: err });
  }
  return identity;
}

function mergeTcpIp(over: Partial<TcpIpInterface> | undefined): TcpIpInterface {
  const tcpip: TcpIpInterface = {
    ...DEFAULT_TCPIP,
    ...over,
    physicalLinkPath: (over?.physicalLinkPath ?? DEFAULT_TCPIP.physicalLinkPath).slice(),
    interfaceConfiguration: { ...DEFAULT_TCPIP.interfaceConfiguration, ...over?.interfaceConfiguration },
  } as TcpIpInterface;
  try {
    encodeTcpIpInterfaceBytes(tcpip);
  } catch (err) {
    throw new InvalidArgumentError(`"tcpip": ${(err as Error).message}`, { cause: err });
  }
  return tcpip;
}

function positiveInteger(
  field: string,
  v: number | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (v === undefined) return fallback;
  if (!Number.isInteger(v) || v < min || v > max)
    throw new InvalidArgumentError(`"${field}" must be an integer in ${min}..${max}, got ${String(v)}`);
  return v;
}

/**
 * A simulated Logix controller. `execute` answers Read/Write Tag (and Fragmented), Read Modify Write, Multiple
 * Service Packet, Get/Set Attribute(s) on its objects, tag browsing (Symbol 0x6B, Template 0x6C) and numeric tag
 * addressing; read replies may hold views of tag storage, so encode a reply before the next `execute`.
 */
export class Controller implements DeviceState {
  /** The controller's tags. */
  readonly tags: TagTable;
  /** The data types tags may have (built-ins and the UDTs given in the options). */
  readonly types: TypeRegistry;
  /** The CIP objects (Identity, Message Router, TCP/IP, …, Symbol, Template, and classes tags are addressed in). */
  readonly objects: ObjectModel;
  /** The controller (project) name; live: @0x64/1 attribute 1 reads it. */
  name: string;
  /** Identity object values; live: ListIdentity and Get Attributes All @1/1 read it. */
  identity: Identity;
  /** TCP/IP Interface object values; live. */
  tcpip: TcpIpInterface;
  /** Ethernet Link object values; live. */
  ethernetLink: EthernetLink;
  /** Tag read/write hooks; may be replaced at any time (undefined: none). */
  hooks: TagHooks | undefined;
  /** Bytes of tag data per reply without a transport `replyLimit`. */
  readonly maxReplyData: number;
  /** Most requests in one Multiple Service Packet. */
  readonly maxServices: number;
  readonly #templates: TemplateClass;

  /** A controller with `options` (see ControllerOptions); throws InvalidArgumentError / InvalidTagError on bad options. */
  constructor(options: ControllerOptions = {}) {
    if (typeof options !== "object" || options === null)
      throw new InvalidArgumentError(`"options" must be an object, got ${String(options)}`);
    this.maxReplyData = positiveInteger(
      "maxReplyData",
      options.maxReplyData,
      DEFAULT_MAX_REPLY_DATA,
      16,
      0xffff,
    );
    this.maxServices = positiveInteger("maxServices", options.maxServices, DEFAULT_MAX_SERVICES, 1, 0xffff);
    this.name = options.name ?? DEFAULT_NAME;
    try {
      checkLatin1("name", this.name, 0xffff);
    } catch (err) {
      throw new InvalidArgumentError(`"name": ${(err as Error).message}`, { cause: err });
    }
    this.identity = mergeIdentity(options.identity);
    this.tcpip = mergeTcpIp(options.tcpip);
    this.ethernetLink = { ...DEFAULT_ETHERNET_LINK, ...options.ethernetLink };
    parseMac(this.ethernetLink.physicalAddress);
    this.hooks = options.hooks;
    this.types = new TypeRegistry();
    for (const udt of options.udts ?? []) this.types.defineUdt(udt);
    this.objects = new ObjectModel();
    addStandardObjects(this.objects, this);
    this.tags = new TagTable(this.types, {
      onCreate: (tag) => this.#bind(tag),
      checkAddress: (address) => this.#addressTaken(address),
    });
    this.objects.classes.set(SYMBOL_CLASS, new SymbolClass(this.tags));
    this.#templates = new TemplateClass(this.types);
    this.objects.classes.set(TEMPLATE_CLASS, this.#templates);
    for (const def of options.tags ?? []) this.tags.define(def);
  }

  /** Creates a tag (grammar text or a definition) and returns it; throws InvalidTagError naming the definition. */
  defineTag(definition: string | TagDefinition): Tag {
    return this.tags.define(definition);
  }

  /** Sizes of attribute values, for decoding Set Attribute List requests addressed to this controller's objects. */
  readonly attributeSize: AttributeSizeResolver = (attribute, path) => {
    const t = target(path);
    if (t.cls === undefined || t.instance === undefined) return undefined;
    const a = this.objects.instance(t.cls, t.instance)?.attribute(attribute);
    if (!a) return undefined;
    if (a.tag) return a.tag.bytes.length;
    return a.size;
  };

  #addressTaken(address: TagAddress): string | undefined {
    const existing = this.objects
      .instance(address.class, address.instance)
      ?.attributes.get(address.attribute);
    if (existing && !existing.tag)
      return `is attribute ${address.attribute} of the ${this.objects.get(address.class)?.name} object`;
    if (
      address.class === SYMBOL_CLASS ||
      address.class === TEMPLATE_CLASS ||
      address.class === CONNECTION_MANAGER_CLASS
    )
      return `is in the ${this.objects.get(address.class)?.name} class, which holds no tags`;
    return undefined;
  }

  /** Makes the object a tag is addressed at exist; its attributes come from the tag table on demand. */
  #bind(tag: Tag): void {
    const a = tag.address as TagAddress;
    const cls = this.objects.ensure(a.class, `Class 0x${a.class.toString(16)}`);
    const instance = cls.instance(a.instance) ?? cls.add(new CipInstance(a.class, a.instance));
    if (instance.dynamic) return;
    const tags = this.tags;
    instance.dynamic = {
      get(id) {
        const t = tags.byAddress(a.class, a.instance, id);
        if (!t) return undefined;
        const view: TagView = { tag: t, type: t.type, offset: 0, start: 0, available: t.elements, bit: 0 };
        return { id, tag: t, get: () => attributeBytes(view), size: t.bytes.length };
      },
      ids: () => tags.attributesAt(a.class, a.instance)?.keys() ?? [],
    };
  }

  #dataLimit(context: RequestContext): number {
    return readDataLimit(this.maxReplyData, context);
  }

  /**
   * Executes one CIP request addressed to this device (after any Unconnected Send was unwrapped by the transport).
   * Every outcome is a reply: unknown tag → 0x04 ext 0x0000, unknown class/instance → 0x05, unsupported service →
   * 0x08, type mismatch → 0xFF ext 0x2107, beyond end → 0xFF ext 0x2105, partial → 0x06; a Multiple Service Packet
   * executes each request (0x1E if any failed).
   */
  execute(request: CipRequest, context: RequestContext = NO_CONTEXT): CipReply {
    try {
      return this.#execute(request, context, 0);
    } catch {
      // A request the model cannot answer (a value a hook made unencodable, or a bug) still gets a reply.
      return generic(request.service, S.vendorSpecificError);
    }
  }

  #execute(req: CipRequest, context: RequestContext, depth: number): CipReply {
    switch (req.kind) {
      case "readTag":
        return this.#read(req, undefined, context);
      case "readTagFragmented":
        return this.#read(req, req.offset, context);
      case "writeTag":
      case "writeTagFragmented":
        return this.#write(req, context);
      case "readModifyWriteTag":
        return this.#readModifyWrite(req, context);
      case "multipleServicePacket":
        return this.#multiple(req, context, depth);
      case "getInstanceAttributeList":
        return listSymbols(this.tags, req, this.#dataLimit(context));
      case "readTemplate": {
        const t = target(req.path);
        const instance = t.instance !== undefined ? this.#templates.instance(t.instance) : undefined;
        if (!(instance instanceof TemplateInstance) || t.attribute !== undefined || t.other)
          return {
            kind: "readTemplate",
            service: ReplyService.readTag,
            generalStatus: S.pathDestinationUnknown,
            extStatus: [0],
            data: EMPTY,
          };
        return this.#templates.read(req, instance, this.#dataLimit(context));
      }
      case "getAttributesAll":
        return this.#getAll(req.service, req.path);
      case "getAttributeSingle":
        return this.#getSingle(req.service, req.path, context);
      case "setAttributeSingle":
        return this.#setSingle(req.service, req.path, req.data, context);
      case "getAttributeList":
        return this.#getList(req.path, req.attributes);
      case "setAttributeList":
        return this.#setList(req.path, req.attributes, context);
      case "unconnectedSend":
      case "forwardOpen":
      case "forwardClose":
        // Connection Manager services belong to the transport; one that reaches the model is not supported here.
        return generic(req.service, S.serviceNotSupported);
      case "generic":
        return this.#generic(req.service, req.path, req.data, context, depth);
    }
  }

  #read(
    req: ReadTagRequest | ReadTagFragmentedRequest,
    offset: number | undefined,
    context: RequestContext,
  ): CipReply {
    const view = resolveTagPath(this.tags, req.path);
    if (isFailure(view)) return readFailure(offset !== undefined, view.status, view.ext);
    return readTag(view, req.elements, offset, {
      limit: this.#dataLimit(context),
      hooks: this.hooks,
      peer: context.peer,
    });
  }

  #write(req: WriteTagRequest | WriteTagFragmentedRequest, context: RequestContext): CipReply {
    const service = req.kind === "writeTag" ? ReplyService.writeTag : ReplyService.writeTagFragmented;
    const view = resolveTagPath(this.tags, req.path);
    if (isFailure(view)) return writeReply(service, view.status, view.ext.slice());
    return writeTag(view, req, this.hooks, context.peer);
  }

  #readModifyWrite(req: ReadModifyWriteTagRequest, context: RequestContext): CipReply {
    const view = resolveTagPath(this.tags, req.path);
    if (isFailure(view)) return writeReply(ReplyService.readModifyWriteTag, view.status, view.ext.slice());
    return readModifyWrite(view, req, this.hooks, context.peer);
  }

  #multiple(req: MultipleServiceRequest<CipRequest>, context: RequestContext, depth: number): CipReply {
    const t = target(req.path);
    if (t.cls !== MESSAGE_ROUTER_CLASS || t.instance !== 1 || t.attribute !== undefined || t.other)
      return this.#unsupported(req.service, req.path);
    const n = req.requests.length;
    if (n > this.maxServices)
      return {
        kind: "multipleServicePacket",
        service: ReplyService.multipleServicePacket,
        generalStatus: S.tooMuchData,
        extStatus: [],
      };
    const replies = new Array<CipReply>(n);
    // A read answered with a view of storage must not see a write later in the same packet (nor what an onRead
    // hook may change): replies before the last request that is not a plain read get copies. A packet of plain
    // reads without an onRead hook changes nothing, so its replies keep their views (no copy per read).
    let copyBefore = this.hooks?.onRead !== undefined ? n : 0;
    for (let i = n - 1; i > 0 && copyBefore === 0; i--)
      if (!isPlainRead(req.requests[i] as CipRequest)) copyBefore = i;
    // With a known reply limit (a connection's size), the packet's reply must fit it: each request may use what
    // the replies before it left (a read then answers 0x06 with what fits), and a read whose reply still would
    // not fit is answered 0x11 (reply data too large). Other replies (writes) are a few bytes, smaller than
    // their requests, so they always fit and an applied write is never reported failed.
    const limit = context.replyLimit;
    let size = MSP_REPLY_OVERHEAD + 2 * n;
    for (let i = 0; i < n; i++) {
      const request = req.requests[i] as CipRequest;
      // Room is kept for the header of every reply still to come (a write's whole reply).
      const reserve = REPLY_HEADER * (n - 1 - i);
      const within = limit === undefined ? context : { ...context, replyLimit: limit - size - reserve };
      let reply = this.#execute(request, within, depth + 1);
      if (limit !== undefined) {
        const bytes = sizeOfReply(reply);
        if (size + bytes + reserve > limit && isPlainRead(request)) {
          reply = generic(request.service, S.replyDataTooLarge);
          size += REPLY_HEADER;
        } else size += bytes;
      }
      if (i < copyBefore && sharesStorage(reply)) reply.data = reply.data.slice();
      replies[i] = reply;
    }
    return multipleServiceReply(replies);
  }

  /** 0x05 when the path names no object, else 0x08 (the object exists but has no such service). */
  #unsupported(service: number, path: EPath): GenericReply {
    const t = target(path);
    if (t.cls === undefined) return generic(service, S.serviceNotSupported);
    const cls = this.objects.get(t.cls);
    if (!cls || (t.instance !== undefined && !cls.instance(t.instance)))
      return generic(service, S.pathDestinationUnknown, [0]);
    return generic(service, S.serviceNotSupported);
  }

  /** A Logix tag service on a numeric path the codec left generic (classes other than 0x02/0x6B): decode it as one. */
  #generic(service: number, path: EPath, data: Uint8Array, context: RequestContext, depth: number): CipReply {
    const t = target(path);
    if (
      TAG_SERVICES.has(service) &&
      t.cls !== undefined &&
      t.cls !== CONNECTION_MANAGER_CLASS &&
      t.attribute !== undefined
    ) {
      let decoded: CipRequest;
      try {
        // The codec decodes tag services by target class; re-read the body as addressed to the Message Router.
        decoded = decodeRequestBytes(
          encodeRequestBytes({ kind: "generic", service, path: MESSAGE_ROUTER_PATH, data }),
        );
      } catch {
        return generic(service, S.notEnoughData);
      }
      decoded.path = path;
      return this.#execute(decoded, context, depth);
    }
    return this.#unsupported(service, path);
  }

  /** The instance a common attribute service addresses, or the failure reply. */
  #instance(service: number, t: Target): CipInstance | GenericReply {
    if (t.cls === undefined || t.other)
      return generic(service, t.cls === undefined ? S.serviceNotSupported : S.pathSegmentError, [0]);
    const cls = this.objects.get(t.cls);
    if (!cls) return generic(service, S.pathDestinationUnknown, [0]);
    const instance = cls.instance(t.instance ?? 0);
    if (!instance) return generic(service, S.pathDestinationUnknown, [0]);
    if (!COMMON_SERVICES.has(service) && !cls.services.has(service))
      return generic(service, S.serviceNotSupported);
    return instance;
  }

  #getAll(service: number, path: EPath): CipReply {
    const t = target(path);
    if (t.attribute !== undefined) return generic(service, S.serviceNotSupported);
    const instance = this.#instance(service, t);
    if (!(instance instanceof CipInstance)) return instance;
    let size = 0;
    for (const tag of this.tags.attributesAt(t.cls as number, t.instance ?? 0)?.values() ?? [])
      size += tag.bytes.length;
    if (size > MAX_ATTRIBUTE_REPLY) return generic(service, S.replyDataTooLarge);
    return generic(service, 0, NO_EXT, instance.all());
  }

  /** A tag attribute's value as Get Attribute Single answers it (after its forced error and hooks). */
  #tagAttribute(
    a: CipAttribute,
    path: EPath,
    context: RequestContext,
  ): { status: number; ext: number[]; data: Uint8Array } {
    const view = resolveTagPath(this.tags, path);
    if (isFailure(view)) return { status: view.status, ext: view.ext.slice(), data: EMPTY };
    const tag = a.tag as Tag;
    const reply = readTag(view, view.available, undefined, {
      limit: MAX_ATTRIBUTE_REPLY,
      hooks: this.hooks,
      peer: context.peer,
    });
    if (reply.generalStatus === S.partialTransfer)
      return { status: S.replyDataTooLarge, ext: NO_EXT, data: EMPTY };
    if (reply.generalStatus !== 0) return { status: reply.generalStatus, ext: reply.extStatus, data: EMPTY };
    return { status: tag.error, ext: NO_EXT, data: reply.data };
  }

  #getSingle(service: number, path: EPath, context: RequestContext): CipReply {
    const t = target(path);
    if (t.attribute === undefined) return generic(service, S.pathSegmentError, [0]);
    const instance = this.#instance(service, { ...t, other: false });
    if (!(instance instanceof CipInstance)) return instance;
    const a = instance.attribute(t.attribute);
    if (!a) return generic(service, S.attributeNotSupported);
    if (a.tag) {
      const r = this.#tagAttribute(a, path, context);
      return generic(service, r.status, r.ext, r.data);
    }
    if (t.other) return generic(service, S.pathSegmentError, [0]);
    return generic(service, 0, NO_EXT, a.get());
  }

  #setAttribute(a: CipAttribute, path: EPath, data: Uint8Array, context: RequestContext): number {
    if (a.tag) {
      const view = resolveTagPath(this.tags, path);
      if (isFailure(view)) return view.status;
      const tag = a.tag;
      if (tag.error !== 0) return tag.error;
      if (view.type.fixed) {
        const need = view.available * view.type.size;
        if (data.length !== need) return data.length < need ? S.notEnoughData : S.tooMuchData;
        const refused = hookWrite(this.hooks, view, view.available, view.offset, data, context.peer);
        if (refused !== 0) return refused;
        tag.bytes.set(data, view.offset);
        return 0;
      }
      const reply = writeTag(
        view,
        {
          kind: "writeTag",
          service: LogixService.codes.writeTag,
          path,
          type: view.type.code,
          elements: view.available,
          data,
        },
        this.hooks,
        context.peer,
      );
      return reply.generalStatus;
    }
    if (!a.set) return NOT_SETTABLE;
    if (a.size !== undefined && data.length !== a.size)
      return data.length < a.size ? S.notEnoughData : S.tooMuchData;
    return a.set(data);
  }

  #setSingle(service: number, path: EPath, data: Uint8Array, context: RequestContext): CipReply {
    const t = target(path);
    if (t.attribute === undefined) return generic(service, S.pathSegmentError, [0]);
    const instance = this.#instance(service, { ...t, other: false });
    if (!(instance instanceof CipInstance)) return instance;
    const a = instance.attribute(t.attribute);
    if (!a) return generic(service, S.attributeNotSupported);
    if (t.other && !a.tag) return generic(service, S.pathSegmentError, [0]);
    return generic(service, this.#setAttribute(a, path, data, context));
  }

  #getList(path: EPath, ids: number[]): CipReply {
    const t = target(path);
    if (t.attribute !== undefined) return generic(C.getAttributeList, S.pathSegmentError, [0]);
    const instance = this.#instance(C.getAttributeList, t);
    if (!(instance instanceof CipInstance)) return instance;
    const attributes = new Array<AttributeResult>(ids.length);
    let failed = false;
    let size = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as number;
      const a = instance.attribute(id);
      if (!a) {
        attributes[i] = { id, status: S.attributeNotSupported };
        failed = true;
        continue;
      }
      const value = a.tag ? (a.tag.error !== 0 ? undefined : a.get()) : a.get();
      if (value === undefined) {
        attributes[i] = { id, status: (a.tag as Tag).error };
        failed = true;
        continue;
      }
      size += value.length;
      attributes[i] = { id, status: 0, value };
    }
    if (size > MAX_ATTRIBUTE_REPLY) return generic(C.getAttributeList, S.replyDataTooLarge);
    return {
      kind: "getAttributeList",
      service: ReplyService.getAttributeList,
      generalStatus: failed ? S.attributeListError : 0,
      extStatus: NO_EXT,
      attributes,
    };
  }

  #setList(path: EPath, values: { id: number; value: Uint8Array }[], context: RequestContext): CipReply {
    const t = target(path);
    if (t.attribute !== undefined) return generic(C.setAttributeList, S.pathSegmentError, [0]);
    const instance = this.#instance(C.setAttributeList, t);
    if (!(instance instanceof CipInstance)) return instance;
    let failed = false;
    const attributes = values.map(({ id, value }) => {
      const a = instance.attribute(id);
      const attrPath: EPath = [...path, { attribute: id }];
      const status = a ? this.#setAttribute(a, attrPath, value, context) : S.attributeNotSupported;
      if (status !== 0) failed = true;
      return { id, status };
    });
    return {
      kind: "setAttributeList",
      service: ReplyService.setAttributeList,
      generalStatus: failed ? S.attributeListError : 0,
      extStatus: NO_EXT,
      attributes,
    };
  }
}

/** True for Read Tag and Read Tag Fragmented requests, which never change what the controller stores. */
function isPlainRead(req: CipRequest): boolean {
  return req.kind === "readTag" || req.kind === "readTagFragmented";
}

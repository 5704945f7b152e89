/**
 * Multiple Service Packet packing: requests are grouped while both the packed request and the reply it will
 * bring back fit the connection size (as pycomm3, pylogix and ethernet-ip 2 do); a request whose reply size
 * cannot be known, or that does not fit even alone, travels by itself.
 */
import { type CipRequest, type EPath, sizeOfPath } from "@cpppo/cip-codec";

/** Connection size of unconnected (UCMM) messaging that Logix accepts: 504 bytes. */
export const UCMM_CONNECTION_SIZE = 504;
/** Connection size asked of a standard Forward Open when the Large one is refused: 504 bytes (≤ 511). */
export const STANDARD_CONNECTION_SIZE = 504;
/** Connection size asked of a Large Forward Open: 4002 bytes, what Logix (EN2T and newer, v20+) accepts. */
export const LARGE_CONNECTION_SIZE = 4002;
/** Element size assumed for a read whose type is not known yet: 4 bytes (a DINT, as cpppo assumes). */
export const DEFAULT_ELEMENT_SIZE = 4;

/** Message Router reply header: service, reserved, general status, extended status size. */
export const REPLY_HEADER_SIZE = 4;
/** MSP request overhead: service, path size, the 4-byte path `@2/1`, and the count. */
const MSP_REQUEST_OVERHEAD = 2 + 4 + 2;
/** MSP reply overhead: the reply header and the count. */
const MSP_REPLY_OVERHEAD = REPLY_HEADER_SIZE + 2;
/** Each packed request or reply adds its UINT offset. */
const MSP_OFFSET_SIZE = 2;
/** SendUnitData carries a UINT sequence count inside the connected data item, which counts against the size. */
const SEQUENCE_COUNT_SIZE = 2;
/** Unconnected Send wrapper before the route path: service, path size, `@6/1`, priority, ticks, length. */
const UNCONNECTED_SEND_HEAD = 2 + 4 + 2 + 2;

/** Bytes a request and its reply may take on one connection. */
export interface PackLimits {
  /** Largest CIP request (as placed in the data item, before any Unconnected Send wrapper). */
  request: number;
  /** Largest CIP reply. */
  reply: number;
}

/**
 * The limits of one message on a connection of `connectionSize` bytes: a connected message loses the 2-byte
 * sequence count, an unconnected routed one the Unconnected Send wrapper and its padded `routePath` (plus one
 * pad byte for an odd-sized message, counted always).
 */
export function packLimits(
  connectionSize: number,
  mode: { connected: boolean; routePath?: EPath | false },
): PackLimits {
  if (mode.connected) {
    const size = connectionSize - SEQUENCE_COUNT_SIZE;
    return { request: size, reply: size };
  }
  const route = mode.routePath ? 2 + sizeOfPath(mode.routePath) : 0;
  const wrapper = mode.routePath ? UNCONNECTED_SEND_HEAD + 1 + route : 0;
  return { request: connectionSize - wrapper, reply: connectionSize };
}

/**
 * Bytes of the reply `req` will bring back, or undefined when it cannot be known (Get Attribute of an unknown
 * size, a generic service, a nested packet): such requests are never packed. `elementSize` sizes tag reads
 * (default 4); `dataSize` is the data a Get Attribute or generic reply carries, when the caller knows it.
 */
export function replySize(
  req: CipRequest,
  elementSize = DEFAULT_ELEMENT_SIZE,
  dataSize?: number,
): number | undefined {
  switch (req.kind) {
    case "readTag":
      return REPLY_HEADER_SIZE + 2 + req.elements * elementSize;
    case "readTagFragmented":
      return REPLY_HEADER_SIZE + 2 + Math.max(0, req.elements * elementSize - req.offset);
    case "writeTag":
    case "writeTagFragmented":
    case "readModifyWriteTag":
    case "setAttributeSingle":
      return REPLY_HEADER_SIZE;
    case "getAttributeSingle":
    case "getAttributesAll":
    case "generic":
      return dataSize === undefined ? undefined : REPLY_HEADER_SIZE + dataSize;
    default:
      return undefined;
  }
}

/** One request as the packer sees it: its own size, the size of its reply, and what the caller keeps with it. */
export interface PackItem<T> {
  item: T;
  requestSize: number;
  /** Undefined: unknown, so the item travels alone. */
  replySize: number | undefined;
}

/** What `Packer.add` hands back: groups to send now, in order (a group of one is sent without a packet). */
export type PackedGroups<T> = T[][];

/** The answer "nothing to send yet", shared: most calls to `add` return it, and it must not cost an allocation. */
const NOTHING: never[][] = [];
Object.freeze(NOTHING);

/**
 * Groups requests into Multiple Service Packets in arrival order. `add` returns the groups that are complete
 * because the new request does not fit with them (and the new request itself when it can never be packed);
 * `flush` returns the group being filled. `maxServices` (default 200, as libplctag) bounds one packet.
 */
export class Packer<T> {
  private group: T[] = [];
  private requestTotal = MSP_REQUEST_OVERHEAD;
  private replyTotal = MSP_REPLY_OVERHEAD;

  constructor(
    readonly limits: PackLimits,
    readonly maxServices = 200,
  ) {}

  /** True when `p` could share a packet with other requests at all. */
  packable(p: PackItem<T>): boolean {
    return this.fits(p.requestSize, p.replySize);
  }

  private fits(requestSize: number, replySize: number | undefined): boolean {
    return (
      replySize !== undefined &&
      MSP_REQUEST_OVERHEAD + MSP_OFFSET_SIZE + requestSize <= this.limits.request &&
      MSP_REPLY_OVERHEAD + MSP_OFFSET_SIZE + replySize <= this.limits.reply
    );
  }

  /** Adds `p`; returns the groups that must be sent now (possibly none; do not modify the returned array). */
  add(p: PackItem<T>): PackedGroups<T> {
    return this.addItem(p.item, p.requestSize, p.replySize);
  }

  /** `add` without a `PackItem` object (the pipeline's hot path). */
  addItem(item: T, requestSize: number, replySize: number | undefined): PackedGroups<T> {
    if (!this.fits(requestSize, replySize)) {
      const out = this.flush();
      out.push([item]);
      return out;
    }
    const request = this.requestTotal + MSP_OFFSET_SIZE + requestSize;
    const reply = this.replyTotal + MSP_OFFSET_SIZE + (replySize as number);
    if (request > this.limits.request || reply > this.limits.reply || this.group.length >= this.maxServices) {
      const out = this.flush();
      this.group.push(item);
      this.requestTotal += MSP_OFFSET_SIZE + requestSize;
      this.replyTotal += MSP_OFFSET_SIZE + (replySize as number);
      return out;
    }
    this.group.push(item);
    this.requestTotal = request;
    this.replyTotal = reply;
    return NOTHING;
  }

  /** Returns the group being filled (as the only element, or nothing when empty) and starts a new one. */
  flush(): PackedGroups<T> {
    if (this.group.length === 0) return [];
    const out = [this.group];
    this.group = [];
    this.requestTotal = MSP_REQUEST_OVERHEAD;
    this.replyTotal = MSP_REPLY_OVERHEAD;
    return out;
  }

  /** Requests in the group being filled. */
  get pending(): number {
    return this.group.length;
  }
}

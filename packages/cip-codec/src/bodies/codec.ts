/**
 * The shape of a service body codec: one record `{ kind, decode, sizeOf, encode }` per request or reply
 * kind (CONTRIBUTING.md, Codecs), exported by the service's body module. message.ts reads and writes the
 * message router header, resolves (service, target class) to a kind, and hands the body to the record
 * its one table holds for that kind; it never switches on kinds to read or write a body.
 */
import type { EPath, PathLimits } from "../cip/epath.js";
import type { ReplyStatus } from "../cip/status.js";
import type { Reader } from "../core/reader.js";
import type { Writer } from "../core/writer.js";
import type { AttributeSizeResolver } from "./attributes.js";
import type { SymbolListLimits } from "./logix.js";

/** Ceilings for decoding messages from the wire. */
export interface MessageLimits {
  /** Most services in one Multiple Service Packet; defaults to 200. */
  maxServices?: number;
  /** Deepest nesting of Unconnected Send / Multiple Service Packet; defaults to 4. */
  maxDepth?: number;
  /** Most attribute ids in one list; defaults to 256. */
  maxAttributes?: number;
  /** Ceilings of every path; EPATH defaults apply when absent. */
  path?: PathLimits;
  /** Ceilings of Get Instance Attribute List replies. */
  symbols?: SymbolListLimits;
}

/** Options of the typed decoders. */
export interface MessageDecodeOptions {
  limits?: MessageLimits;
  /** Sizes of attribute values for Get/Set Attribute List bodies (values carry no length on the wire). */
  attributeSize?: AttributeSizeResolver;
}

/** Default deepest nesting of embedded messages. */
export const DEFAULT_MAX_MESSAGE_DEPTH = 4;

/** Anything discriminated by a literal `kind`: every request and reply. */
export interface Kinded {
  readonly kind: string;
}

/** The body codec of one request kind; message.ts has already read or written the header (service, path). */
export interface RequestCodec<R extends Kinded> {
  /** The kind of request this codec reads and writes. */
  readonly kind: R["kind"];
  /** Reads the service data, running to the end of `r`, of a request nested `depth` levels down (0 at the top). */
  decode(r: Reader, service: number, path: EPath, options: MessageDecodeOptions, depth: number): R;
  /** Bytes of the service data of `req` (the header excluded). */
  sizeOf(req: R): number;
  /** Writes the service data of `req`. Throws CipEncodeError. */
  encode(w: Writer, req: R): void;
}

/** A reply's header as read, with what is known of the request `Q` it answers: the input of a reply body decoder. */
export interface ReplyHead<Q> extends ReplyStatus {
  /** The reply service code (request service | 0x80). */
  service: number;
  /** The request this reply answers, when the caller gave it and its service matches. */
  request: Q | undefined;
  /** The path of the request this reply answers, when known. */
  requestPath: EPath | undefined;
}

/** The body codec of one reply kind; message.ts has already read or written the header (service, status). */
export interface ReplyCodec<P extends Kinded, Q extends Kinded = Kinded> {
  /** The kind of reply this codec reads and writes. */
  readonly kind: P["kind"];
  /** Reads the service data, running to the end of `r`, of a reply nested `depth` levels down (0 at the top). */
  decode(r: Reader, head: ReplyHead<Q>, options: MessageDecodeOptions, depth: number): P;
  /** Bytes of the service data of `reply` (the header excluded). */
  sizeOf(reply: P): number;
  /** Writes the service data of `reply`. Throws CipEncodeError. */
  encode(w: Writer, reply: P): void;
}

/** Whole requests `M` (header and body), as message.ts reads and writes them, for bodies that embed requests. */
export interface EmbeddedRequests<M> {
  /** Reads one request running to the end of `r`, nested `depth` levels down. */
  decode(r: Reader, options: MessageDecodeOptions, depth: number): M;
  /** Bytes of `req` on the wire. */
  sizeOf(req: M): number;
  /** Writes `req`. */
  encode(w: Writer, req: M): void;
}

/** Whole replies `P` answering requests `Q`, as message.ts reads and writes them, for bodies that embed replies. */
export interface EmbeddedReplies<P, Q> {
  /** Reads one reply running to the end of `r` that answers `request` (when known), nested `depth` levels down. */
  decode(r: Reader, request: Q | undefined, options: MessageDecodeOptions, depth: number): P;
  /** Bytes of `reply` on the wire. */
  sizeOf(reply: P): number;
  /** Writes `reply`. */
  encode(w: Writer, reply: P): void;
}

/** Throws a `limit` decode error naming `field` when a message nested in one at `depth` would pass the ceiling (default 4). */
export function checkNesting(r: Reader, depth: number, options: MessageDecodeOptions, field: string): void {
  r.ceiling(depth + 1, options.limits?.maxDepth ?? DEFAULT_MAX_MESSAGE_DEPTH, field);
}

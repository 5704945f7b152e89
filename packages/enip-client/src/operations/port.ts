/**
 * What operations need of a client, and no more: each operation module takes one of these narrow ports, so that it
 * can be run (and tested) over anything that sends a CIP request, not only `EnipClient`.
 */
import type { AnyCipType, CipReply, CipRequest, EnipMessage } from "@cpppo/cip-codec";
import type { PackLimits } from "../core/packing.js";
import type { RequestOptions } from "../core/result.js";
import type { SendOptions } from "../session/routing.js";
import type { EncapsulationCommandName } from "../session/session.js";

/** A tag's element type as learned from a read: the type, and the bytes of one element (-1 when variable). */
export interface TagTypeInfo {
  type: number;
  structureHandle?: number;
  size: number;
}

/** Sends one CIP request and resolves with its reply, whatever its status (attribute and service operations). */
export interface RequestPort {
  request(message: CipRequest, options?: SendOptions): Promise<CipReply>;
}

/** Tag operations: requests, the size limits of one message, and the types reads have taught. */
export interface TagPort extends RequestPort {
  /** Bytes one request and one reply may take. */
  readonly limits: PackLimits;
  /** Element types learned from reads, by `tagKey`. */
  readonly tagTypes: Map<string, TagTypeInfo>;
  /** Codecs of structure types by structure handle. */
  readonly structTypes: Map<number, AnyCipType>;
}

/** List services: an encapsulation command over the session, once it is ready. */
export interface EncapsulationPort {
  encapsulated(
    command: Exclude<EncapsulationCommandName, "registerSession">,
    options: RequestOptions,
  ): Promise<EnipMessage>;
}

/**
 * Tracing through `node:diagnostics_channel`: the library never prints, and subscribers pay for what
 * they watch. Publishers check `hasSubscribers` first so that an unwatched server builds no event objects.
 */
import { channel } from "node:diagnostics_channel";

/** A TCP connection of an `EnipServer` opened or closed (channel `cpppo:enip:session`). */
export interface SessionEvent {
  event: "open" | "close";
  /** The connection id, as in `ConnectionInfo.id` (e.g. `"127_0_0_1_60592"`). */
  id: string;
  /** The peer as `"ip:port"`. */
  peer: string;
  /** The server's TCP address as `"ip:port"`. */
  server: string;
}

/** One encapsulation request answered (or dropped) by an `EnipServer` (channel `cpppo:enip:request`). */
export interface RequestEvent {
  /** The connection id, or `"udp"` for a datagram. */
  id: string;
  /** The peer as `"ip:port"`. */
  peer: string;
  /** Encapsulation command code of the request. */
  command: number;
  /** The whole request frame (a view of the received bytes; copy it to keep it). */
  request: Uint8Array;
  /** The whole reply frame, or undefined when the request gets none (NOP, UnRegisterSession, drops). */
  reply: Uint8Array | undefined;
}

/** Channel of `SessionEvent`s. */
export const sessionChannel = channel("cpppo:enip:session");

/** Channel of `RequestEvent`s. */
export const requestChannel = channel("cpppo:enip:request");

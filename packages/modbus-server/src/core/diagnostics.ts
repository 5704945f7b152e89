/**
 * Tracing through `node:diagnostics_channel`: the library never prints, and subscribers pay for what they watch.
 * Publishers check `hasSubscribers` first, so an unwatched server builds no event objects.
 */
import { channel } from "node:diagnostics_channel";

/** A TCP or TLS connection of a `ModbusServer` accepted or closed (channel `cpppo:modbus:connection`). */
export interface ConnectionEvent {
  event: "open" | "close";
  /** The peer as `"ip:port"`. */
  peer: string;
  /** The Modbus/TCP Security role of the client's certificate, on TLS when it has one (open events). */
  role?: string;
}

/** Channel of `ConnectionEvent`s. */
export const connectionChannel = channel("cpppo:modbus:connection");

import { CipEncodeError } from "../core/errors.js";
import type { Reader } from "../core/reader.js";
import { checkRange, type Writer } from "../core/writer.js";

/**
 * The 16-byte BSD `sockaddr_in` that EtherNet/IP embeds in ListIdentity replies, the legacy 0x0001
 * reply item and the sockaddr info items 0x8000/0x8001 (CIP Vol 2 §2-6.3.3). Unlike the rest of the
 * encapsulation it is big-endian, and its last 8 bytes (`sin_zero`) are zero.
 */
export interface SocketAddress {
  /** `sin_family`, a signed 16-bit value; 2 (`AF_INET`) in practice. */
  family: number;
  /** `sin_port`, 44818 for the encapsulation port. */
  port: number;
  /** `sin_addr` as a dotted IPv4 quad such as `"10.0.0.1"`. */
  address: string;
}

/** Bytes of a `sockaddr_in` on the wire: family 2, port 2, address 4, zero 8. */
export const SOCKET_ADDRESS_SIZE = 16;

/** `sin_family` of an IPv4 socket address, the only family EtherNet/IP uses. */
export const AF_INET = 2;

const SIN_ZERO_SIZE = 8;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** The dotted quad of a big-endian 32-bit IPv4 address (`0x0a000001` → `"10.0.0.1"`). */
export function formatIpv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 0xff}.${(value >>> 8) & 0xff}.${value & 0xff}`;
}

/** The 32-bit value of a dotted IPv4 quad; throws `CipEncodeError` naming `field` unless it is four numbers 0..255. */
export function parseIpv4(text: string, field = "address"): number {
  const m = typeof text === "string" ? IPV4.exec(text) : null;
  if (m === null) throw new CipEncodeError(`"${field}" must be a dotted IPv4 address, got ${String(text)}`);
  let value = 0;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(m[i]);
    if (octet > 0xff) throw new CipEncodeError(`"${field}" has an octet above 255: ${text}`);
    value = value * 256 + octet;
  }
  return value;
}

/** Reads a 16-byte `sockaddr_in`; the `sin_zero` bytes are skipped whatever they hold. */
export function decodeSocketAddress(r: Reader): SocketAddress {
  const familyBits = r.u16be("family");
  const port = r.u16be("port");
  const address = formatIpv4(r.u32be("address"));
  r.skip(SIN_ZERO_SIZE, "zero");
  return { family: (familyBits << 16) >> 16, port, address };
}

/** Writes a 16-byte `sockaddr_in`, with `sin_zero` as eight zero bytes. */
export function encodeSocketAddress(w: Writer, a: SocketAddress): void {
  checkRange("family", a.family, -0x8000, 0x7fff);
  checkRange("port", a.port, 0, 0xffff);
  const address = parseIpv4(a.address);
  w.u16be(a.family & 0xffff);
  w.u16be(a.port);
  w.u32be(address);
  w.zeros(SIN_ZERO_SIZE);
}

import { checkU8 } from "../core/bytes.js";
import { InvalidArgumentError, ModbusCrcError, ModbusEncodeError } from "../core/errors.js";
import { MAX_PDU_LENGTH } from "../core/tables.js";

/** Bytes an RTU ADU adds around its PDU: the unit id before, the CRC-16 after. */
export const RTU_OVERHEAD = 3;
/** Longest RTU ADU: unit id, a 253-byte PDU and the CRC. */
export const MAX_RTU_ADU_LENGTH = MAX_PDU_LENGTH + RTU_OVERHEAD;

/** CRC-16/MODBUS of each byte value (reflected polynomial 0xA001), one table lookup per byte. */
const CRC_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xa001 : c >>> 1;
    table[n] = c;
  }
  return table;
})();

/** The Modbus CRC-16 of `bytes[start…end)` (initial 0xFFFF); on the wire it goes low byte first. */
export function crc16(bytes: Uint8Array, start = 0, end: number = bytes.length): number {
  let crc = 0xffff;
  for (let i = start; i < end; i++)
    crc = (crc >>> 8) ^ (CRC_TABLE[(crc ^ (bytes[i] as number)) & 0xff] as number);
  return crc;
}

/** True when the last two bytes of `bytes[start…end)` are the CRC of the bytes before them. */
export function rtuCrcValid(bytes: Uint8Array, start: number, end: number): boolean {
  const crc = crc16(bytes, start, end - 2);
  return (bytes[end - 2] as number) === (crc & 0xff) && (bytes[end - 1] as number) === crc >>> 8;
}

/** The RTU ADU of `pdu` (1…253 bytes) for `unitId`: address, PDU, CRC low byte, CRC high byte. */
export function encodeRtuAdu(unitId: number, pdu: Uint8Array): Uint8Array {
  if (pdu.length < 1 || pdu.length > MAX_PDU_LENGTH)
    throw new ModbusEncodeError(`a PDU must be 1…${MAX_PDU_LENGTH} bytes, got ${pdu.length}`);
  const out = new Uint8Array(pdu.length + RTU_OVERHEAD);
  out[0] = checkU8(unitId, "unitId");
  out.set(pdu, 1);
  const crc = crc16(out, 0, pdu.length + 1);
  out[pdu.length + 1] = crc & 0xff;
  out[pdu.length + 2] = crc >>> 8;
  return out;
}

/** Takes a whole RTU ADU apart (`pdu` is a view of it); throws a `ModbusCrcError` on a bad CRC or under 4 bytes. */
export function decodeRtuAdu(bytes: Uint8Array): { unitId: number; pdu: Uint8Array } {
  if (bytes.length < RTU_OVERHEAD + 1)
    throw new ModbusCrcError(`an RTU ADU of ${bytes.length} bytes is too short`);
  if (!rtuCrcValid(bytes, 0, bytes.length)) {
    const crc = crc16(bytes, 0, bytes.length - 2);
    const got = (bytes[bytes.length - 2] as number) | ((bytes[bytes.length - 1] as number) << 8);
    throw new ModbusCrcError(
      `CRC 0x${got.toString(16).padStart(4, "0")} should be 0x${crc.toString(16).padStart(4, "0")}`,
    );
  }
  return { unitId: bytes[0] as number, pdu: bytes.subarray(1, bytes.length - 2) };
}

/** The character format of a serial line. */
export interface SerialFormat {
  dataBits?: 7 | 8;
  parity?: "none" | "even" | "odd" | "mark" | "space";
  stopBits?: 1 | 1.5 | 2;
}

/** The timing of an RTU line, in milliseconds. */
export interface RtuTiming {
  /** One character: start bit, data bits, parity bit (when any) and stop bits. */
  charMs: number;
  /** Longest gap allowed inside a frame: 1.5 characters. */
  interCharMs: number;
  /** Silence that ends a frame: 3.5 characters, and a fixed 1.75 ms above 19200 baud. */
  silentMs: number;
}

/**
 * The character, inter-character and silent-interval times of an RTU line at `baudRate`. Above 19200 baud the
 * Modbus serial line specification fixes t3.5 at 1.75 ms (fast lines would otherwise need timers finer than an
 * operating system gives), which is what `max(1.75 ms, 3.5 characters)` comes to there.
 */
export function rtuTiming(baudRate: number, format: SerialFormat = {}): RtuTiming {
  const { dataBits = 8, parity = "none", stopBits = 1 } = format;
  if (!Number.isFinite(baudRate) || baudRate <= 0)
    throw new InvalidArgumentError(`"baudRate" must be a positive number, got ${baudRate}`);
  const bits = 1 + dataBits + (parity === "none" ? 0 : 1) + stopBits;
  const charMs = (bits * 1000) / baudRate;
  const silentMs = baudRate > 19200 ? Math.max(1.75, 3.5 * charMs) : 3.5 * charMs;
  return { charMs, interCharMs: 1.5 * charMs, silentMs };
}

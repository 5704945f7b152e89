/** The evil modes' changes to a Modbus/TCP reply (cpppo's truncate and corrupt framers), on its encoded bytes. */
import { FunctionCode, MBAP_HEADER_LENGTH } from "@cpppo/modbus-codec";
import type { CorruptField, EvilMode } from "./options.js";

const FC = FunctionCode;
/** MBAP offsets: transaction id 0, protocol id 2, length 4, unit id 6; the function code follows at 7. */
const PROTOCOL_AT = 2;
const LENGTH_AT = 4;
const UNIT_AT = 6;
const FC_AT = MBAP_HEADER_LENGTH;
const DATA_AT = FC_AT + 1;
/** The value a "registers" corruption appends, as cpppo does. */
const EXTRA_REGISTER = 999;

/** A random integer from `min` to `max` inclusive. */
function randomInt(min: number, max: number): number {
  return min + Math.floor(Math.random() * (max - min + 1));
}

/** The bytes to send instead of `adu` under `evil` (truncate or corrupt); the delay is the connection's. */
export function spoilReply(adu: Uint8Array, evil: EvilMode): Uint8Array {
  if (evil.mode === "truncate") return adu.subarray(0, randomInt(1, adu.length - 1));
  if (evil.mode === "corrupt") return corrupt(adu, evil.field);
  return adu;
}

function corrupt(adu: Uint8Array, field: CorruptField): Uint8Array {
  const out = Uint8Array.from(adu);
  switch (field) {
    case "transaction":
      out[0] = (out[0] as number) ^ 0xff;
      out[1] = (out[1] as number) ^ 0xff;
      return out;
    case "protocol":
      out[PROTOCOL_AT] = (out[PROTOCOL_AT] as number) ^ 0xff;
      out[PROTOCOL_AT + 1] = (out[PROTOCOL_AT + 1] as number) ^ 0xff;
      return out;
    case "unit":
      out[UNIT_AT] = (out[UNIT_AT] as number) ^ 0xff;
      return out;
    case "function":
      out[FC_AT] = (out[FC_AT] as number) ^ 0xff;
      return out;
    case "registers":
      return corruptData(out);
  }
}

/** One register (or byte of bits) more or fewer in a read reply; the address flipped in a write reply; others unchanged. */
function corruptData(adu: Uint8Array): Uint8Array {
  const fc = adu[FC_AT] as number;
  const unit = fc === FC.ReadCoils || fc === FC.ReadDiscreteInputs ? 1 : 2;
  if (
    unit === 2 &&
    fc !== FC.ReadHoldingRegisters &&
    fc !== FC.ReadInputRegisters &&
    fc !== FC.ReadWriteMultipleRegisters
  ) {
    if (
      fc === FC.WriteSingleCoil ||
      fc === FC.WriteSingleRegister ||
      fc === FC.WriteMultipleCoils ||
      fc === FC.WriteMultipleRegisters ||
      fc === FC.MaskWriteRegister
    ) {
      adu[DATA_AT] = (adu[DATA_AT] as number) ^ 0xff;
      adu[DATA_AT + 1] = (adu[DATA_AT + 1] as number) ^ 0xff;
    }
    return adu;
  }
  const count = adu[DATA_AT] as number;
  const grow = count === 0 || Math.random() < 0.5;
  const delta = grow ? unit : -unit;
  const out = new Uint8Array(adu.length + delta);
  out.set(grow ? adu : adu.subarray(0, adu.length + delta));
  if (grow && unit === 2) {
    out[adu.length] = EXTRA_REGISTER >> 8;
    out[adu.length + 1] = EXTRA_REGISTER & 0xff;
  }
  out[DATA_AT] = count + delta;
  const length = ((adu[LENGTH_AT] as number) << 8) | (adu[LENGTH_AT + 1] as number);
  out[LENGTH_AT] = ((length + delta) >> 8) & 0xff;
  out[LENGTH_AT + 1] = (length + delta) & 0xff;
  return out;
}

/**
 * Peeks into a reply frame at fixed offsets, without decoding it: what a client needs on its hot path to match a
 * reply to its request and to find the CIP reply inside. Each peek answers only for the exact layout a device
 * replies with and says "no" (-1) otherwise, leaving the frame to `decodeEnipMessage`, which checks everything.
 */
import { CpfItemType } from "../encapsulation/cpf.js";
import { ENCAPSULATION_HEADER_SIZE, EncapsulationCommand } from "../encapsulation/encapsulation.js";

const SEND_RR_DATA = EncapsulationCommand.codes.sendRRData;
const SEND_UNIT_DATA = EncapsulationCommand.codes.sendUnitData;
const { nullAddress: NULL_ADDRESS, connectedAddress: CONNECTED_ADDRESS } = CpfItemType.codes;
const { connectedData: CONNECTED_DATA, unconnectedData: UNCONNECTED_DATA } = CpfItemType.codes;

// Offsets in a frame: the header (24 bytes) is command u16, length u16, session u32, status u32, sender context
// (8 bytes), options u32; SendRRData/SendUnitData then carry interface handle u32, timeout u16 and the CPF.
const LENGTH_AT = 2;
const STATUS_AT = 8;
const SENDER_CONTEXT_AT = 12;
const ITEM_COUNT_AT = ENCAPSULATION_HEADER_SIZE + 6;
/** First CPF item: type id, length, then (connected address) the connection id. */
const ADDRESS_ITEM_AT = ITEM_COUNT_AT + 2;
/** Second CPF item after a connected address item (4 bytes of connection id). */
const CONNECTED_DATA_ITEM_AT = ADDRESS_ITEM_AT + 4 + 4;
/** Its sequence count, the first 2 bytes of the connected data. */
const SEQUENCE_AT = CONNECTED_DATA_ITEM_AT + 4;
/** Where the CIP reply starts in a SendUnitData frame: after the sequence count. */
const CONNECTED_CIP_AT = SEQUENCE_AT + 2;
/** Second CPF item after a null address item (no data). */
const UNCONNECTED_DATA_ITEM_AT = ADDRESS_ITEM_AT + 4;
/** Where the CIP reply starts in a SendRRData frame. */
const UNCONNECTED_CIP_AT = UNCONNECTED_DATA_ITEM_AT + 4;

function u16At(bytes: Uint8Array, at: number): number {
  return (bytes[at] as number) | ((bytes[at + 1] as number) << 8);
}

/**
 * The sequence count of a SendUnitData frame whose items start with a connected address and connected data
 * (how a reply over a class 3 connection is matched to its request), or -1 for any other frame. Only the low bytes
 * of the item type ids are looked at: the decoder refuses a frame that differs in the rest.
 */
export function peekSequenceCount(frame: Uint8Array): number {
  if (
    frame.length < CONNECTED_CIP_AT ||
    frame[0] !== SEND_UNIT_DATA ||
    frame[1] !== 0 ||
    frame[ADDRESS_ITEM_AT] !== (CONNECTED_ADDRESS & 0xff) ||
    frame[CONNECTED_DATA_ITEM_AT] !== (CONNECTED_DATA & 0xff)
  )
    return -1;
  return u16At(frame, SEQUENCE_AT);
}

/** The first 4 bytes of a frame's sender context as an unsigned little-endian number (frames shorter read 0s). */
export function peekSenderContext32(frame: Uint8Array): number {
  const at = SENDER_CONTEXT_AT;
  return (
    ((frame[at] as number) |
      0 |
      (((frame[at + 1] as number) | 0) << 8) |
      (((frame[at + 2] as number) | 0) << 16)) +
    ((frame[at + 3] as number) | 0) * 0x1000000
  );
}

/**
 * Where the CIP reply of a SendUnitData / SendRRData frame starts (46 or 40) when the frame has exactly the layout
 * a device answers with (encapsulation status 0, two CPF items, the address and data items as expected, every
 * length consistent) and nothing `decodeEnipMessage` would reject or read otherwise; else -1.
 */
export function peekCipReplyOffset(frame: Uint8Array): number {
  const n = frame.length;
  if (n < UNCONNECTED_CIP_AT + 1 || frame[1] !== 0) return -1;
  if (u16At(frame, LENGTH_AT) !== n - ENCAPSULATION_HEADER_SIZE) return -1;
  if (
    (frame[STATUS_AT] as number) |
    (frame[STATUS_AT + 1] as number) |
    (frame[STATUS_AT + 2] as number) |
    (frame[STATUS_AT + 3] as number)
  )
    return -1;
  if (u16At(frame, ITEM_COUNT_AT) !== 2) return -1;
  if (frame[0] === SEND_UNIT_DATA) {
    if (
      n < CONNECTED_CIP_AT + 1 ||
      u16At(frame, ADDRESS_ITEM_AT) !== CONNECTED_ADDRESS ||
      u16At(frame, ADDRESS_ITEM_AT + 2) !== 4 ||
      u16At(frame, CONNECTED_DATA_ITEM_AT) !== CONNECTED_DATA
    )
      return -1;
    return u16At(frame, CONNECTED_DATA_ITEM_AT + 2) === n - SEQUENCE_AT ? CONNECTED_CIP_AT : -1;
  }
  if (frame[0] === SEND_RR_DATA) {
    if (
      u16At(frame, ADDRESS_ITEM_AT) !== NULL_ADDRESS ||
      u16At(frame, ADDRESS_ITEM_AT + 2) !== 0 ||
      u16At(frame, UNCONNECTED_DATA_ITEM_AT) !== UNCONNECTED_DATA
    )
      return -1;
    return u16At(frame, UNCONNECTED_DATA_ITEM_AT + 2) === n - UNCONNECTED_CIP_AT ? UNCONNECTED_CIP_AT : -1;
  }
  return -1;
}

/**
 * Whole EtherNet/IP frames: the encapsulation layer composed with the CIP message of its data item,
 * decoded in one call and encoded into one exactly sized buffer (the client's and server's hot path).
 */

import { REPLY_BIT } from "../cip/services.js";
import { CipEncodeError } from "../core/errors.js";
import { Reader } from "../core/reader.js";
import { checkRange, Writer } from "../core/writer.js";
import type { CpfItem } from "../encapsulation/cpf.js";
import {
  decodeEncapsulation,
  ENCAPSULATION_HEADER_SIZE,
  EncapsulationCommand,
  type EncapsulationFrame,
  type EncapsulationLimits,
  encodeHeader,
  MAX_ENCAPSULATION_LENGTH,
} from "../encapsulation/encapsulation.js";
import {
  type CipReply,
  type CipRequest,
  decodeReply,
  decodeRequest,
  encodeReply,
  encodeRequest,
  type MessageDecodeOptions,
  type ReplyHint,
  sizeOfReply,
  sizeOfRequest,
} from "../message/message.js";

/** A CIP request or reply. Replies are the ones with a `generalStatus`. */
export type CipMessage = CipRequest | CipReply;

/** An encapsulation frame whose data item (0x00B2 or 0x00B1), if any, is decoded as CIP. */
export interface EnipMessage extends EncapsulationFrame {
  /** The CIP message of the frame's data item; absent for commands that carry none. */
  cip?: CipMessage;
  /** Index in `body.cpf` of the item `cip` came from. */
  cipItem?: number;
}

/** Options of `decodeEnipMessage`. */
export interface EnipDecodeOptions extends MessageDecodeOptions {
  /** Ceilings of the encapsulation layer (length, CPF items). */
  encapsulation?: EncapsulationLimits;
  /** What a reply answers, when the caller knows (resolves ambiguous reply codes such as 0xD2). */
  hint?: ReplyHint;
  /**
   * How to read connected data (0x00B1): as CIP (the default), or left raw, for connections whose
   * target speaks something else (e.g. PCCC through the 0xA6 object); only the connection knows.
   */
  connectedData?: "cip" | "raw";
}

/**
 * Decodes a whole frame: header, body, and the CIP message of a SendRRData/SendUnitData data item
 * (a request or a reply, told apart by the reply bit of its service code).
 */
export function decodeEnipMessage(bytes: Uint8Array, options?: EnipDecodeOptions): EnipMessage {
  const frame = decodeEncapsulation(bytes, options?.encapsulation) as EnipMessage;
  const body = frame.body;
  if (body.command !== "sendRRData" && body.command !== "sendUnitData") return frame;
  const items = body.cpf;
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as CpfItem;
    if (item.kind !== "unconnectedData" && item.kind !== "connectedData") continue;
    if (item.kind === "connectedData" && options?.connectedData === "raw") break;
    const r = new Reader(item.data, 0, item.data.length, ["cpf", i, "cip"]);
    const service = r.remaining > 0 ? (item.data[0] as number) : 0;
    frame.cip = service & REPLY_BIT ? decodeReply(r, options?.hint, options) : decodeRequest(r, options);
    if (r.remaining > 0) throw r.fail("invalid", `${r.remaining} byte(s) after the CIP message`);
    frame.cipItem = i;
    break;
  }
  return frame;
}

function isReply(message: CipMessage): message is CipReply {
  return "generalStatus" in message;
}

function sizeOfMessage(message: CipMessage): number {
  return isReply(message) ? sizeOfReply(message) : sizeOfRequest(message);
}

function writeMessage(w: Writer, message: CipMessage): void {
  if (isReply(message)) encodeReply(w, message);
  else encodeRequest(w, message);
}

const ZERO_CONTEXT = new Uint8Array(8);
/** interface handle u32 + timeout u16 + item count u16 */
const SEND_DATA_PREFIX = 8;
const CPF_ITEM_HEADER = 4;

/** A SendRRData (unconnected) frame to encode: a null address item and an unconnected data item. */
export interface SendRRDataInit {
  session: number;
  /** 8 bytes echoed by the peer; defaults to zeros. */
  senderContext?: Uint8Array;
  /** Encapsulation status; 0 (success) by default. */
  status?: number;
  /** Seconds the receiver may take; defaults to 0 (replies) — clients usually send a few seconds. */
  timeout?: number;
  message: CipMessage;
}

/** Bytes of the frame `encodeSendRRData(init)` returns. */
export function sizeOfSendRRData(init: SendRRDataInit): number {
  return ENCAPSULATION_HEADER_SIZE + SEND_DATA_PREFIX + CPF_ITEM_HEADER * 2 + sizeOfMessage(init.message);
}

/** Encodes a whole SendRRData frame carrying `message` in item 0x00B2, into one buffer. */
export function encodeSendRRData(init: SendRRDataInit): Uint8Array {
  const messageSize = sizeOfMessage(init.message);
  const length = SEND_DATA_PREFIX + CPF_ITEM_HEADER * 2 + messageSize;
  if (length > MAX_ENCAPSULATION_LENGTH)
    throw new CipEncodeError(`encapsulation data of ${length} bytes exceeds ${MAX_ENCAPSULATION_LENGTH}`);
  const timeout = init.timeout ?? 0;
  checkRange("timeout", timeout, 0, 0xffff);
  const w = new Writer(ENCAPSULATION_HEADER_SIZE + length);
  encodeHeader(w, {
    command: EncapsulationCommand.codes.sendRRData,
    length,
    session: init.session,
    status: init.status ?? 0,
    senderContext: init.senderContext ?? ZERO_CONTEXT,
    options: 0,
  });
  w.u32(0).u16(timeout).u16(2);
  w.u16(0x0000).u16(0); // null address item
  w.u16(0x00b2).u16(messageSize);
  writeMessage(w, init.message);
  return w.finish();
}

/** A SendUnitData (connected, class 3) frame to encode: a connected address and a connected data item. */
export interface SendUnitDataInit {
  session: number;
  /** The connection id the receiver chose (O→T id from the originator, T→O id from the target). */
  connectionId: number;
  /** The class 3 sequence count, 0..65535. */
  sequence: number;
  senderContext?: Uint8Array;
  status?: number;
  message: CipMessage;
}

/** Bytes of the frame `encodeSendUnitData(init)` returns. */
export function sizeOfSendUnitData(init: SendUnitDataInit): number {
  return (
    ENCAPSULATION_HEADER_SIZE + SEND_DATA_PREFIX + CPF_ITEM_HEADER * 2 + 4 + 2 + sizeOfMessage(init.message)
  );
}

/** Encodes a whole SendUnitData frame: item 0x00A1 (connection id) and 0x00B1 (sequence + message). */
export function encodeSendUnitData(init: SendUnitDataInit): Uint8Array {
  const messageSize = sizeOfMessage(init.message);
  const length = SEND_DATA_PREFIX + CPF_ITEM_HEADER * 2 + 4 + 2 + messageSize;
  if (length > MAX_ENCAPSULATION_LENGTH)
    throw new CipEncodeError(`encapsulation data of ${length} bytes exceeds ${MAX_ENCAPSULATION_LENGTH}`);
  checkRange("connectionId", init.connectionId, 0, 0xffffffff);
  checkRange("sequence", init.sequence, 0, 0xffff);
  const w = new Writer(ENCAPSULATION_HEADER_SIZE + length);
  encodeHeader(w, {
    command: EncapsulationCommand.codes.sendUnitData,
    length,
    session: init.session,
    status: init.status ?? 0,
    senderContext: init.senderContext ?? ZERO_CONTEXT,
    options: 0,
  });
  w.u32(0).u16(0).u16(2);
  w.u16(0x00a1).u16(4).u32(init.connectionId);
  w.u16(0x00b1)
    .u16(2 + messageSize)
    .u16(init.sequence);
  writeMessage(w, init.message);
  return w.finish();
}

/**
 * The reply service codes the simulator sends: each is its request's code from the cip-codec tables with REPLY_BIT
 * set (CIP Vol 1 §2-4.2), typed as the codec's reply unions want them, so no handler writes 0xCC or 0xD4 by hand.
 */
import {
  CipService,
  ConnectionManagerService,
  type ForwardCloseReply,
  type ForwardOpenReply,
  type GetAttributeListReply,
  type GetInstanceAttributeListReply,
  LogixService,
  type MultipleServiceReply,
  REPLY_BIT,
  type ReadTagReply,
  type ReadTemplateReply,
  type SetAttributeListReply,
  type UnconnectedSendReply,
  type WriteTagReply,
} from "@cpppo/cip-codec";

const C = CipService.codes;
const L = LogixService.codes;
const CM = ConnectionManagerService.codes;

/** Reply codes by the name of the request service they answer. */
export const ReplyService = Object.freeze({
  getAttributeList: (C.getAttributeList | REPLY_BIT) as GetAttributeListReply["service"],
  setAttributeList: (C.setAttributeList | REPLY_BIT) as SetAttributeListReply["service"],
  multipleServicePacket: (C.multipleServicePacket | REPLY_BIT) as MultipleServiceReply<unknown>["service"],
  /** Read Tag's reply, and Read Template's (the same code on the Template object). */
  readTag: (L.readTag | REPLY_BIT) as ReadTemplateReply["service"],
  readTagFragmented: (L.readTagFragmented | REPLY_BIT) as ReadTagReply["service"],
  writeTag: (L.writeTag | REPLY_BIT) as WriteTagReply["service"],
  writeTagFragmented: (L.writeTagFragmented | REPLY_BIT) as WriteTagReply["service"],
  readModifyWriteTag: (L.readModifyWriteTag | REPLY_BIT) as WriteTagReply["service"],
  getInstanceAttributeList: (L.getInstanceAttributeList |
    REPLY_BIT) as GetInstanceAttributeListReply["service"],
  forwardOpen: (CM.forwardOpen | REPLY_BIT) as ForwardOpenReply["service"],
  largeForwardOpen: (CM.largeForwardOpen | REPLY_BIT) as ForwardOpenReply["service"],
  forwardClose: (CM.forwardClose | REPLY_BIT) as ForwardCloseReply["service"],
  unconnectedSend: (CM.unconnectedSend | REPLY_BIT) as UnconnectedSendReply["service"],
});

/** The reply code of any request `service`: the code with REPLY_BIT set, kept to one byte. */
export function replyServiceOf(service: number): number {
  return (service | REPLY_BIT) & 0xff;
}

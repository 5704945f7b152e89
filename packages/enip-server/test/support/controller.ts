/** Test helper: a request goes through the codec as bytes, the controller answers, and the reply comes back as bytes. */
import {
  type CipReply,
  type CipRequest,
  decodeReplyBytes,
  decodeRequestBytes,
  encodeReplyBytes,
  encodeRequestBytes,
  type MessageDecodeOptions,
  toHex,
} from "@cpppo/cip-codec";
import type { Controller, RequestContext } from "../../src/controller/controller.js";

/** The answer to one request: the reply bytes, their hex, and the reply decoded with the request as hint. */
export interface Exchange {
  bytes: Uint8Array;
  hex: string;
  reply: CipReply;
}

/** Encodes `request`, decodes it as a server would, executes it, encodes the reply and decodes it again. */
export function run(
  controller: Controller,
  request: CipRequest,
  context?: RequestContext,
  options?: MessageDecodeOptions,
): Exchange {
  const wire = encodeRequestBytes(request);
  const decodeOptions = { attributeSize: controller.attributeSize, ...options };
  const decoded = decodeRequestBytes(wire, decodeOptions);
  const bytes = encodeReplyBytes(controller.execute(decoded, context)).slice();
  const reply = decodeReplyBytes(bytes, { request: decoded }, decodeOptions);
  return { bytes, hex: toHex(bytes), reply };
}

/** Hex of `bytes` with spaces, for comparing against the spec's byte listings. */
export function spaced(hex: string): string {
  return hex.replace(/\s+/g, "").replace(/(..)(?!$)/g, "$1 ");
}

/** Hex listing text as one hex string: blanks dropped, and each "quoted" run replaced by the hex of its characters. */
export function hexOf(text: string): string {
  return text
    .replace(/"([^"]*)"/g, (_m, s: string) => toHex(new TextEncoder().encode(s)))
    .replace(/\s+/g, "");
}

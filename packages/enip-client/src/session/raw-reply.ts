/** A reply handed over undecoded, for hot paths that read the reply's bytes themselves (the pipeline's packed reads). */
import { type CipReply, type CipRequest, peekCipReplyOffset } from "@cpppo/cip-codec";

/** A reply frame handed over undecoded by `Session.requestFrame`. */
export interface RawReply {
  /** The whole encapsulation frame, header included (a view that stays valid). */
  readonly frame: Uint8Array;
  /**
   * Offset in `frame` of the CIP reply when the frame is a plain SendUnitData (connected address and data items)
   * or SendRRData (null address and unconnected data items) with encapsulation status 0 and consistent lengths;
   * -1 for any other frame, which only `decode()` can tell about.
   */
  readonly cipStart: number;
  /** The CIP reply, decoded and checked exactly as `request` does (same errors: `ProtocolError`). */
  decode(): CipReply;
}

/** Decodes a reply frame as the answer to `sent` (`meaning` names the service it must answer). */
export type FrameDecoder = (frame: Uint8Array, sent: CipRequest, meaning: CipRequest) => CipReply;

/** A `RawReply` that decodes itself through the session that received it. */
export class FrameReply implements RawReply {
  readonly cipStart: number;

  constructor(
    readonly frame: Uint8Array,
    private readonly decoder: FrameDecoder,
    private readonly sent: CipRequest,
    private readonly meaning: CipRequest,
  ) {
    this.cipStart = peekCipReplyOffset(frame);
  }

  decode(): CipReply {
    return this.decoder(this.frame, this.sent, this.meaning);
  }
}

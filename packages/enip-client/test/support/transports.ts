// Transports that wrap TCP to watch what the client does: frames sent, and reply frames rewritten on the way in.
import { connectTcp } from "../../src/transport/tcp.js";
import type { TransportFactory } from "../../src/transport/transport.js";

/** A TCP transport that counts the frames the client sends, to see continuation and packing happen. */
export function counting(): { factory: TransportFactory; sent: () => number } {
  const tap = tapped();
  return { factory: tap.factory, sent: tap.sent };
}

/** A TCP transport that counts the frames written and lets a test rewrite the reply frames received. */
export function tapped(): {
  factory: TransportFactory;
  sent: () => number;
  rewrite: (f: ((frame: Uint8Array) => Uint8Array) | undefined) => void;
} {
  let sent = 0;
  let rewrite: ((frame: Uint8Array) => Uint8Array) | undefined;
  const factory: TransportFactory = async (options, handlers) => {
    const t = await connectTcp(options, {
      frame: (frame) => handlers.frame(rewrite ? rewrite(frame) : frame),
      close: (error) => handlers.close(error),
    });
    return {
      peer: t.peer,
      write: (frame) => {
        sent++;
        t.write(frame);
      },
      end: () => t.end(),
      destroy: (e) => t.destroy(e),
    };
  };
  return { factory, sent: () => sent, rewrite: (f) => (rewrite = f) };
}

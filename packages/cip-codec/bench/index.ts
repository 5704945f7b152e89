// Benchmarks of @cpppo/cip-codec; prints `BENCH cip-codec.<figure> <value> <unit>` lines (see BENCHMARKS.md).
import { compile, count, Framer, machine } from "@cpppo/automata";
import { measure, printMachine, report, reportRatio, rng } from "@cpppo/bench-kit";
import {
  type CipReply,
  decodeEnipMessage,
  EnipFramer,
  encodeSendRRData,
  multipleServicePacket,
  multipleServiceReply,
  type ReadTagReply,
  readTagRequest,
  unconnectedSend,
} from "@cpppo/cip-codec";

printMachine();

const session = 0x11223344;
const senderContext = new Uint8Array([0x30, 0, 0, 0, 0, 0, 0, 0]);
const route = [{ port: 1, link: 0 }];
const tag = [{ symbolic: "SCADA" }, { element: 1 }];

// Read Tag: full frames (header + CPF + Unconnected Send + Read Tag), as a client sends them.
const request = () => unconnectedSend(readTagRequest(tag, 1), route);
const requestFrame = encodeSendRRData({ session, senderContext, timeout: 5, message: request() });
const dintReply: ReadTagReply = {
  kind: "readTag",
  service: 0xcc,
  generalStatus: 0,
  extStatus: [],
  type: 0xc4,
  data: new Uint8Array([0x2a, 0, 0, 0]),
};
const replyFrame = encodeSendRRData({ session, senderContext, message: dintReply });

report(
  "cip-codec.decode-read-tag-request",
  measure(() => decodeEnipMessage(requestFrame).header.length),
  "frames/s",
);
report(
  "cip-codec.decode-read-tag-reply",
  measure(() => decodeEnipMessage(replyFrame).header.length),
  "frames/s",
);
report(
  "cip-codec.encode-read-tag-request",
  measure(() => encodeSendRRData({ session, senderContext, timeout: 5, message: request() }).length),
  "frames/s",
);
report(
  "cip-codec.encode-read-tag-reply",
  measure(() => encodeSendRRData({ session, senderContext, message: dintReply }).length),
  "frames/s",
);

// Multiple Service Packet with 50 Read Tag replies (one DINT each), whole frames.
const mspReplies = (): CipReply[] => Array.from({ length: 50 }, () => dintReply);
const mspReplyFrame = encodeSendRRData({
  session,
  senderContext,
  message: multipleServiceReply(mspReplies()),
});
const mspRequest = multipleServicePacket(
  Array.from({ length: 50 }, (_, i) => readTagRequest([{ symbolic: "SCADA" }, { element: i }], 1)),
);
const decodedMsp = decodeEnipMessage(mspReplyFrame, { hint: { request: mspRequest } }).cip;
if (!decodedMsp || !("replies" in decodedMsp) || decodedMsp.replies?.length !== 50)
  throw new Error("msp-50 reply did not decode into 50 replies");
report(
  "cip-codec.decode-msp-50-reply",
  measure(() => decodeEnipMessage(mspReplyFrame, { hint: { request: mspRequest } }).header.length),
  "frames/s",
);
report(
  "cip-codec.encode-msp-50-reply",
  measure(
    () => encodeSendRRData({ session, senderContext, message: multipleServiceReply(mspReplies()) }).length,
  ),
  "frames/s",
);

// frame-split: ~100-byte frames (Read Tag requests and replies of various tags) fed in random chunk
// sizes of 1..4096 bytes, as TCP delivers them; the shipped EnipFramer vs an @cpppo/automata machine
// doing the same split (a 24-byte counted header run whose length decodes the data run).
{
  const r = rng(7);
  const frames: Uint8Array[] = [];
  let total = 0;
  while (total < 4_000_000) {
    const name = "T".repeat(1 + Math.floor(r() * 40));
    const f = encodeSendRRData({
      session,
      senderContext,
      timeout: 5,
      message: unconnectedSend(readTagRequest([{ symbolic: name }, { element: 1 }], 1), route),
    });
    frames.push(f);
    total += f.length;
  }
  const stream = new Uint8Array(total);
  let at = 0;
  for (const f of frames) {
    stream.set(f, at);
    at += f.length;
  }
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < stream.length; ) {
    const n = Math.min(stream.length - i, 1 + Math.floor(r() * 4096));
    chunks.push(stream.slice(i, i + n));
    i += n;
  }
  const direct = () => {
    const framer = new EnipFramer();
    let n = 0;
    for (const c of chunks) n += framer.push(c).length;
    framer.end();
    if (n !== frames.length) throw new Error(`EnipFramer found ${n} of ${frames.length} frames`);
    return n;
  };
  const header = count("header", 24, {
    context: "length",
    decode: (b, s) => (b[s + 2] as number) | ((b[s + 3] as number) << 8),
  });
  header.epsilon(count("data", "length", { context: "data", terminal: true }));
  const program = compile(machine("enip", header), { alphabet: "bytes" });
  const viaAutomata = () => {
    let n = 0;
    const framer = new Framer(program, () => {
      n++;
    });
    for (const c of chunks) framer.push(c);
    framer.end();
    if (n !== frames.length) throw new Error(`automata framer found ${n} of ${frames.length} frames`);
    return n;
  };
  const mb = total / 1e6;
  const a = report("cip-codec.frame-split", measure(direct, mb), "MB/s");
  const b = report("cip-codec.frame-split.automata", measure(viaAutomata, mb), "MB/s");
  reportRatio("cip-codec.frame-split.automata-vs-direct", b, a);
}

// The reply peeks and the fast view of packed reads against the full decoder: for real reply frames and for
// arbitrary mutations of them, a peek or the view either refuses, or says exactly what `decodeEnipMessage` (and
// `decodeValues`) say.
import fc from "fast-check";
import {
  type CipReply,
  type CipRequest,
  CipTypeCode,
  decodeEnipMessage,
  decodeValues,
  encodeSendRRData,
  encodeSendUnitData,
  multipleServicePacket,
  multipleServiceReply,
  type PackedReads,
  peekCipReplyOffset,
  peekSenderContext32,
  peekSequenceCount,
  type ReadTagReply,
  readTagFragmentedRequest,
  readTagRequest,
  typeByCode,
  viewPackedReads,
} from "../src/index.js";

/** Elementary fixed-size types a packet may carry. */
const TYPES = ["SINT", "INT", "DINT", "LINT", "REAL", "LREAL", "BOOL", "UDINT"] as const;

interface Packet {
  requests: CipRequest[];
  replies: CipReply[];
}

const arbitraryRead = fc
  .tuple(
    fc.constantFrom(...TYPES),
    fc.integer({ min: 1, max: 4 }),
    fc.boolean(),
    fc.uint8Array({ minLength: 64, maxLength: 64 }),
  )
  .map(([name, elements, fragmented, bytes]) => {
    const type = CipTypeCode.codes[name];
    const codec = typeByCode(type);
    const size = codec?.size ?? 1;
    const path = [{ symbolic: "T" }, { element: elements }];
    const request = fragmented ? readTagFragmentedRequest(path, elements, 0) : readTagRequest(path, elements);
    const reply: ReadTagReply = {
      kind: fragmented ? "readTagFragmented" : "readTag",
      service: fragmented ? 0xd2 : 0xcc,
      generalStatus: 0,
      extStatus: [],
      type,
      data: bytes.slice(0, elements * size),
    };
    return { request, reply };
  });

const arbitraryPacket: fc.Arbitrary<Packet> = fc
  .array(arbitraryRead, { minLength: 2, maxLength: 6 })
  .map((reads) => ({ requests: reads.map((r) => r.request), replies: reads.map((r) => r.reply) }));

function frames(
  p: Packet,
  sequence: number,
  context: Uint8Array,
): { connected: Uint8Array; unconnected: Uint8Array } {
  const message = multipleServiceReply(p.replies);
  return {
    connected: encodeSendUnitData({ session: 7, connectionId: 0x1234, sequence, message }),
    unconnected: encodeSendRRData({ session: 7, senderContext: context, message }),
  };
}

/** The reply services a client expects of `requests`. */
const servicesOf = (requests: CipRequest[]): number[] => requests.map((r) => r.service | 0x80);

/** What the full decoder makes of `frame` as the reply to `requests` packed, or undefined when it refuses. */
function fullDecode(frame: Uint8Array, requests: CipRequest[]): CipReply | undefined {
  try {
    const m = decodeEnipMessage(frame, { hint: { request: multipleServicePacket(requests) } });
    return m.header.status === 0 && m.cip !== undefined && "generalStatus" in m.cip ? m.cip : undefined;
  } catch {
    return undefined;
  }
}

/** Checks that an accepted view is exactly the full decoder's reading of the frame. */
function expectSameAsDecoder(frame: Uint8Array, view: PackedReads, requests: CipRequest[]): void {
  const full = fullDecode(frame, requests);
  expect(full).toBeDefined();
  expect(full?.kind).toBe("multipleServicePacket");
  const replies = (full as { replies?: CipReply[] }).replies as CipReply[];
  expect(replies).toHaveLength(requests.length);
  replies.forEach((reply, i) => {
    expect(reply.generalStatus).toBe(0);
    expect(reply.extStatus).toEqual([]);
    const read = reply as ReadTagReply;
    expect(read.service).toBe(view.services[i]);
    expect(read.type).toBe(view.types[i]);
    expect(read.data).toEqual(frame.subarray(view.dataStart[i], view.dataEnd[i]));
    expect(view.values[i]).toEqual(decodeValues(typeByCode(read.type as number) as never, read.data));
  });
}

describe("reply peeks", () => {
  test("SendUnitData: the sequence count and the CIP offset 46; SendRRData: the sender context and offset 40", () => {
    const p: Packet = {
      requests: [readTagRequest([{ symbolic: "A" }], 1)],
      replies: [
        {
          kind: "readTag",
          service: 0xcc,
          generalStatus: 0,
          extStatus: [],
          type: 0xc4,
          data: new Uint8Array(4),
        },
      ],
    };
    const context = Uint8Array.of(0x78, 0x56, 0x34, 0x92, 0, 0, 0, 0);
    const { connected, unconnected } = frames(p, 0xbeef, context);
    expect(peekSequenceCount(connected)).toBe(0xbeef);
    expect(peekCipReplyOffset(connected)).toBe(46);
    expect(peekSequenceCount(unconnected)).toBe(-1);
    expect(peekSenderContext32(unconnected)).toBe(0x92345678);
    expect(peekCipReplyOffset(unconnected)).toBe(40);
    // One byte more than the length field says: the peek refuses.
    const longer = new Uint8Array(unconnected.length + 1);
    longer.set(unconnected);
    expect(peekCipReplyOffset(longer)).toBe(-1);
  });

  test("property: on mutated replies the peeks agree with the decoder (offset, sender context, sequence count)", () => {
    fc.assert(
      fc.property(
        arbitraryPacket,
        fc.boolean(),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
        (p, connected, flips) => {
          const both = frames(p, 1, new Uint8Array(8));
          const frame = (connected ? both.connected : both.unconnected).slice();
          for (const [at, v] of flips) frame[at % frame.length] = v;
          let decoded: ReturnType<typeof decodeEnipMessage> | undefined;
          try {
            decoded = decodeEnipMessage(frame, { hint: { request: multipleServicePacket(p.requests) } });
          } catch {
            decoded = undefined;
          }
          const at = peekCipReplyOffset(frame);
          // The offset peek vouches for the envelope only: the CIP reply inside may still be broken.
          if (at >= 0) expect(at).toBe(frame[0] === 0x70 ? 46 : 40);
          if (decoded === undefined) return;
          if (at >= 0) expect(decoded.header.status).toBe(0);
          expect(peekSenderContext32(frame)).toBe(
            new DataView(decoded.header.senderContext.slice().buffer).getUint32(0, true),
          );
          const body = decoded.body;
          if (body.command === "sendUnitData" && body.cpf[0]?.kind === "connectedAddress") {
            const data = body.cpf[1];
            if (data?.kind === "connectedData") expect(peekSequenceCount(frame)).toBe(data.sequence);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("viewPackedReads", () => {
  test("a real packet reply is accepted, and is what the decoder reads", () => {
    fc.assert(
      fc.property(arbitraryPacket, fc.boolean(), (p, connected) => {
        const both = frames(p, 9, new Uint8Array(8));
        const frame = connected ? both.connected : both.unconnected;
        const view = viewPackedReads(frame, peekCipReplyOffset(frame), servicesOf(p.requests));
        expect(view).toBeDefined();
        expectSameAsDecoder(frame, view as PackedReads, p.requests);
      }),
      { numRuns: 300 },
    );
  });

  test("property: on mutated real replies the view refuses, or returns exactly what the full decoder returns", () => {
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(
        arbitraryPacket,
        fc.boolean(),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: -3, max: 3 }),
        (p, connected, flips, resize) => {
          const both = frames(p, 9, new Uint8Array(8));
          const real = connected ? both.connected : both.unconnected;
          // Flip bytes anywhere (the reply area most often), then perhaps cut or extend the frame.
          const frame = new Uint8Array(Math.max(0, real.length + resize));
          frame.set(real.subarray(0, Math.min(real.length, frame.length)));
          for (const [at, v] of flips) {
            const cip = connected ? 46 : 40;
            const where = at % 2 === 0 ? cip + (at % Math.max(1, frame.length - cip)) : at;
            if (frame.length > 0) frame[where % frame.length] = v;
          }
          const view = viewPackedReads(frame, peekCipReplyOffset(frame), servicesOf(p.requests));
          if (view === undefined) refused++;
          else {
            accepted++;
            expectSameAsDecoder(frame, view, p.requests);
          }
        },
      ),
      { numRuns: 2000 },
    );
    // Both outcomes must occur, or the mutants test nothing.
    expect(accepted).toBeGreaterThan(20);
    expect(refused).toBeGreaterThan(20);
  });

  test("property: arbitrary bytes after a valid header are refused or read as the decoder reads them", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 80 }),
        fc.array(fc.constantFrom(0xcc, 0xd2), { minLength: 1, maxLength: 4 }),
        (cip, services) => {
          const frame = encodeSendRRData({
            session: 1,
            senderContext: new Uint8Array(8),
            message: { kind: "generic", service: 0x8a, generalStatus: 0, extStatus: [], data: cip } as never,
          });
          const requests = services.map((s) =>
            s === 0xd2
              ? readTagFragmentedRequest([{ symbolic: "T" }], 1, 0)
              : readTagRequest([{ symbolic: "T" }], 1),
          );
          const view = viewPackedReads(frame, peekCipReplyOffset(frame), services);
          if (view !== undefined) expectSameAsDecoder(frame, view, requests);
        },
      ),
      { numRuns: 1000 },
    );
  });

  test("refuses what is not the plain case: a negative offset, an unknown expected service, a structure", () => {
    const p: Packet = {
      requests: [readTagRequest([{ symbolic: "A" }], 1), readTagRequest([{ symbolic: "B" }], 1)],
      replies: [
        {
          kind: "readTag",
          service: 0xcc,
          generalStatus: 0,
          extStatus: [],
          type: 0xc4,
          data: new Uint8Array(4),
        },
        {
          kind: "readTag",
          service: 0xcc,
          generalStatus: 0,
          extStatus: [],
          type: 0xc3,
          data: new Uint8Array(2),
        },
      ],
    };
    const frame = frames(p, 1, new Uint8Array(8)).unconnected;
    expect(viewPackedReads(frame, 40, [0xcc, 0xcc])?.values).toEqual([[0], [0]]);
    expect(viewPackedReads(frame, -1, [0xcc, 0xcc])).toBeUndefined();
    expect(viewPackedReads(frame, 40, [0xcc, undefined])).toBeUndefined();
    expect(viewPackedReads(frame, 40, [0xcc])).toBeUndefined();
    expect(viewPackedReads(frame, 40, [0xcc, 0xd2])).toBeUndefined();
    const failed = frames(
      {
        ...p,
        replies: [p.replies[0] as CipReply, { ...(p.replies[1] as ReadTagReply), generalStatus: 0x05 }],
      },
      1,
      new Uint8Array(8),
    ).unconnected;
    expect(viewPackedReads(failed, 40, [0xcc, 0xcc])).toBeUndefined();
  });
});

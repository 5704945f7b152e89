// The packed-read hot path against the real simulator: reads planned once per operation and reused, Multiple
// Service Packets built from pre-encoded requests, and plain replies decoded straight from the packet's bytes.
// Whatever that path produces must equal what the general path (the same reads sent one by one) produces, and
// every reply it declines must come out exactly as before.

import { encodeRequestBytes, multipleServicePacket, readTagRequest } from "@cpppo/cip-codec";
import type { EnipServer } from "@cpppo/enip-server";
import fc from "fast-check";
import { EnipClient, type EnipClientOptions } from "../src/client.js";
import { ProtocolError } from "../src/core/errors.js";
import { prepare } from "../src/pipeline/plan.js";
import type { OperationResult, PipelineOperation } from "../src/pipeline/types.js";
import { resolveOptions } from "../src/session/options.js";
import { Session } from "../src/session/session.js";
import { connectTcp } from "../src/transport/tcp.js";
import { startSimulator } from "./support/simulator.js";
import { tapped } from "./support/transports.js";

let server: EnipServer;
let port: number;

/** Tag name, element count and CIP type of every array the tests read. */
const ARRAYS = [
  ["S", 100, "SINT"],
  ["I", 100, "INT"],
  ["D", 100, "DINT"],
  ["R", 100, "REAL"],
  ["L", 600, "LINT"],
  ["B", 64, "BOOL"],
  ["U", 100, "UDINT"],
  ["T", 4, "STRING"],
] as const;

beforeAll(async () => {
  ({ server, port } = await startSimulator(ARRAYS.map(([name, n, type]) => `${name}=${type}[${n}]`)));
  const setup = await EnipClient.connect({ host: "127.0.0.1", port });
  for (let i = 0; i < 100; i++) {
    await setup.write(`S[${i}]`, [i - 50]);
    await setup.write(`I[${i}]`, [i * 300 - 15000]);
    await setup.write(`D[${i}]`, [i * 40_000_000 - 2_000_000_000]);
    await setup.write(`R[${i}]`, [i / 4]);
    await setup.write(`U[${i}]`, [i * 40_000_000]);
  }
  await setup.close();
});

afterAll(async () => {
  await server.close();
});

async function collect(iterable: AsyncIterable<OperationResult>): Promise<OperationResult[]> {
  const out: OperationResult[] = [];
  for await (const r of iterable) out.push(r);
  return out;
}

const read = (name: string, index: number, elements?: number): PipelineOperation => ({
  method: "read",
  path: [{ symbolic: name }, { element: index }],
  ...(elements === undefined ? {} : { elements }),
});

/** A read of any of the arrays, in range or (sometimes) past its end, which the simulator refuses. */
const arbitraryRead = fc
  .tuple(fc.constantFrom(...ARRAYS), fc.nat({ max: 120 }), fc.integer({ min: 1, max: 3 }))
  .map(([[name, size], index, elements]) => read(name, index % (size + 4), elements));

const MODES: [string, Partial<EnipClientOptions>][] = [
  ["connected", { connected: true }],
  ["unconnected", {}],
];

describe.each(MODES)("packed reads, %s", (_name, mode) => {
  let client: EnipClient;
  const tap = tapped();
  beforeAll(async () => {
    client = await EnipClient.connect({ host: "127.0.0.1", port, transport: tap.factory, ...mode });
  });
  afterAll(async () => {
    await client.close();
  });
  afterEach(() => tap.rewrite(undefined));

  test("property: packed reads give exactly the results of the same reads sent one by one", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(arbitraryRead, { minLength: 1, maxLength: 80 }),
        fc.integer({ min: 1, max: 8 }),
        async (ops, depth) => {
          const alone = await collect(client.pipeline(ops, { depth, multiple: false }));
          const before = tap.sent();
          const packed = await collect(client.pipeline(ops, { depth, multiple: true }));
          expect(packed).toEqual(alone);
          if (ops.length >= 8) expect(tap.sent() - before).toBeLessThan(ops.length);
          // process() and results() skip building results on this path: the same values, the same failures.
          const processed = await client.process(ops, { depth, multiple: true });
          expect(processed.values).toEqual(alone.map((r) => r.value));
          expect(processed.failures).toBe(alone.filter((r) => !r.ok).length);
          expect(await client.results(ops, { depth, multiple: true })).toEqual(processed.values);
        },
      ),
      { numRuns: 25 },
    );
  });

  test("plain reads decode to the values written, learn the tag's type, and keep operation order", async () => {
    const ops = Array.from({ length: 300 }, (_, i) => read("D", i % 100));
    const results = await collect(client.pipeline(ops, { depth: 3, multiple: true }));
    expect(results.map((r) => r.index)).toEqual(ops.map((_, i) => i));
    expect(results.map((r) => r.value)).toEqual(ops.map((_, i) => [(i % 100) * 40_000_000 - 2_000_000_000]));
    const first = results[0] as OperationResult;
    expect(first.reply).toEqual({
      kind: "readTag",
      service: 0xcc,
      generalStatus: 0,
      extStatus: [],
      data: Uint8Array.from([0x00, 0x6c, 0xca, 0x88]),
      type: 0xc4,
    });
    expect(first.request).toEqual(readTagRequest([{ symbolic: "D" }, { element: 0 }], 1));
    expect(client.tagTypes.get("D")).toEqual({ type: 0xc4, size: 4 });
  });

  test("running the same operations again reuses them, and a changed operation is seen", async () => {
    const ops = Array.from({ length: 50 }, (_, i) => read("I", i));
    const once = await client.process(ops, { depth: 2, multiple: true });
    expect(await client.process(ops, { depth: 2, multiple: true })).toEqual(once);
    // A new path, a new element count, another operation in the array: each is read as it is now.
    const changed = ops[3] as PipelineOperation & { path: unknown; elements?: number };
    changed.path = [{ symbolic: "I" }, { element: 40 }];
    changed.elements = 2;
    ops[4] = read("S", 7);
    const again = await client.process(ops, { depth: 2, multiple: true });
    expect(again.values[3]).toEqual([40 * 300 - 15000, 41 * 300 - 15000]);
    expect(again.values[4]).toEqual([7 - 50]);
    expect(again.values.slice(5)).toEqual(once.values.slice(5));
    // The same operation objects in another array (or another client) are prepared for that run.
    expect(await client.results([...ops].reverse(), { depth: 2, multiple: true })).toEqual(
      [...again.values].reverse(),
    );
  });

  test("prepared operations keep their read plans across runs, and re-plan what changed", async () => {
    const ops = Array.from({ length: 50 }, (_, i) => read("I", i));
    const prepared = prepare(ops);
    expect(prepared.plans).toEqual([]);
    const once = await client.process(prepared, { depth: 2, multiple: true });
    expect(once).toEqual(await client.process(ops, { depth: 2, multiple: true }));
    const plans = [...prepared.plans];
    expect(plans.filter((p) => p !== undefined)).toHaveLength(50);
    expect(await client.process(prepared, { depth: 2, multiple: true })).toEqual(once);
    expect(prepared.plans).toEqual(plans);
    expect(prepared.plans.every((p, i) => p === plans[i])).toBe(true);
    // A new path, another operation in the array: those two are planned anew, the rest reused.
    (ops[3] as PipelineOperation & { path: unknown }).path = [{ symbolic: "I" }, { element: 40 }];
    ops[4] = read("S", 7);
    const again = await client.process(prepared, { depth: 2, multiple: true });
    expect(again.values[3]).toEqual([40 * 300 - 15000]);
    expect(again.values[4]).toEqual([7 - 50]);
    expect(prepared.plans.map((p, i) => p === plans[i])).toEqual(ops.map((_, i) => i !== 3 && i !== 4));
    expect(await collect(client.pipeline(prepared, { depth: 2, multiple: true }))).toEqual(
      await collect(client.pipeline(ops, { depth: 2, multiple: true })),
    );
  });

  test("a size learned after the first run re-plans the read (a LINT array larger than one reply)", async () => {
    client.tagTypes.delete("L");
    const ops = [read("L", 0, 600), read("D", 1)];
    const first = await collect(client.pipeline(ops, { depth: 1, multiple: true }));
    const second = await collect(client.pipeline(ops, { depth: 1, multiple: true }));
    expect(first.map((r) => r.value)).toEqual(second.map((r) => r.value));
    expect(first[0]?.value).toHaveLength(600);
    // Assumed 4 bytes an element, the read fitted one reply; known to be 8, it is fragmented from the start.
    const limit = client.limits.reply;
    expect(first[0]?.request.kind).toBe(600 * 4 + 6 > limit ? "readTagFragmented" : "readTag");
    expect(second[0]?.request.kind).toBe("readTagFragmented");
  });

  test("replies that are not plain (errors, strings, partial data) are completed the general way", async () => {
    const ops = [
      read("D", 5),
      read("D", 500),
      read("T", 1),
      read("B", 3, 2),
      read("L", 0, 600),
      read("R", 2),
    ];
    const alone = await collect(client.pipeline(ops, { depth: 2, multiple: false }));
    const packed = await collect(client.pipeline(ops, { depth: 2, multiple: true }));
    expect(packed).toEqual(alone);
    expect(packed.map((r) => r.ok)).toEqual([true, false, true, true, true, true]);
    expect(packed[5]?.value).toEqual([0.5]);
  });

  test("a packet reply the direct decoder declines fails as the general decoder makes it fail", async () => {
    const ops = Array.from({ length: 10 }, (_, i) => read("D", i));
    // One byte more than the header's length says: not a frame either decoder accepts.
    tap.rewrite((frame) => {
      const bigger = new Uint8Array(frame.length + 1);
      bigger.set(frame);
      return bigger;
    });
    await expect(client.process(ops, { multiple: true })).rejects.toBeInstanceOf(ProtocolError);
    // A Multiple Service Packet reply whose count disagrees with its offsets.
    tap.rewrite((frame) => {
      const copy = frame.slice();
      const cip = copy[0] === 0x70 ? 46 : 40;
      if (copy[cip] === 0x8a) copy[cip + 4] = (copy[cip + 4] as number) + 1;
      return copy;
    });
    await expect(client.process(ops, { multiple: true })).rejects.toThrow(/cannot decode the reply/);
  });
});

test("the session's requestFrame hands the reply over undecoded; decode() reads it as request() does", async () => {
  for (const mode of MODES) {
    // requestFrame is the session layer's, no longer the client's: the session is driven here directly.
    const client = new Session(resolveOptions({ host: "127.0.0.1", port, ...mode[1] }), {
      transport: connectTcp,
      signal: undefined,
      maxFrameSize: undefined,
    });
    await client.ready();
    const requests = [
      readTagRequest([{ symbolic: "D" }, { element: 2 }], 1),
      readTagRequest([{ symbolic: "S" }], 3),
    ];
    const packet = multipleServicePacket(requests);
    const raw = await client.requestFrame(packet);
    expect(raw.cipStart).toBe(mode[1].connected ? 46 : 40);
    expect(raw.frame[raw.cipStart]).toBe(0x8a);
    expect(raw.decode()).toEqual(await client.request(packet));
    // The same bytes sent as a generic 0x0A request, read as the packet they stand for.
    const data = encodeRequestBytes(packet).subarray(6);
    const generic = { kind: "generic" as const, service: 0x0a, path: packet.path, data };
    expect((await client.requestFrame(generic, {}, packet)).decode()).toEqual(await client.request(packet));
    await client.close();
  }
});

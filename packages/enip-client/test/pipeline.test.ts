// Pipelining against the real simulator: depths 1–20, with and without Multiple Service Packet packing,
// connected and unconnected; values must be right and results must come in operation order.
import { encodeValues, REAL, SSTRING } from "@cpppo/cip-codec";
import type { EnipServer } from "@cpppo/enip-server";
import fc from "fast-check";
import { EnipClient, type EnipClientOptions } from "../src/client.js";
import { InvalidArgumentError } from "../src/core/errors.js";
import { parseOperations } from "../src/parse-operations.js";
import type { OperationResult, PipelineOperation } from "../src/pipeline/types.js";
import { startSimulator } from "./support/simulator.js";
import { counting } from "./support/transports.js";

let server: EnipServer;
let port: number;

beforeAll(async () => {
  ({ server, port } = await startSimulator([
    "SCADA=INT[1000]",
    "BIG=DINT[10000]",
    "Motor_Velocity@0x93/3/10=REAL",
  ]));
});

afterAll(async () => {
  await server.close();
});

const write = (i: number, v: number): PipelineOperation => ({
  method: "write",
  path: [{ symbolic: "SCADA" }, { element: i }],
  elements: 1,
  tagType: 0xc3,
  values: [v],
});
const read = (i: number, elements = 1): PipelineOperation => ({
  method: "read",
  path: [{ symbolic: "SCADA" }, { element: i }],
  elements,
});

async function collect(iterable: AsyncIterable<OperationResult>): Promise<OperationResult[]> {
  const out: OperationResult[] = [];
  for await (const r of iterable) out.push(r);
  return out;
}

/** 60 writes of distinct values, then 60 reads of them: in order, every value must be the one written. */
function workload(seed: number): { ops: PipelineOperation[]; expected: unknown[] } {
  const ops: PipelineOperation[] = [];
  const expected: unknown[] = [];
  for (let i = 0; i < 60; i++) {
    ops.push(write(i, seed + i * 3));
    expected.push(true);
  }
  for (let i = 0; i < 60; i++) {
    ops.push(read(i));
    expected.push([seed + i * 3]);
  }
  return { ops, expected };
}

const DEPTHS = Array.from({ length: 20 }, (_, i) => i + 1);
const MODES: [string, Partial<EnipClientOptions>][] = [
  ["unconnected", {}],
  ["connected", { connected: true }],
];

describe.each(MODES)("pipeline, %s", (_name, mode) => {
  let client: EnipClient;
  const counter = counting();
  beforeAll(async () => {
    client = await EnipClient.connect({ host: "127.0.0.1", port, transport: counter.factory, ...mode });
  });
  afterAll(async () => {
    await client.close();
  });

  test.each(DEPTHS)("depth %d, unpacked and packed: values right, order kept", async (depth) => {
    for (const multiple of [false, true, 200] as const) {
      const { ops, expected } = workload(depth * 100 + (multiple === false ? 0 : multiple === true ? 1 : 2));
      const before = counter.sent();
      const results = await collect(client.pipeline(ops, { depth, multiple }));
      expect(results.map((r) => r.index)).toEqual(ops.map((_, i) => i));
      expect(results.map((r) => r.value)).toEqual(expected);
      expect(results.every((r) => r.ok && r.status === 0)).toBe(true);
      const requests = counter.sent() - before;
      if (multiple === false) expect(requests).toBe(ops.length);
      else expect(requests).toBeLessThan(ops.length / 4);
    }
  });

  test("a transfer larger than one reply, in the middle of a packed pipeline, is continued and kept in place", async () => {
    await client.write(
      "BIG",
      Array.from({ length: 10000 }, (_, i) => i),
      { type: "DINT" },
    );
    const ops: PipelineOperation[] = [
      read(1),
      { method: "read", path: [{ symbolic: "BIG" }], elements: 10000 },
      read(2),
      { method: "read", path: [{ symbolic: "BIG" }, { element: 9000 }], elements: 300 },
    ];
    const results = await collect(client.pipeline(ops, { depth: 3, multiple: true }));
    expect(results.map((r) => r.index)).toEqual([0, 1, 2, 3]);
    expect((results[1]?.value as number[] | undefined)?.length).toBe(10000);
    expect((results[1]?.value as number[] | undefined)?.[9999]).toBe(9999);
    expect(results[3]?.value).toEqual(Array.from({ length: 300 }, (_, i) => 9000 + i));
  });

  test("a write larger than one request is split, packed pipeline or not", async () => {
    const values = Array.from({ length: 3000 }, (_, i) => (i * 7) % 1000);
    const ops: PipelineOperation[] = [
      { method: "write", path: [{ symbolic: "BIG" }], elements: 3000, tagType: 0xc4, values },
      { method: "read", path: [{ symbolic: "BIG" }], elements: 3000 },
    ];
    for (const multiple of [false, true]) {
      const results = await collect(client.pipeline(ops, { depth: 2, multiple }));
      expect(results[0]?.ok).toBe(true);
      expect(results[1]?.value).toEqual(values);
    }
  });

  test("attribute operations and services pipeline too (packed when their reply size is given)", async () => {
    const name = encodeValues(SSTRING, ["1756-L61/B LOGIX5561"]);
    const ops: PipelineOperation[] = [
      {
        method: "setAttributeSingle",
        path: [{ class: 0x93 }, { instance: 3 }, { attribute: 10 }],
        data: encodeValues(REAL, [2.5]),
      },
      {
        method: "getAttributeSingle",
        path: [{ class: 1 }, { instance: 1 }, { attribute: 7 }],
        dataSize: name.length,
      },
      { method: "getAttributeSingle", path: [{ class: 0x93 }, { instance: 3 }, { attribute: 10 }] },
      { method: "getAttributesAll", path: [{ class: 1 }, { instance: 1 }], description: "identity" },
      {
        method: "service",
        code: 0x0e,
        path: [{ class: 1 }, { instance: 1 }, { attribute: 7 }],
        data: new Uint8Array(0),
      },
    ];
    const results = await collect(client.pipeline(ops, { depth: 4, multiple: true }));
    expect(results.map((r) => r.ok)).toEqual([true, true, true, true, true]);
    expect(results[0]?.value).toBe(true);
    expect(results[1]?.value).toEqual(name);
    expect(results[2]?.value).toEqual(encodeValues(REAL, [2.5]));
    expect(results[3]?.description).toBe("identity");
    expect(results[4]?.value).toEqual(name);
    expect(results[1]?.description).toBe("@1/1/7");
  });

  test("results(), process() and synchronous() as in cpppo; failures are counted, not thrown", async () => {
    const ops = [
      write(10, 1010),
      read(10),
      { method: "read", path: [{ symbolic: "NOPE" }] } as PipelineOperation,
      read(10),
    ];
    expect(await client.results(ops, { depth: 2, multiple: true })).toEqual([
      true,
      [1010],
      undefined,
      [1010],
    ]);
    expect(await client.process(ops, { depth: 5 })).toEqual({
      failures: 1,
      values: [true, [1010], undefined, [1010]],
    });
    const sync = await collect(client.synchronous(ops));
    expect(sync.map((r) => r.ok)).toEqual([true, true, false, true]);
    expect(sync[2]?.status).not.toBe(0);
  });

  test("operations parsed from cpppo's grammar run as they are", async () => {
    const ops = parseOperations(["SCADA[1]=99", "SCADA[0-3]", "SCADA[0-9]+4"]);
    const results = await collect(client.pipeline(ops, { depth: 2 }));
    expect(results[0]?.value).toBe(true);
    expect((results[1]?.value as number[] | undefined)?.[1]).toBe(99);
    expect(results[1]?.description).toBe("SCADA[0-3]");
    expect((results[2]?.value as number[] | undefined)?.length).toBe(8);
  });

  test("an async iterable of operations is consumed as it produces", async () => {
    async function* produce(): AsyncGenerator<PipelineOperation> {
      for (let i = 0; i < 30; i++) {
        yield write(i, i + 500);
        if (i % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
      }
      for (let i = 0; i < 30; i++) yield read(i);
    }
    const values = await client.results(produce(), { depth: 7, multiple: true });
    expect(values.slice(30)).toEqual(Array.from({ length: 30 }, (_, i) => [i + 500]));
  });

  test("property: any mix of reads and writes at any depth and packing matches a model of the tag", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.record({
              kind: fc.constant("w" as const),
              at: fc.integer({ min: 0, max: 49 }),
              v: fc.integer({ min: -32768, max: 32767 }),
            }),
            fc.record({
              kind: fc.constant("r" as const),
              at: fc.integer({ min: 0, max: 49 }),
              n: fc.integer({ min: 1, max: 50 }),
            }),
          ),
          { minLength: 1, maxLength: 80 },
        ),
        fc.integer({ min: 1, max: 20 }),
        fc.constantFrom<false | true | number>(false, true, 120),
        async (script, depth, multiple) => {
          const base = 500;
          const model = new Array<number>(100).fill(0);
          await client.write(`SCADA[${base}]`, model, { type: "INT" });
          const ops: PipelineOperation[] = [];
          const expected: unknown[] = [];
          for (const s of script) {
            if (s.kind === "w") {
              ops.push(write(base + s.at, s.v));
              model[s.at] = s.v;
              expected.push(true);
            } else {
              ops.push(read(base + s.at, s.n));
              expected.push(model.slice(s.at, s.at + s.n));
            }
          }
          const results = await collect(client.pipeline(ops, { depth, multiple }));
          expect(results.map((r) => r.value)).toEqual(expected);
        },
      ),
      { numRuns: 25 },
    );
  });
});

test("pipeline options are validated", async () => {
  const client = await EnipClient.connect({ host: "127.0.0.1", port });
  try {
    await expect(collect(client.pipeline([read(1)], { depth: 0 }))).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await expect(collect(client.pipeline([read(1)], { multiple: -5 }))).rejects.toThrow(/"multiple"/);
    await expect(
      collect(
        client.pipeline([
          { method: "write", path: [{ symbolic: "X" }], elements: 1, tagType: 0x7777, values: [1] },
        ]),
      ),
    ).rejects.toThrow(/no codec/);
  } finally {
    await client.close();
  }
});

// Multiple Service Packet packing: groups keep arrival order, never exceed the request or reply budget, and
// requests that cannot share a packet travel alone. Checked on the real codec's sizes.
import {
  encodeRequestBytes,
  getAttributeSingleRequest,
  multipleServicePacket,
  readTagFragmentedRequest,
  readTagRequest,
  sizeOfReply,
  sizeOfRequest,
  writeTagRequest,
} from "@cpppo/cip-codec";
import fc from "fast-check";
import {
  DEFAULT_ELEMENT_SIZE,
  LARGE_CONNECTION_SIZE,
  Packer,
  type PackItem,
  packLimits,
  replySize,
  UCMM_CONNECTION_SIZE,
} from "../src/core/packing.js";

const tag = (i: number) => [{ symbolic: "SCADA" }, { element: i }];

describe("replySize", () => {
  test("reads: header, type and elements × element size (DINT assumed by default)", () => {
    expect(replySize(readTagRequest(tag(1), 1))).toBe(4 + 2 + DEFAULT_ELEMENT_SIZE);
    expect(replySize(readTagRequest(tag(1), 10), 2)).toBe(4 + 2 + 20);
    expect(replySize(readTagFragmentedRequest(tag(0), 10, 8), 2)).toBe(4 + 2 + 12);
  });

  test("the estimate of a DINT read equals the size of the real reply", () => {
    const reply = {
      kind: "readTag" as const,
      service: 0xcc as const,
      generalStatus: 0,
      extStatus: [],
      type: 0xc4,
      data: new Uint8Array(4 * 7),
    };
    expect(replySize(readTagRequest(tag(0), 7))).toBe(sizeOfReply(reply));
  });

  test("writes and sets answer with a bare header; unknown sizes are undefined", () => {
    expect(replySize(writeTagRequest(tag(1), { type: 0xc3 }, 1, new Uint8Array(2)))).toBe(4);
    expect(
      replySize(getAttributeSingleRequest([{ class: 1 }, { instance: 1 }, { attribute: 7 }])),
    ).toBeUndefined();
    expect(
      replySize(getAttributeSingleRequest([{ class: 1 }, { instance: 1 }, { attribute: 7 }]), 4, 21),
    ).toBe(25);
  });
});

describe("packLimits", () => {
  test("connected messages lose the sequence count; routed unconnected ones the Unconnected Send wrapper", () => {
    expect(packLimits(LARGE_CONNECTION_SIZE, { connected: true })).toEqual({ request: 4000, reply: 4000 });
    expect(packLimits(UCMM_CONNECTION_SIZE, { connected: false, routePath: false })).toEqual({
      request: 504,
      reply: 504,
    });
    const routed = packLimits(UCMM_CONNECTION_SIZE, { connected: false, routePath: [{ port: 1, link: 0 }] });
    expect(routed.reply).toBe(504);
    // service+size, @6/1, priority+ticks, length, pad, route size+reserved, route 1/0
    expect(routed.request).toBe(504 - (2 + 4 + 2 + 2 + 1 + 2 + 2));
  });
});

function item(i: number, elements = 1): PackItem<number> {
  const req = readTagRequest(tag(i), elements);
  return { item: i, requestSize: sizeOfRequest(req), replySize: replySize(req) };
}

describe("Packer", () => {
  test("fills a packet until the next request would not fit, then starts another", () => {
    const packer = new Packer<number>({ request: 504, reply: 504 });
    const groups: number[][] = [];
    for (let i = 0; i < 100; i++) groups.push(...packer.add(item(i)));
    groups.push(...packer.flush());
    expect(groups.flat()).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(groups.length).toBeGreaterThan(2);
    for (const g of groups) {
      const packet = multipleServicePacket(g.map((i) => readTagRequest(tag(i), 1)));
      expect(encodeRequestBytes(packet).length).toBeLessThanOrEqual(504);
    }
  });

  test("a request that cannot be packed goes alone, after the group before it", () => {
    const packer = new Packer<number>({ request: 504, reply: 504 });
    expect(packer.add(item(0))).toEqual([]);
    expect(packer.add(item(1))).toEqual([]);
    expect(packer.add({ item: 2, requestSize: 8, replySize: undefined })).toEqual([[0, 1], [2]]);
    expect(packer.add(item(3, 1000))).toEqual([[3]]);
    expect(packer.pending).toBe(0);
    expect(packer.flush()).toEqual([]);
  });

  test("maxServices bounds the requests of one packet", () => {
    const packer = new Packer<number>({ request: 100000, reply: 100000 }, 3);
    const groups: number[][] = [];
    for (let i = 0; i < 7; i++) groups.push(...packer.add(item(i)));
    groups.push(...packer.flush());
    expect(groups).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
  });

  test("property: every item once, in order; every packet within both budgets", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 100, max: 4002 }),
        fc.array(
          fc.record({
            requestSize: fc.integer({ min: 6, max: 600 }),
            replySize: fc.option(fc.integer({ min: 4, max: 600 }), { nil: undefined }),
          }),
          { maxLength: 200 },
        ),
        (budget, sizes) => {
          const packer = new Packer<number>({ request: budget, reply: budget });
          const items = sizes.map((s, i) => ({ item: i, ...s }));
          const groups: number[][] = [];
          for (const it of items) groups.push(...packer.add(it));
          groups.push(...packer.flush());
          expect(groups.flat()).toEqual(items.map((it) => it.item));
          for (const g of groups) {
            if (g.length === 1) continue;
            const members = g.map((i) => items[i] as (typeof items)[number]);
            const request = 8 + members.reduce((n, m) => n + 2 + m.requestSize, 0);
            const reply = 6 + members.reduce((n, m) => n + 2 + (m.replySize as number), 0);
            expect(request).toBeLessThanOrEqual(budget);
            expect(reply).toBeLessThanOrEqual(budget);
            for (const m of members) expect(m.replySize).toBeDefined();
          }
        },
      ),
    );
  });
});

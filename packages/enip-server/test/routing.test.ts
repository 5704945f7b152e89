import { createServer, type Server } from "node:net";
import { type CipReply, type EPath, unconnectedSend } from "@cpppo/cip-codec";
import fc from "fast-check";
import { InvalidArgumentError } from "../src/core/errors.js";
import { findRoute, parseRouteTable, RouteForwarder } from "../src/transport/forward.js";
import { ints, readTag, tagValues, writeInts } from "./support/server-client.js";
import { useServers } from "./support/servers.js";

const { start, client } = useServers({ udp: false });

const routed = (route: EPath, ticks?: { priorityTimeTick: number; timeoutTicks: number }) =>
  unconnectedSend(readTag("SCADA", 0), route, ticks);

function refused(reply: CipReply, extended: number, words: number): void {
  expect(reply).toEqual({
    kind: "unconnectedSend",
    service: 0xd2,
    generalStatus: 0x01,
    extStatus: [extended],
    remainingPathWords: words,
  });
}

describe("parseRouteTable", () => {
  test("reads cpppo's [UCMM] Route form, expanding link ranges", () => {
    const table = parseRouteTable(
      '{"1/1-15": "localhost:44819", "2/1.2.3.4": "192.168.0.4:44818", "1/0x10": "h"}',
    );
    expect(table).toHaveLength(17);
    expect(table[0]).toEqual({ port: 1, link: 1, host: "localhost", tcpPort: 44819 });
    expect(table[14]).toEqual({ port: 1, link: 15, host: "localhost", tcpPort: 44819 });
    expect(table[15]).toEqual({ port: 2, link: "1.2.3.4", host: "192.168.0.4", tcpPort: 44818 });
    expect(table[16]).toEqual({ port: 1, link: 16, host: "h", tcpPort: 44818 });
    expect(findRoute(table, [{ port: 1, link: 7 }])?.tcpPort).toBe(44819);
    expect(
      findRoute(table, [
        { port: 2, link: "1.2.3.4" },
        { port: 1, link: 0 },
      ])?.host,
    ).toBe("192.168.0.4");
    expect(findRoute(table, [{ port: 1, link: 0 }])).toBeUndefined();
    expect(findRoute(table, [])).toBeUndefined();
  });

  test("a range a-b expands to one route per link, in order", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 14 }),
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 255 }),
        (port, x, y) => {
          const [lo, hi] = x <= y ? [x, y] : [y, x];
          const table = parseRouteTable({ [`${port}/${lo}-${hi}`]: "10.0.0.1:2222" });
          expect(table.map((r) => r.link)).toEqual(Array.from({ length: hi - lo + 1 }, (_, i) => lo + i));
          expect(table.every((r) => r.port === port && r.host === "10.0.0.1" && r.tcpPort === 2222)).toBe(
            true,
          );
          expect(findRoute(table, [{ port, link: hi }])).toBeDefined();
          expect(findRoute(table, [{ port: port + 1, link: lo }])).toBeUndefined();
        },
      ),
    );
  });

  test("rejects what it cannot read with InvalidArgumentError", () => {
    for (const bad of [
      "not json",
      "[]",
      '{"1": "h"}',
      '{"x/1": "h"}',
      '{"1/5-2": "h"}',
      '{"1/300": "h"}',
      '{"1/1": ""}',
      '{"1/1": "h:0"}',
      '{"1/1": 7}',
    ])
      expect(() => parseRouteTable(bad)).toThrow(InvalidArgumentError);
  });
});

describe("route path acceptance", () => {
  test("undefined accepts any route path, and un-routed requests", async () => {
    const { port } = await start();
    const c = await client(port);
    for (const route of [
      [],
      [{ port: 1, link: 0 }],
      [{ port: 1, link: 5 }],
      [
        { port: 2, link: "10.0.0.1" },
        { port: 1, link: 0 },
      ],
    ] as EPath[])
      expect(await c.request(routed(route))).toMatchObject({ kind: "readTag", generalStatus: 0 });
    expect((await c.request(readTag("SCADA"))).generalStatus).toBe(0);
  });

  test("false (-S) accepts only un-routed requests", async () => {
    const { port } = await start({ routePath: false });
    const c = await client(port);
    expect((await c.request(readTag("SCADA"))).generalStatus).toBe(0);
    expect((await c.request(routed([]))).generalStatus).toBe(0);
    refused(await c.request(routed([{ port: 1, link: 0 }])), 0x0311, 1);
    expect((await c.request(readTag("SCADA"))).generalStatus).toBe(0);
  });

  test("one segment accepts exactly that segment", async () => {
    const { port } = await start({ routePath: [{ port: 1, link: 0 }] });
    const c = await client(port);
    expect((await c.request(routed([{ port: 1, link: 0 }]))).generalStatus).toBe(0);
    expect((await c.request(readTag("SCADA"))).generalStatus).toBe(0);
    refused(await c.request(routed([{ port: 1, link: 1 }])), 0x0312, 1);
    refused(await c.request(routed([{ port: 2, link: 0 }])), 0x0311, 1);
    refused(
      await c.request(
        routed([
          { port: 1, link: 0 },
          { port: 2, link: "10.0.0.9" },
        ]),
      ),
      0x0312,
      6,
    );
    refused(await c.request(routed([])), 0x0311, 0);
  });

  test("an address link compares case-insensitively", async () => {
    const { port } = await start({ routePath: [{ port: 2, link: "fe80::a" }] });
    const c = await client(port);
    expect((await c.request(routed([{ port: 2, link: "FE80::A" }]))).generalStatus).toBe(0);
  });
});

describe("[UCMM] Route forwarding", () => {
  test("forwards to the routed target, keeping the remaining route segments", async () => {
    const target = await start();
    const { port } = await start({ routes: parseRouteTable({ "1/1-15": `127.0.0.1:${target.port}` }) });
    const c = await client(port);
    target.controller.tags.get("SCADA")?.setValues(0, [321, 654]);
    const reply = await c.request(unconnectedSend(readTag("SCADA", 0, 2), [{ port: 1, link: 3 }]));
    expect(ints(reply)).toEqual([321, 654]);
    // The last segment is consumed: the target got the request un-routed.
    expect(target.contexts).toHaveLength(1);
    const twoHops = await c.request(
      unconnectedSend(writeInts("SCADA", 5, [99]), [
        { port: 1, link: 4 },
        { port: 1, link: 0 },
      ]),
    );
    expect(twoHops).toMatchObject({ service: 0xcd, generalStatus: 0 });
    expect(tagValues(target.controller, "SCADA", 5, 1)).toEqual([99]);
    // A segment without a route runs here.
    const local = await c.request(routed([{ port: 1, link: 0 }]));
    expect(ints(local)).toEqual([0]);
    expect(target.contexts).toHaveLength(2);
    // Error replies of the target come back as they are.
    const missing = await c.request(unconnectedSend(readTag("NOPE"), [{ port: 1, link: 2 }]));
    expect(missing).toMatchObject({ service: 0xcc, generalStatus: 0x04, extStatus: [0] });
  });

  test("pipelined routed requests from two clients are all answered", async () => {
    const target = await start();
    const { port } = await start({ routes: parseRouteTable({ "1/1": `127.0.0.1:${target.port}` }) });
    const a = await client(port);
    const b = await client(port);
    const results = await Promise.all(
      [a, b].map(async (c, k) => {
        const out: number[] = [];
        for (let i = 0; i < 10; i++)
          out.push(
            (await c.request(unconnectedSend(writeInts("SCADA", k * 10 + i, [i]), [{ port: 1, link: 1 }])))
              .generalStatus,
          );
        return out;
      }),
    );
    expect(results.flat()).toEqual(new Array(20).fill(0));
    expect(tagValues(target.controller, "SCADA", 0, 20)).toEqual([
      ...Array.from({ length: 10 }, (_, i) => i),
      ...Array.from({ length: 10 }, (_, i) => i),
    ]);
  });

  test("an unreachable target or one that never answers gets 0x01/0x0204", async () => {
    const silent: Server = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const silentPort = (silent.address() as { port: number }).port;
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const closedPort = (closed.address() as { port: number }).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    try {
      const { port } = await start({
        routes: parseRouteTable({ "1/1": `127.0.0.1:${silentPort}`, "1/2": `127.0.0.1:${closedPort}` }),
      });
      const c = await client(port);
      const began = Date.now();
      // Tick 2^0 = 1 ms, 80 ticks: the forward gives up after 80 ms.
      refused(
        await c.request(routed([{ port: 1, link: 1 }], { priorityTimeTick: 0, timeoutTicks: 80 })),
        0x0204,
        1,
      );
      expect(Date.now() - began).toBeGreaterThanOrEqual(70);
      refused(await c.request(routed([{ port: 1, link: 2 }])), 0x0204, 1);
      expect((await c.request(readTag("SCADA"))).generalStatus).toBe(0);
    } finally {
      silent.close();
    }
  });

  test("RouteForwarder reconnects after the target restarts", async () => {
    const first = await start();
    const forwarder = new RouteForwarder();
    try {
      const reply = await forwarder.forward("127.0.0.1", first.port, readTag("SCADA"), 1000);
      expect(reply).toMatchObject({ kind: "generic", service: 0xcc, generalStatus: 0 });
      await first.server.close();
      await expect(forwarder.forward("127.0.0.1", first.port, readTag("SCADA"), 1000)).rejects.toMatchObject({
        code: expect.stringMatching(/^ERR_ENIP_/),
      });
      const again = await start({ port: first.port });
      again.controller.tags.get("SCADA")?.setValues(0, [5]);
      const after = await forwarder.forward("127.0.0.1", first.port, readTag("SCADA"), 1000);
      // A generic reply keeps the Read Tag body as bytes: type INT (0xC3), then the value.
      expect(Array.from(after.data)).toEqual([0xc3, 0, 5, 0]);
    } finally {
      forwarder.close();
    }
  });
});

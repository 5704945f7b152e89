import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { connect } from "node:net";
import { networkInterfaces } from "node:os";
import { encodeResponsePdu, encodeTcpAdu } from "@cpppo/modbus-codec";
import { type ConnectionEvent, ModbusServer, ModbusStore, parseRegisterRanges } from "../src/index.js";
import { bytes, hex, RawClient } from "./support/client.js";

const ranges = parseRegisterRanges(["40001-40100=7"]);
const READ1 = bytes("03 0000 0001");

/** True when the machine has a loopback IPv6 address. */
const hasIpv6 = Object.values(networkInterfaces()).some((list) =>
  (list ?? []).some((i) => i.family === "IPv6" && i.internal),
);

async function withServer(
  options: ConstructorParameters<typeof ModbusServer>[0],
  run: (server: ModbusServer, port: number) => Promise<void>,
  host = "127.0.0.1",
): Promise<void> {
  const server = new ModbusServer({ store: ModbusStore.fromRanges(ranges), ...options });
  const listener = await server.listenTcp({ host, port: 0 });
  try {
    await run(server, listener.port);
  } finally {
    await server.close({ deadlineMs: 500 });
  }
}

it("listenTcp binds port 0 on IPv4 and reports the address", async () => {
  await withServer({}, async (server, port) => {
    expect(port).toBeGreaterThan(0);
    const c = await RawClient.connect(port);
    expect(hex(await c.call(READ1))).toBe("03020007");
    // A table the store never defined.
    expect(hex(await c.call(bytes("04 0000 0001")))).toBe("8402");
    expect(server.connectionCount).toBe(1);
    c.close();
  });
});

(hasIpv6 ? it : it.skip)("listenTcp serves IPv6 (::1)", async () => {
  const server = new ModbusServer({ store: ModbusStore.fromRanges(ranges) });
  const listener = await server.listenTcp({ host: "::1", port: 0 });
  try {
    expect(listener.family).toBe("IPv6");
    expect(listener.host).toBe("::1");
    const c = await RawClient.connect(listener.port, "::1");
    expect(hex(await c.call(READ1))).toBe("03020007");
    c.close();
  } finally {
    await server.close();
  }
});

it("the hook-free FC3/FC4 path answers the codec's bytes, and exception 02 for undefined addresses", async () => {
  const values = Array.from({ length: 125 }, (_, i) => (i * 523) & 0xffff);
  const store = new ModbusStore();
  store.define("holdingRegisters", 1000, values);
  store.define("inputRegisters", 7, values.slice(0, 3));
  const server = new ModbusServer({ store });
  const listener = await server.listenTcp({ host: "127.0.0.1", port: 0 });
  const c = await RawClient.connect(listener.port);
  try {
    expect(hex(await c.call({ fc: 3, address: 1000, quantity: 125 }))).toBe(
      hex(encodeResponsePdu({ fc: 3, registers: values })),
    );
    expect(hex(await c.call({ fc: 4, address: 8, quantity: 2 }))).toBe(
      hex(encodeResponsePdu({ fc: 4, registers: values.slice(1, 3) })),
    );
    expect(hex(await c.call({ fc: 4, address: 8, quantity: 3 }))).toBe("8402");
    expect(hex(await c.call({ fc: 3, address: 0, quantity: 1 }))).toBe("8302");
    expect(hex(await c.call({ fc: 4, address: 999, quantity: 1 }))).toBe("8402");
  } finally {
    c.close();
    await server.close();
  }
});

(hasIpv6 ? it : it.skip)("listenTcp on :: serves IPv4 and IPv6 clients alike (dual stack)", async () => {
  const server = new ModbusServer({ store: ModbusStore.fromRanges(ranges) });
  const listener = await server.listenTcp({ host: "::", port: 0 });
  try {
    for (const host of ["127.0.0.1", "::1"]) {
      const c = await RawClient.connect(listener.port, host);
      expect(hex(await c.call(READ1))).toBe("03020007");
      c.close();
    }
  } finally {
    await server.close();
  }
});

it("publishes each connection's open and close on cpppo:modbus:connection", async () => {
  const events: ConnectionEvent[] = [];
  const onEvent = (message: unknown): void => void events.push(message as ConnectionEvent);
  let peer = "";
  // Only this test's connection counts: another test's may still be closing.
  const mine = (): ConnectionEvent[] => events.filter((e) => e.peer === peer);
  subscribe("cpppo:modbus:connection", onEvent);
  try {
    await withServer({}, async (_server, port) => {
      const c = await RawClient.connect(port);
      peer = `127.0.0.1:${c.socket.localPort}`;
      expect(hex(await c.call(READ1))).toBe("03020007");
      c.close();
      const deadline = Date.now() + 5000;
      while (mine().length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    });
  } finally {
    unsubscribe("cpppo:modbus:connection", onEvent);
  }
  expect(mine()).toEqual([
    { event: "open", peer },
    { event: "close", peer },
  ]);
});

it("answers pipelined requests in order, split at every byte", async () => {
  await withServer({}, async (_server, port) => {
    const c = await RawClient.connect(port);
    const adus: Uint8Array[] = [];
    for (let i = 0; i < 50; i++)
      adus.push(encodeTcpAdu(i, 1, bytes(`03 00${(i % 100).toString(16).padStart(2, "0")} 0001`)));
    const stream = Buffer.concat(adus);
    // One write, then byte by byte.
    c.send(stream);
    for (let i = 0; i < 50; i++) expect((await c.next())?.transactionId).toBe(i);
    for (const b of stream.subarray(0, 60)) {
      c.send(Uint8Array.of(b));
      await new Promise((r) => setImmediate(r));
    }
    for (let i = 0; i < 5; i++) expect((await c.next())?.transactionId).toBe(i);
    c.close();
  });
});

it.each([
  ["a protocol id other than 0", "0001 0001 0006 01 03 0000 0001"],
  ["an MBAP length of 1", "0001 0000 0001 01"],
  ["an MBAP length of 255", "0001 0000 00ff 01 03 0000 0001"],
  ["an MBAP length of 65535", "0001 0000 ffff 01 03"],
])("closes the connection on %s, after answering what came before", async (_what, garbage) => {
  await withServer({}, async (server, port) => {
    const c = await RawClient.connect(port);
    c.send(Buffer.concat([encodeTcpAdu(7, 1, READ1), bytes(garbage)]));
    const reply = await c.next();
    expect(reply?.transactionId).toBe(7);
    expect(await c.next()).toBeUndefined();
    await c.closed;
    // The server is still up.
    const d = await RawClient.connect(port);
    expect(hex(await d.call(READ1))).toBe("03020007");
    d.close();
    expect(server.connectionCount).toBeLessThanOrEqual(1);
  });
});

it("answers a lone whole request, a split one and two in a chunk in order, whichever path each takes", async () => {
  await withServer({}, async (_server, port) => {
    const c = await RawClient.connect(port);
    const adu = (id: number, register: number): Buffer =>
      Buffer.from(encodeTcpAdu(id, 1, bytes(`03 00${register.toString(16).padStart(2, "0")} 0001`)));
    // A lone request in its own chunk (the usual lock-step case), then an unknown function code alone.
    c.send(adu(1, 0));
    expect((await c.next())?.transactionId).toBe(1);
    c.send(encodeTcpAdu(2, 1, bytes("55 0000")));
    const unknown = await c.next();
    expect(unknown?.transactionId).toBe(2);
    expect(hex(unknown?.pdu ?? new Uint8Array(0))).toBe("d501");
    // A partial frame held, then its rest with a whole request in one chunk, then a lone request again.
    const split = adu(3, 1);
    c.send(split.subarray(0, 5));
    await new Promise((r) => setTimeout(r, 50));
    c.send(Buffer.concat([split.subarray(5), adu(4, 2)]));
    c.send(adu(5, 3));
    for (const id of [3, 4, 5]) expect((await c.next())?.transactionId).toBe(id);
    c.close();
  });
});

it("an FC3/FC4 reply carries the request's transaction id and unit id, and the codec's bytes", async () => {
  await withServer({}, async (_server, port) => {
    const c = await RawClient.connect(port);
    for (const [unit, tid] of [
      [0, 0xfffe],
      [17, 0x1234],
      [255, 1],
    ] as const) {
      c.sendPdu(bytes("03 0000 0064"), unit, tid);
      const reply = await c.next();
      expect(reply?.transactionId).toBe(tid);
      expect(reply?.unitId).toBe(unit);
      expect(hex(reply?.pdu ?? new Uint8Array(0))).toBe(
        hex(encodeResponsePdu({ fc: 3, registers: new Array(100).fill(7) })),
      );
    }
    // One register past the defined ones, a quantity of 0 and one of 126: exceptions 02, 03, 03, same ids.
    for (const [pdu, answer] of [
      ["03 0000 0065", "8302"],
      ["03 0000 0000", "8303"],
      ["03 0000 007e", "8303"],
    ] as const) {
      c.sendPdu(bytes(pdu), 9, 77);
      const reply = await c.next();
      expect([reply?.transactionId, reply?.unitId, hex(reply?.pdu ?? new Uint8Array(0))]).toEqual([
        77,
        9,
        answer,
      ]);
    }
    c.close();
  });
});

it.each([
  ["a protocol id other than 0", "0001 0001 0006 01 03 0000 0001"],
  ["an MBAP length of 1", "0001 0000 0001 01"],
  ["an MBAP length of 255", "0001 0000 00ff 01 03 0000 0001"],
  ["an MBAP length of 256 that matches nothing", "0001 0000 0100 01 03 0000 0001"],
])(
  "closes the connection on a chunk of %s alone, after answering the request before it",
  async (_what, garbage) => {
    await withServer({}, async (_server, port) => {
      const c = await RawClient.connect(port);
      expect(hex(await c.call(READ1))).toBe("03020007");
      c.send(bytes(garbage));
      expect(await c.next()).toBeUndefined();
      await c.closed;
    });
  },
);

it("sets TCP_NODELAY-friendly replies: one write per reply, no Nagle wait (a lock-step loop runs fast)", async () => {
  await withServer({}, async (_server, port) => {
    const c = await RawClient.connect(port);
    const started = Date.now();
    for (let i = 0; i < 200; i++) await c.call(READ1);
    // With Nagle and delayed ACKs, 200 lock-step requests take > 8 s (40 ms each); without, well under it.
    expect(Date.now() - started).toBeLessThan(8000);
    c.close();
  });
});

it("closes an idle connection after idleTimeout", async () => {
  await withServer({ idleTimeout: 0.2 }, async (_server, port) => {
    const c = await RawClient.connect(port);
    expect(hex(await c.call(READ1))).toBe("03020007");
    await c.closed;
    expect(c.ended).toBe(true);
  });
});

it("destroys a connection stuck in a partial frame after partialFrameTimeout", async () => {
  await withServer({ partialFrameTimeout: 0.2, idleTimeout: 0 }, async (_server, port) => {
    const c = await RawClient.connect(port);
    c.send(bytes("0001 0000 0006 01 03"));
    await c.closed;
    expect(c.ended).toBe(true);
  });
});

it("caps connections: at the cap an idle connection is evicted for a new one", async () => {
  await withServer({ maxConnections: 2 }, async (server, port) => {
    const a = await RawClient.connect(port);
    const b = await RawClient.connect(port);
    expect(hex(await b.call(READ1))).toBe("03020007");
    const c = await RawClient.connect(port);
    expect(hex(await c.call(READ1))).toBe("03020007");
    await a.closed;
    expect(server.connectionCount).toBe(2);
    b.close();
    c.close();
  });
});

it("bounds buffering: requests not yet answered past maxBufferedBytes close the connection holding the most", async () => {
  await withServer(
    { maxBufferedBytes: 2000, maxPendingRequests: 1000, evil: { mode: "delay", minS: 5, maxS: 5 } },
    async (_server, port) => {
      const c = await RawClient.connect(port);
      const adus: Uint8Array[] = [];
      for (let i = 0; i < 400; i++) adus.push(encodeTcpAdu(i, 1, READ1));
      c.send(Buffer.concat(adus));
      await c.closed;
      expect(c.ended).toBe(true);
    },
  );
});

it("stops reading a connection with maxPendingRequests unanswered, and resumes", async () => {
  await withServer(
    { maxPendingRequests: 2, evil: { mode: "delay", minS: 0.05, maxS: 0.05 } },
    async (_s, port) => {
      const c = await RawClient.connect(port);
      const adus: Uint8Array[] = [];
      for (let i = 0; i < 10; i++) adus.push(encodeTcpAdu(i, 1, READ1));
      c.send(Buffer.concat(adus));
      for (let i = 0; i < 10; i++) expect((await c.next())?.transactionId).toBe(i);
      c.close();
    },
  );
});

it("close() sends the replies in flight, then closes", async () => {
  const server = new ModbusServer({
    store: ModbusStore.fromRanges(ranges),
    evil: { mode: "delay", minS: 0.2, maxS: 0.2 },
  });
  const listener = await server.listenTcp({ host: "127.0.0.1", port: 0 });
  const c = await RawClient.connect(listener.port);
  c.send(Buffer.concat([encodeTcpAdu(1, 1, READ1), encodeTcpAdu(2, 1, READ1)]));
  await new Promise((r) => setTimeout(r, 50));
  const closed = server.close({ deadlineMs: 5000 });
  expect((await c.next())?.transactionId).toBe(1);
  expect((await c.next())?.transactionId).toBe(2);
  await c.closed;
  await closed;
  // No new connection is accepted once closed.
  await expect(RawClient.connect(listener.port)).rejects.toThrow();
});

it("close() destroys connections still open at the deadline", async () => {
  const server = new ModbusServer({
    store: ModbusStore.fromRanges(ranges),
    evil: { mode: "delay", minS: 30, maxS: 30 },
  });
  const listener = await server.listenTcp({ host: "127.0.0.1", port: 0 });
  const c = await RawClient.connect(listener.port);
  c.send(encodeTcpAdu(1, 1, READ1));
  await new Promise((r) => setTimeout(r, 50));
  const started = Date.now();
  await server.close({ deadlineMs: 200 });
  await c.closed;
  expect(Date.now() - started).toBeLessThan(5000);
});

it("a listener's signal closes it", async () => {
  const server = new ModbusServer({ store: ModbusStore.fromRanges(ranges) });
  const abort = new AbortController();
  const listener = await server.listenTcp({ host: "127.0.0.1", port: 0, signal: abort.signal });
  abort.abort();
  await listener.close();
  await expect(
    new Promise((resolve, reject) => {
      const s = connect({ port: listener.port, host: "127.0.0.1" }, () => resolve(s.destroy()));
      s.once("error", reject);
    }),
  ).rejects.toThrow();
  await server.close();
});

it("refuses bad options", () => {
  expect(() => new ModbusServer({ maxConnections: 0 })).toThrow('"maxConnections"');
  expect(() => new ModbusServer({ evil: { mode: "delay", minS: 2, maxS: 1 } })).toThrow("minS");
  expect(() => new ModbusServer({ evil: { mode: "corrupt", field: "crc" as "unit" } })).toThrow(
    '"evil.field"',
  );
  expect(() => new ModbusServer({ idleTimeout: -1 })).toThrow('"idleTimeout"');
});

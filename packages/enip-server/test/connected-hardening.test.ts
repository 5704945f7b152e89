/**
 * Connected messaging like a controller (issue 10, item 7): a class 3 connection's watchdog (O→T RPI × the
 * timeout multiplier), the server-wide cap on class 3 connections, and SendUnitData on an unknown connection id
 * dropped without closing the TCP connection. Real servers on loopback port 0, raw frames.
 */
import {
  type CipReply,
  decodeEnipMessage,
  encodeSendRRData,
  encodeSendUnitData,
  type ForwardOpenReply,
  forwardCloseRequest,
  forwardOpenRequest,
} from "@cpppo/cip-codec";
import {
  context,
  ints,
  readTag,
  sleep,
  type TestClient,
  withDeadline,
  writeInts,
} from "./support/server-client.js";
import { useServers } from "./support/servers.js";

const { start, client } = useServers();
const triple = { connectionSerial: 0x1234, originatorVendor: 0x1337, originatorSerial: 0xcafe };

/** Opens a class 3 connection and returns its O→T id (the one SendUnitData carries). */
async function open(c: TestClient, options: Parameters<typeof forwardOpenRequest>[0]): Promise<number> {
  const reply = await c.request(forwardOpenRequest(options));
  expect(reply).toMatchObject({ kind: "forwardOpen", generalStatus: 0 });
  return (reply as ForwardOpenReply).otConnectionId;
}

/**
 * Sends a SendUnitData on `connectionId`, then an unconnected Read Tag: replies come in order, so when the first
 * reply is the unconnected one, the connected request got none. Returns whether it got one.
 */
async function connectedAnswered(c: TestClient, connectionId: number, sequence: number): Promise<boolean> {
  const read = readTag("SCADA", 2);
  c.send(encodeSendUnitData({ session: c.session, connectionId, sequence, message: readTag("SCADA", 1) }));
  c.send(encodeSendRRData({ session: c.session, senderContext: context(9), timeout: 5, message: read }));
  let reply = await c.next();
  const answered = reply.header.command === 0x0070;
  if (answered) reply = decodeEnipMessage(await c.nextFrame(), { hint: { request: read } });
  expect(reply.header.command).toBe(0x006f);
  expect(ints(reply.cip as CipReply)).toEqual([202]);
  return answered;
}

async function seed(c: TestClient): Promise<void> {
  await c.request(writeInts("SCADA", 1, [101, 202]));
}

describe("EnipServer: class 3 connections like a controller", () => {
  test("SendUnitData on an unknown connection id gets no reply and the TCP connection stays open", async () => {
    const { port, server } = await start();
    const c = await client(port);
    await seed(c);
    expect(await connectedAnswered(c, 0x12345678, 1)).toBe(false);
    expect(c.pending).toBe(0);
    expect(server.connections()).toHaveLength(1);
    // Still a working connection: a good unconnected request gets its reply.
    expect(ints(await c.request(readTag("SCADA", 1)))).toEqual([101]);
  });

  test("a silent connection is dropped after RPI × multiplier; its id then gets no reply, the TCP stays open", async () => {
    const { port } = await start({ maxCipConnections: 1 });
    const c = await client(port);
    await seed(c);
    // 10 ms RPI, multiplier code 0 (× 4): the watchdog is 40 ms.
    const id = await open(c, { ...triple, rpiUs: 10_000, timeoutMultiplier: 0 });
    const reply = await c.connected(id, 1, readTag("SCADA", 1));
    expect(ints(reply.cip as CipReply)).toEqual([101]);
    // The watchdog is due long before this sleep ends (timers in one process fire in due order).
    await sleep(300);
    expect(await connectedAnswered(c, id, 2)).toBe(false);
    expect(c.pending).toBe(0);
    // It is gone as after a Forward Close: closing it again fails, and it no longer counts against the cap.
    const close = await c.request(forwardCloseRequest(triple));
    expect(close).toMatchObject({ kind: "forwardCloseFailure", generalStatus: 0x01, extStatus: [0x0107] });
    const again = await open(c, { ...triple, connectionSerial: 2 });
    expect(ints((await c.connected(again, 1, readTag("SCADA", 2))).cip as CipReply)).toEqual([202]);
  });

  test("a connection that keeps sending is never timed out", async () => {
    const { port } = await start();
    const c = await client(port);
    await seed(c);
    // 100 ms RPI, multiplier code 1 (× 8): the watchdog is 800 ms; traffic every ~50 ms for 2.5 watchdogs.
    const id = await open(c, { ...triple, rpiUs: 100_000, timeoutMultiplier: 1 });
    const began = Date.now();
    let sequence = 0;
    while (Date.now() - began < 2000) {
      sequence++;
      const reply = await c.connected(id, sequence, readTag("SCADA", 1));
      expect(reply.header.command).toBe(0x0070);
      expect(ints(reply.cip as CipReply)).toEqual([101]);
      await sleep(50);
    }
    expect(sequence).toBeGreaterThan(5);
    expect(await connectedAnswered(c, id, sequence + 1)).toBe(true);
  });

  test("a slow reply does not time the connection out: the request pipelined behind it is answered", async () => {
    const { port, server } = await start();
    const c = await client(port);
    await seed(c);
    // 50 ms RPI × 4: the watchdog is 200 ms; each reply then takes 1 s.
    const id = await open(c, { ...triple, rpiUs: 50_000, timeoutMultiplier: 0 });
    server.delay.value = 1;
    c.send(
      encodeSendUnitData({ session: c.session, connectionId: id, sequence: 1, message: readTag("SCADA", 1) }),
    );
    c.send(
      encodeSendUnitData({ session: c.session, connectionId: id, sequence: 2, message: readTag("SCADA", 2) }),
    );
    const first = await c.next(5000);
    expect(first.body).toMatchObject({ command: "sendUnitData" });
    expect(ints(first.cip as CipReply)).toEqual([101]);
    const second = await c.next(5000);
    expect(ints(second.cip as CipReply)).toEqual([202]);
  });

  test("with maxCipConnections 2 the third Forward Open gets 0x01/0x0113 and the first two still work", async () => {
    const { port, server } = await start({ maxCipConnections: 2 });
    const a = await client(port);
    const b = await client(port);
    await seed(a);
    const first = await open(a, triple);
    const second = await open(b, { ...triple, connectionSerial: 2 });
    // The cap is server-wide: b holds one connection, yet its second is refused.
    const third = await b.request(forwardOpenRequest({ ...triple, connectionSerial: 3 }));
    expect(third).toMatchObject({
      kind: "forwardOpenFailure",
      service: 0xd4,
      generalStatus: 0x01,
      extStatus: [0x0113],
      connectionSerial: 3,
    });
    expect(ints((await a.connected(first, 1, readTag("SCADA", 1))).cip as CipReply)).toEqual([101]);
    expect(ints((await b.connected(second, 1, readTag("SCADA", 2))).cip as CipReply)).toEqual([202]);
    // A Forward Close makes room.
    expect(await b.request(forwardCloseRequest({ ...triple, connectionSerial: 2 }))).toMatchObject({
      kind: "forwardClose",
      generalStatus: 0,
    });
    await open(b, { ...triple, connectionSerial: 4 });
    // So does the end of a TCP connection, which takes its class 3 connections with it.
    a.close();
    await withDeadline(
      (async () => {
        while (server.connections().length > 1) await sleep(5);
      })(),
      "the first TCP connection to close",
    );
    await open(b, { ...triple, connectionSerial: 5 });
  });

  test("a Forward Open with an O→T RPI of 0 (a watchdog of 0) gets 0x01/0x0112", async () => {
    const { port } = await start();
    const c = await client(port);
    const reply = await c.request(forwardOpenRequest({ ...triple, rpiUs: 0 }));
    expect(reply).toMatchObject({ kind: "forwardOpenFailure", generalStatus: 0x01, extStatus: [0x0112] });
  });

  test("maxCipConnections is checked", async () => {
    await expect(start({ maxCipConnections: -1 })).rejects.toThrow(/maxCipConnections/);
  });
});

import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { connect } from "node:net";
import {
  type CipReply,
  decodeEnipMessage,
  EncapsulationStatus,
  encodeEncapsulation,
  encodeSendRRData,
  type ForwardOpenReply,
  forwardCloseRequest,
  forwardOpenRequest,
  type ListIdentityItem,
} from "@cpppo/cip-codec";
import fc from "fast-check";
import type { RequestEvent, SessionEvent } from "../src/core/diagnostics.js";
import { InvalidArgumentError } from "../src/core/errors.js";
import { EnipServer, type ServerOptions } from "../src/server.js";
import {
  context,
  contextNumber,
  ints,
  makeController,
  readTag,
  sleep,
  TestClient,
  udpRoundTrip,
  withDeadline,
  writeInts,
} from "./support/server-client.js";
import { useServers } from "./support/servers.js";

const STATUS = EncapsulationStatus.codes;
const { start, client } = useServers();

/** A SendRRData whose CIP data item holds `data` as is. */
function rawRR(session: number, data: Uint8Array, n = 0): Uint8Array {
  return encodeEncapsulation({
    header: { session, senderContext: context(n) },
    body: {
      command: "sendRRData",
      interfaceHandle: 0,
      timeout: 5,
      cpf: [{ kind: "nullAddress" }, { kind: "unconnectedData", data }],
    },
  });
}

/** A frame of `command` with `data`, written by hand (24-byte header). */
function rawFrame(command: number, data: Uint8Array, session = 0, n = 0): Uint8Array {
  const frame = new Uint8Array(24 + data.length);
  const view = new DataView(frame.buffer);
  view.setUint16(0, command, true);
  view.setUint16(2, data.length, true);
  view.setUint32(4, session, true);
  frame.set(context(n), 12);
  frame.set(data, 24);
  return frame;
}

describe("EnipServer: sessions", () => {
  test("RegisterSession gives a non-zero handle and echoes the sender context", async () => {
    const { port } = await start();
    const c = await client(port, false);
    c.send(
      encodeEncapsulation({
        header: { senderContext: context(77) },
        body: { command: "registerSession", protocolVersion: 1, optionFlags: 0 },
      }),
    );
    const reply = await c.next();
    expect(reply.header.status).toBe(0);
    expect(reply.header.session).not.toBe(0);
    expect(contextNumber(reply)).toBe(77);
    expect(reply.body).toEqual({ command: "registerSession", protocolVersion: 1, optionFlags: 0 });
  });

  test("an unsupported protocol version gets 0x69 and a second RegisterSession gets 0x01", async () => {
    const { port } = await start();
    const c = await client(port, false);
    c.send(encodeEncapsulation({ body: { command: "registerSession", protocolVersion: 2, optionFlags: 0 } }));
    const refused = await c.next();
    expect(refused.header.status).toBe(STATUS.unsupportedProtocolRevision);
    // A reply with a non-zero status carries data the codec leaves raw: the version the server speaks.
    expect(refused.body).toEqual({ command: "raw", data: new Uint8Array([1, 0, 0, 0]) });
    const session = await c.register();
    c.send(encodeEncapsulation({ body: { command: "registerSession", protocolVersion: 1, optionFlags: 0 } }));
    const again = await c.next();
    expect(again.header.status).toBe(STATUS.invalidCommand);
    expect(again.header.session).toBe(session);
  });

  test("a wrong or missing session gets 0x64 and the connection keeps serving", async () => {
    const { port } = await start();
    const c = await client(port, false);
    c.send(encodeSendRRData({ session: 0, message: readTag("SCADA") }));
    expect((await c.next()).header.status).toBe(STATUS.invalidSessionHandle);
    const session = await c.register();
    c.send(encodeSendRRData({ session: (session + 1) >>> 0 || 1, message: readTag("SCADA") }));
    expect((await c.next()).header.status).toBe(STATUS.invalidSessionHandle);
    c.send(
      encodeEncapsulation({
        header: { session: (session ^ 1) >>> 0 },
        body: { command: "unRegisterSession" },
      }),
    );
    expect((await c.next()).header.status).toBe(STATUS.invalidSessionHandle);
    expect((await c.request(readTag("SCADA"))).generalStatus).toBe(0);
  });

  test("UnRegisterSession closes the connection without a reply", async () => {
    const { port, server } = await start();
    const c = await client(port);
    c.send(encodeEncapsulation({ header: { session: c.session }, body: { command: "unRegisterSession" } }));
    await c.waitClosed();
    expect(c.pending).toBe(0);
    await withDeadline(
      (async () => {
        while (server.connections().length > 0) await sleep(5);
      })(),
      "the connection to be forgotten",
    );
  });

  test("NOP gets no reply; unsupported commands get 0x0001", async () => {
    const { port } = await start();
    const c = await client(port);
    c.send(rawFrame(0x0000, new Uint8Array([1, 2, 3]), c.session, 1));
    c.send(rawFrame(0x0072, new Uint8Array(0), c.session, 2));
    c.send(rawFrame(0x1234, new Uint8Array([9]), c.session, 3));
    const indicate = await c.next();
    expect(indicate.header.command).toBe(0x0072);
    expect(indicate.header.status).toBe(STATUS.invalidCommand);
    expect(contextNumber(indicate)).toBe(2);
    const vendor = await c.next();
    expect(vendor.header.command).toBe(0x1234);
    expect(vendor.header.status).toBe(STATUS.invalidCommand);
    expect(contextNumber(vendor)).toBe(3);
  });
});

describe("EnipServer: unconnected messaging", () => {
  test("Write Tag then Read Tag through SendRRData, un-routed", async () => {
    const { port, contexts } = await start();
    const c = await client(port);
    expect((await c.request(writeInts("SCADA", 1, [11, -22, 33]))).generalStatus).toBe(0);
    const reply = await c.request(readTag("SCADA", 1, 3));
    expect(reply).toMatchObject({ kind: "readTag", generalStatus: 0, type: 0xc3 });
    expect(ints(reply)).toEqual([11, -22, 33]);
    expect(contexts.at(-1)).toEqual({ peer: `127.0.0.1:${c.socket.localPort}`, connected: false });
  });

  test("an unknown tag gets a CIP error reply and the session stays open", async () => {
    const { port } = await start();
    const c = await client(port);
    const reply = await c.request(readTag("NOPE"));
    expect(reply.generalStatus).toBe(0x04);
    expect((await c.request(readTag("SCADA"))).generalStatus).toBe(0);
  });

  test("malformed CIP gets a CIP error reply: 0x04 for a bad path, 0x13 for short data", async () => {
    const { port } = await start();
    const c = await client(port);
    c.send(rawRR(c.session, new Uint8Array([0x4c, 0x02, 0x91, 0x05, 0x41]), 1));
    const badPath = await c.next();
    expect(badPath.header.status).toBe(0);
    expect(badPath.cip).toMatchObject({ service: 0xcc, generalStatus: 0x04 });
    c.send(rawRR(c.session, new Uint8Array([0x4c, 0x01, 0x20, 0x02]), 2));
    const short = await c.next();
    expect(short.cip).toMatchObject({ service: 0xcc, generalStatus: 0x13 });
    c.send(rawRR(c.session, new Uint8Array(0), 3));
    expect((await c.next()).cip).toMatchObject({ service: 0x80, generalStatus: 0x13 });
    expect((await c.request(readTag("SCADA"))).generalStatus).toBe(0);
  });

  test("a SendRRData without the null address and unconnected data items gets 0x03", async () => {
    const { port } = await start();
    const c = await client(port);
    c.send(
      encodeEncapsulation({
        header: { session: c.session },
        body: { command: "sendRRData", interfaceHandle: 0, timeout: 0, cpf: [{ kind: "nullAddress" }] },
      }),
    );
    expect((await c.next()).header.status).toBe(STATUS.incorrectData);
    expect((await c.request(readTag("SCADA"))).generalStatus).toBe(0);
  });

  test("20 pipelined requests in one write are answered in order", async () => {
    const { port } = await start();
    const c = await client(port);
    await c.request(
      writeInts(
        "SCADA",
        0,
        Array.from({ length: 20 }, (_, i) => i * 3),
      ),
    );
    const frames = Array.from({ length: 20 }, (_, i) =>
      encodeSendRRData({ session: c.session, senderContext: context(i), message: readTag("SCADA", i) }),
    );
    c.send(Buffer.concat(frames));
    for (let i = 0; i < 20; i++) {
      const reply = await c.next();
      expect(contextNumber(reply)).toBe(i);
      expect(ints(reply.cip as CipReply)).toEqual([i * 3]);
    }
  });

  test("requests split byte by byte are reassembled", async () => {
    const { port } = await start();
    const c = await client(port, false);
    const register = encodeEncapsulation({
      body: { command: "registerSession", protocolVersion: 1, optionFlags: 0 },
    });
    for (const byte of register) {
      c.send(new Uint8Array([byte]));
      await sleep(1);
    }
    const session = (await c.next()).header.session;
    const read = encodeSendRRData({ session, senderContext: context(5), message: readTag("SCADA", 2) });
    for (const byte of read) {
      c.send(new Uint8Array([byte]));
      await new Promise((resolve) => setImmediate(resolve));
    }
    const reply = await c.next();
    expect(contextNumber(reply)).toBe(5);
    expect(reply.cip).toMatchObject({ kind: "readTag", generalStatus: 0 });
  });

  test("a pipeline cut at arbitrary points is answered in order", async () => {
    const { port } = await start();
    const c = await client(port);
    const stream = Buffer.concat(
      Array.from({ length: 4 }, (_, i) =>
        encodeSendRRData({ session: c.session, senderContext: context(i), message: readTag("SCADA", i) }),
      ),
    );
    let round = 100;
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 8 }),
        async (cuts) => {
          round += 4;
          const base = round;
          const copy = Buffer.from(stream);
          for (let i = 0; i < 4; i++) copy.set(context(base + i), i * (stream.length / 4) + 12);
          let at = 0;
          for (const cut of [...cuts.sort((a, b) => a - b), copy.length]) {
            c.send(copy.subarray(at, cut));
            at = cut;
            await new Promise((resolve) => setImmediate(resolve));
          }
          for (let i = 0; i < 4; i++) expect(contextNumber(await c.next())).toBe(base + i);
        },
      ),
      { numRuns: 40 },
    );
  });

  test("a small per-connection queue still answers a long pipeline in order", async () => {
    const { port } = await start({ maxPendingRequests: 2, delay: 0.002 });
    const c = await client(port);
    const n = 60;
    c.send(
      Buffer.concat(
        Array.from({ length: n }, (_, i) =>
          encodeSendRRData({ session: c.session, senderContext: context(i), message: readTag("SCADA", i) }),
        ),
      ),
    );
    for (let i = 0; i < n; i++) expect(contextNumber(await c.next())).toBe(i);
  });
});

describe("EnipServer: limits and garbage", () => {
  test("maxRequestSize answers larger requests with 0x65 and keeps the connection", async () => {
    const { port } = await start({ maxRequestSize: 100 });
    const c = await client(port);
    c.send(encodeSendRRData({ session: c.session, message: writeInts("SCADA", 0, new Array(50).fill(1)) }));
    expect((await c.next()).header.status).toBe(STATUS.invalidLength);
    expect((await c.request(writeInts("SCADA", 0, [1, 2]))).generalStatus).toBe(0);
  });

  test("a frame above maxFrameSize gets 0x65, then the connection closes; others keep working", async () => {
    const { port } = await start({ maxFrameSize: 600 });
    const other = await client(port);
    const c = await client(port);
    const header = rawFrame(0x006f, new Uint8Array(0), c.session, 9);
    new DataView(header.buffer).setUint16(2, 1000, true);
    c.send(header);
    const reply = await c.next();
    expect(reply.header.status).toBe(STATUS.invalidLength);
    expect(contextNumber(reply)).toBe(9);
    await c.waitClosed();
    expect((await other.request(readTag("SCADA"))).generalStatus).toBe(0);
  });

  test("a RegisterSession of the wrong length gets 0x65; a bad CPF gets 0x03", async () => {
    const { port } = await start();
    const c = await client(port);
    c.send(rawFrame(0x0065, new Uint8Array([1, 0, 0, 0, 0, 0])));
    expect((await c.next()).header.status).toBe(STATUS.invalidLength);
    c.send(rawFrame(0x006f, new Uint8Array([0, 0, 0, 0, 0, 0, 5, 0, 0xb2, 0x00, 0xff, 0x00]), c.session));
    expect((await c.next()).header.status).toBe(STATUS.incorrectData);
    c.send(rawFrame(0x006f, new Uint8Array(3), c.session));
    expect((await c.next()).header.status).toBe(STATUS.incorrectData);
    expect((await c.request(readTag("SCADA"))).generalStatus).toBe(0);
  });

  test("a request with a non-zero status field gets 0x03", async () => {
    const { port } = await start();
    const c = await client(port);
    const frame = encodeSendRRData({ session: c.session, message: readTag("SCADA") });
    new DataView(frame.buffer, frame.byteOffset).setUint32(8, 1, true);
    c.send(frame);
    expect((await c.next()).header.status).toBe(STATUS.incorrectData);
  });

  test("any frame gets a reply or a close, never a crash; another client keeps reading", async () => {
    const { port } = await start();
    const watcher = await client(port);
    const commands = [0x0000, 0x0001, 0x0004, 0x0063, 0x0064, 0x0065, 0x0066, 0x006f, 0x0070, 0x0072];
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.constantFrom(...commands), fc.integer({ min: 0, max: 0xffff })),
        fc.uint8Array({ maxLength: 80 }),
        fc.boolean(),
        async (command, data, useSession) => {
          const c = await TestClient.connect(port);
          try {
            const session = useSession ? await c.register() : 0;
            c.send(rawFrame(command, data, session));
            if (command === 0x0000) return;
            const answered = await Promise.race([
              c.nextFrame().then(() => true),
              c.waitClosed().then(() => true),
            ]).catch(() => false);
            expect(answered).toBe(true);
          } finally {
            c.close();
          }
        },
      ),
      { numRuns: 60 },
    );
    expect((await watcher.request(readTag("SCADA"))).generalStatus).toBe(0);
  }, 30000);

  test("random bytes on the stream never stop the server", async () => {
    const { port } = await start({ maxFrameSize: 2048 });
    const watcher = await client(port);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 400 }), async (bytes) => {
        const c = await TestClient.connect(port);
        c.send(bytes);
        await sleep(2);
        c.close();
      }),
      { numRuns: 80 },
    );
    expect((await watcher.request(readTag("SCADA"))).generalStatus).toBe(0);
  }, 30000);

  test("maxConnections closes connections beyond the limit", async () => {
    const { port } = await start({ maxConnections: 2 });
    await client(port);
    await client(port);
    const third = await client(port, false);
    await third.waitClosed();
  });

  test("idleTimeout closes a silent connection", async () => {
    const { port } = await start({ idleTimeout: 0.15 });
    const c = await client(port);
    const began = Date.now();
    await c.waitClosed();
    expect(Date.now() - began).toBeGreaterThanOrEqual(100);
  });

  test("invalid options throw InvalidArgumentError", async () => {
    const controller = makeController();
    const bad: Partial<ServerOptions>[] = [
      { port: -1 },
      { port: 70000 },
      { delay: -1 },
      { delay: { min: 2, max: 1 } },
      { tcp: false, udp: false },
      { maxFrameSize: 10 },
      { routePath: [{ class: 2 }] },
      {
        routePath: [
          { port: 1, link: 0 },
          { port: 2, link: 1 },
        ],
      },
      { idleTimeout: Number.NaN },
    ];
    for (const options of bad)
      await expect(
        EnipServer.start({ controller, host: "127.0.0.1", port: 0, ...options }),
      ).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(EnipServer.start({} as ServerOptions)).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});

describe("EnipServer: List commands", () => {
  test("ListIdentity over TCP reports the bound address and port", async () => {
    const { port } = await start();
    const c = await client(port, false);
    c.send(rawFrame(0x0063, new Uint8Array(0), 0, 4));
    const reply = await c.next();
    expect(contextNumber(reply)).toBe(4);
    expect(reply.body.command).toBe("listIdentity");
    const item = (reply.body as { cpf: ListIdentityItem[] }).cpf[0];
    expect(item).toMatchObject({
      kind: "listIdentity",
      protocolVersion: 1,
      socketAddress: { family: 2, port, address: "127.0.0.1" },
      vendorId: 1,
      deviceType: 14,
      productCode: 54,
      revisionMajor: 20,
      revisionMinor: 11,
      serialNumber: 0x006c061a,
      productName: "1756-L61/B LOGIX5561",
      state: 0xff,
    });
  });

  test("ListServices, ListInterfaces and legacy 0x0001 over TCP", async () => {
    const { port } = await start();
    const c = await client(port, false);
    c.send(rawFrame(0x0004, new Uint8Array(0)));
    expect((await c.next()).body).toEqual({
      command: "listServices",
      cpf: [{ kind: "listServices", version: 1, capabilityFlags: 0x20, name: "Communications" }],
    });
    c.send(rawFrame(0x0064, new Uint8Array(0)));
    expect((await c.next()).body).toEqual({ command: "listInterfaces", cpf: [] });
    c.send(rawFrame(0x0001, new Uint8Array(0)));
    expect((await c.next()).body).toMatchObject({
      command: "legacy",
      cpf: [{ kind: "legacyReply", socketAddress: { port, address: "127.0.0.1" }, ipString: "127.0.0.1" }],
    });
  });

  test("ListIdentity over UDP answers the sender with the bound UDP address", async () => {
    const { server } = await start();
    const udp = server.udpAddress;
    expect(udp?.port).toBe(server.tcpAddress?.port);
    const reply = decodeEnipMessage(
      await udpRoundTrip(udp?.port ?? 0, rawFrame(0x0063, new Uint8Array(0), 0, 6)),
    );
    expect(contextNumber(reply)).toBe(6);
    expect((reply.body as { cpf: ListIdentityItem[] }).cpf[0]).toMatchObject({
      socketAddress: { port: udp?.port, address: "127.0.0.1" },
      productName: "1756-L61/B LOGIX5561",
    });
    const services = decodeEnipMessage(
      await udpRoundTrip(udp?.port ?? 0, rawFrame(0x0004, new Uint8Array(0))),
    );
    expect(services.body.command).toBe("listServices");
    const register = await udpRoundTrip(
      udp?.port ?? 0,
      encodeEncapsulation({ body: { command: "registerSession", protocolVersion: 1, optionFlags: 0 } }),
    );
    expect(decodeEnipMessage(register).header.status).toBe(STATUS.invalidCommand);
  });

  test("UDP only and TCP only servers", async () => {
    const { server: udpOnly } = await start({ tcp: false });
    expect(udpOnly.tcpAddress).toBeUndefined();
    const port = udpOnly.udpAddress?.port ?? 0;
    expect(port).toBeGreaterThan(0);
    const reply = decodeEnipMessage(await udpRoundTrip(port, rawFrame(0x0063, new Uint8Array(0))));
    expect((reply.body as { cpf: ListIdentityItem[] }).cpf[0]?.socketAddress.port).toBe(port);
    const { server: tcpOnly } = await start({ udp: false });
    expect(tcpOnly.udpAddress).toBeUndefined();
    expect(tcpOnly.tcpAddress?.port).toBeGreaterThan(0);
  });
});

describe("EnipServer: connected messaging", () => {
  const triple = { connectionSerial: 0x1234, originatorVendor: 0x1337, originatorSerial: 0xcafe };

  test("Forward Open, a connected Read Tag over SendUnitData, Forward Close", async () => {
    const { port, contexts } = await start();
    const c = await client(port);
    const open = (await c.request(
      forwardOpenRequest({ ...triple, toConnectionId: 0xabcdef }),
    )) as ForwardOpenReply;
    expect(open).toMatchObject({
      kind: "forwardOpen",
      service: 0xd4,
      generalStatus: 0,
      toConnectionId: 0xabcdef,
      otApiUs: 2_000_000,
      toApiUs: 2_000_000,
      ...triple,
    });
    expect(open.otConnectionId).not.toBe(0);
    await c.request(writeInts("SCADA", 4, [404]));
    const reply = await c.connected(open.otConnectionId, 7, readTag("SCADA", 4));
    expect(reply.header.command).toBe(0x0070);
    expect(reply.header.session).toBe(c.session);
    const cpf = (reply.body as { cpf: unknown[] }).cpf;
    expect(cpf[0]).toEqual({ kind: "connectedAddress", connectionId: 0xabcdef });
    expect(cpf[1]).toMatchObject({ kind: "connectedData", sequence: 7 });
    expect(ints(reply.cip as CipReply)).toEqual([404]);
    // The reply limit is the T→O connection size less the 2-byte sequence count.
    expect(contexts.at(-1)).toMatchObject({ connected: true, replyLimit: 498 });
    const close = await c.request(forwardCloseRequest(triple));
    expect(close).toMatchObject({ kind: "forwardClose", generalStatus: 0, ...triple });
    const again = await c.request(forwardCloseRequest(triple));
    expect(again).toMatchObject({ kind: "forwardCloseFailure", generalStatus: 0x01, extStatus: [0x0107] });
    // The connection is gone: class 3 traffic on it is dropped, as a controller does, and the TCP stays open.
    c.send(
      (await import("@cpppo/cip-codec")).encodeSendUnitData({
        session: c.session,
        connectionId: open.otConnectionId,
        sequence: 8,
        message: readTag("SCADA"),
      }),
    );
    expect(ints(await c.request(readTag("SCADA", 4)))).toEqual([404]);
    expect(c.pending).toBe(0);
  });

  test("Large Forward Open up to 4002 bytes; larger sizes get 0x01/0x0109", async () => {
    const { port, contexts } = await start();
    const c = await client(port);
    const open = await c.request(forwardOpenRequest({ ...triple, size: 4002 }));
    expect(open).toMatchObject({ kind: "forwardOpen", service: 0xdb, generalStatus: 0 });
    const id = (open as ForwardOpenReply).otConnectionId;
    const reply = await c.connected(id, 1, readTag("SCADA", 0, 100));
    expect(ints(reply.cip as CipReply)).toHaveLength(100);
    expect(contexts.at(-1)).toMatchObject({ connected: true, replyLimit: 4000 });
    const big = await c.request(forwardOpenRequest({ ...triple, connectionSerial: 2, size: 5000 }));
    expect(big).toMatchObject({
      kind: "forwardOpenFailure",
      service: 0xdb,
      generalStatus: 0x01,
      extStatus: [0x0109],
    });
  });

  test("a small connection limits the reply: a long read comes back partial (0x06) within the size", async () => {
    const { port } = await start();
    const c = await client(port);
    const open = (await c.request(forwardOpenRequest({ ...triple, size: 100 }))) as ForwardOpenReply;
    const reply = await c.connected(open.otConnectionId, 1, readTag("SCADA", 0, 1000));
    expect(reply.cip).toMatchObject({ generalStatus: 0x06 });
    const data =
      (reply.body as { cpf: { kind: string; data?: Uint8Array }[] }).cpf[1]?.data ?? new Uint8Array(0);
    expect(2 + data.length).toBeLessThanOrEqual(100);
    const tooSmall = await c.request(forwardOpenRequest({ ...triple, connectionSerial: 3, size: 4 }));
    expect(tooSmall).toMatchObject({ kind: "forwardOpenFailure", extStatus: [0x0109] });
  });

  test("a duplicate Forward Open with other parameters gets 0x01/0x0100; the same one gets the same ids", async () => {
    const { port } = await start();
    const c = await client(port);
    const first = (await c.request(forwardOpenRequest(triple))) as ForwardOpenReply;
    const same = (await c.request(forwardOpenRequest(triple))) as ForwardOpenReply;
    expect(same.otConnectionId).toBe(first.otConnectionId);
    const other = await c.request(forwardOpenRequest({ ...triple, rpiUs: 1_000_000 }));
    expect(other).toMatchObject({
      kind: "forwardOpenFailure",
      generalStatus: 0x01,
      extStatus: [0x0100],
      ...triple,
    });
  });

  test("Forward Open refuses class 1 transports and targets other than the Message Router", async () => {
    const { port } = await start();
    const c = await client(port);
    const class1 = await c.request(forwardOpenRequest({ ...triple, transportClassTrigger: 0x01 }));
    expect(class1).toMatchObject({ kind: "forwardOpenFailure", extStatus: [0x0103] });
    const assembly = await c.request(
      forwardOpenRequest({
        ...triple,
        connectionPath: [{ port: 1, link: 0 }, { class: 4 }, { instance: 100 }],
      }),
    );
    expect(assembly).toMatchObject({ kind: "forwardOpenFailure", extStatus: [0x0315] });
  });

  test("connections belong to their TCP connection and are forgotten when it closes", async () => {
    const { port, server } = await start();
    const a = await client(port);
    const open = (await a.request(forwardOpenRequest(triple))) as ForwardOpenReply;
    const b = await client(port);
    b.send(
      (await import("@cpppo/cip-codec")).encodeSendUnitData({
        session: b.session,
        connectionId: open.otConnectionId,
        sequence: 1,
        message: readTag("SCADA"),
      }),
    );
    // Not b's connection: dropped without a reply (b stays open and answers its next request).
    expect(await b.request(forwardCloseRequest(triple))).toMatchObject({ kind: "forwardCloseFailure" });
    expect(b.pending).toBe(0);
    b.close();
    a.close();
    await withDeadline(
      (async () => {
        while (server.connections().length > 0) await sleep(5);
      })(),
      "connections to close",
    );
  });
});

describe("EnipServer: control", () => {
  test("delay holds each reply; a range re-draws the value", async () => {
    const { port, server } = await start({ delay: 0.2 });
    const c = await client(port);
    let began = Date.now();
    await c.request(readTag("SCADA"));
    expect(Date.now() - began).toBeGreaterThanOrEqual(180);
    server.delay.value = 0;
    began = Date.now();
    await c.request(readTag("SCADA"));
    expect(Date.now() - began).toBeLessThan(150);
    server.delay.range = { min: 0.01, max: 0.02 };
    expect(server.delay.value).toBeGreaterThanOrEqual(0.01);
    expect(server.delay.value).toBeLessThanOrEqual(0.02);
    expect(() => {
      server.delay.range = { min: 1, max: 0 };
    }).toThrow(InvalidArgumentError);
    server.delay.range = undefined;
  });

  test("connections() and endConnection(id)", async () => {
    const { port, server } = await start();
    const c = await client(port);
    await c.request(readTag("SCADA"));
    const [info] = server.connections();
    const localPort = c.socket.localPort ?? 0;
    expect(info).toEqual({
      id: `127_0_0_1_${localPort}`,
      peer: "127.0.0.1",
      port: localPort,
      received: expect.any(Number),
      requests: 2,
      processed: 2,
      eof: false,
      session: c.session,
    });
    expect(info?.session).not.toBe(0);
    expect(info?.received).toBeGreaterThan(24);
    expect(server.endConnection("10_0_0_1_1")).toBe(false);
    expect(server.endConnection(info?.id ?? "")).toBe(true);
    await c.waitClosed();
  });

  test("setDisabled(true) closes everything; setDisabled(false) reopens the same port", async () => {
    const { port, server } = await start();
    const c = await client(port);
    await server.setDisabled(true);
    expect(server.disabled).toBe(true);
    await c.waitClosed();
    await expect(
      withDeadline(
        new Promise((resolve, reject) => {
          const s = connect({ port, host: "127.0.0.1" });
          s.once("connect", () => {
            s.destroy();
            resolve("connected");
          });
          s.once("error", reject);
        }),
        "a refused connection",
      ),
    ).rejects.toMatchObject({ code: "ECONNREFUSED" });
    await server.setDisabled(false);
    expect(server.disabled).toBe(false);
    expect(server.tcpAddress?.port).toBe(port);
    const d = await client(port);
    expect((await d.request(readTag("SCADA"))).generalStatus).toBe(0);
  });

  test("close() answers the request in flight, then closes; it is idempotent", async () => {
    const { port, server } = await start({ delay: 0.3 });
    const c = await client(port);
    c.send(encodeSendRRData({ session: c.session, senderContext: context(42), message: readTag("SCADA") }));
    await sleep(30);
    const closing = server.close();
    expect(server.close()).toBe(closing);
    const reply = await c.next();
    expect(contextNumber(reply)).toBe(42);
    expect(reply.cip).toMatchObject({ generalStatus: 0 });
    await c.waitClosed();
    await withDeadline(closing, "close()");
    await withDeadline(server.closed, "closed");
    expect(server.tcpAddress).toBeUndefined();
  });

  test("aborting the signal closes the server; an aborted signal refuses to start", async () => {
    const abort = new AbortController();
    const { server } = await start({ signal: abort.signal });
    abort.abort();
    await withDeadline(server.closed, "the aborted server to close");
    const controller = makeController();
    await expect(
      EnipServer.start({
        controller,
        host: "127.0.0.1",
        port: 0,
        signal: AbortSignal.abort(new Error("stop")),
      }),
    ).rejects.toThrow("stop");
  });

  test("diagnostics channels report sessions and requests", async () => {
    const sessions: SessionEvent[] = [];
    const requests: RequestEvent[] = [];
    const onSession = (message: unknown): void => {
      sessions.push(message as SessionEvent);
    };
    const onRequest = (message: unknown): void => {
      requests.push(message as RequestEvent);
    };
    subscribe("cpppo:enip:session", onSession);
    subscribe("cpppo:enip:request", onRequest);
    try {
      const { port, server } = await start();
      const c = await client(port);
      await c.request(readTag("SCADA"));
      const id = `127_0_0_1_${c.socket.localPort}`;
      c.close();
      await withDeadline(
        (async () => {
          while (server.connections().length > 0) await sleep(5);
        })(),
        "the close event",
      );
      expect(sessions.filter((s) => s.id === id).map((s) => s.event)).toEqual(["open", "close"]);
      const mine = requests.filter((r) => r.id === id);
      expect(mine.map((r) => r.command)).toEqual([0x65, 0x6f]);
      expect(mine[1]?.reply?.length).toBeGreaterThan(24);
    } finally {
      unsubscribe("cpppo:enip:session", onSession);
      unsubscribe("cpppo:enip:request", onRequest);
    }
  });
});

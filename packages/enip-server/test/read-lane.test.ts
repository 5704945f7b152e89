/**
 * The read fast lane (src/transport/read-lane.ts) answers repeated Read Tag requests without decoding them. These
 * tests run two servers over the same tags: one with the lane, and a reference whose controller overrides
 * `execute` (which turns the lane off, so every request takes the general path). Every request goes to both,
 * three times each (the first teaches the lane, the next ones take it), plain, inside an Unconnected Send and over a
 * class 3 connection, and the reply frames must be byte for byte the same (session handles aside, which are
 * random). Between rounds the tags change (writes, a forced error, an onRead hook), which the lane must show.
 * Real servers on loopback port 0, raw frames.
 */
import { EventEmitter } from "node:events";
import type { Socket } from "node:net";
import {
  type CipRequest,
  decodeEnipMessage,
  type EPath,
  encodeEncapsulation,
  encodeSendRRData,
  encodeSendUnitData,
  type ForwardOpenReply,
  forwardOpenRequest,
  readTagFragmentedRequest,
  readTagRequest,
  unconnectedSend,
} from "@cpppo/cip-codec";
import { Controller } from "../src/controller/controller.js";
import { EnipServer, type ServerOptions } from "../src/server.js";
import { Engine } from "../src/transport/engine.js";
import { parseRouteTable } from "../src/transport/forward.js";
import { ReplyDelay } from "../src/transport/options.js";
import { TcpConnection } from "../src/transport/tcp-connection.js";
import { EXAMPLE_SENSOR_UDT, exampleSensorDump } from "./support/fixtures.js";
import { context, TestClient, withDeadline, writeInts } from "./support/server-client.js";

const TAGS = [
  "D=DINT",
  "SCADA=INT[1000]",
  "R=REAL[4]",
  "L=LINT[2]",
  "Big=DINT[300]",
  "S=SSTRING[2]",
  "NAME=STRING",
  "Flag=BOOL",
  "Speed@0x93/3/10=REAL",
  "Sensors=Example_SENSOR[4]",
];

function makeController(): Controller {
  const c = new Controller({ udts: [EXAMPLE_SENSOR_UDT], tags: TAGS });
  c.tags
    .require("Sensors")
    .bytes.set(exampleSensorDump().subarray(0, c.tags.require("Sensors").bytes.length));
  c.tags.require("D").setValues(0, [123456]);
  c.tags.require("SCADA").setValues(0, [1, 2, 3, 4, 5]);
  c.tags.require("R").setValues(0, [1.5, -2.25]);
  c.tags.require("S").setValues(0, ["odd", "even"]);
  c.tags.require("NAME").setValues(0, ["hello"]);
  return c;
}

/** Symbolic path segments of a dotted tag reference with `[i]` indexes. */
function path(text: string): EPath {
  const out: EPath = [];
  for (const part of text.split(".")) {
    const m = /^([^[]+)(?:\[(\d+)\])?$/.exec(part) as RegExpExecArray;
    out.push({ symbolic: m[1] as string });
    if (m[2] !== undefined) out.push({ element: Number(m[2]) });
  }
  return out;
}

/** The Read Tag requests both servers get: plain, arrays, partial, structures, members, BOOLs, strings, errors. */
const READS: CipRequest[] = [
  readTagRequest(path("D"), 1),
  readTagRequest(path("D"), 0),
  readTagRequest(path("SCADA"), 1),
  readTagRequest(path("SCADA[3]"), 2),
  readTagRequest(path("SCADA[1]"), 10),
  readTagRequest(path("SCADA"), 300), // more than 488 bytes: 0x06 with what fits
  readTagRequest(path("SCADA[999]"), 2), // beyond the end: 0xFF / 0x2105
  readTagRequest(path("R"), 4),
  readTagRequest(path("L[1]"), 1),
  readTagRequest(path("Big"), 300),
  readTagRequest(path("S"), 2),
  readTagRequest(path("NAME"), 1),
  readTagRequest(path("Flag"), 1),
  readTagRequest([{ class: 0x93 }, { instance: 3 }, { attribute: 10 }], 1),
  readTagRequest([{ class: 0x6b }, { instance: 1 }], 1),
  readTagRequest(path("Sensors[1]"), 1),
  readTagRequest(path("Sensors"), 4),
  readTagRequest(path("Sensors[2].SENSOR_ID"), 1),
  readTagRequest(path("Sensors[2].SENSOR_Analog_Scaled"), 1),
  readTagRequest(path("Sensors[2].SENSOR_Alarm_1"), 1),
  readTagRequest(path("Sensors[1].ISOLATOR_TRIP_LIST[1]"), 3),
  readTagRequest(path("Nope"), 1), // unknown tag: never remembered
  readTagFragmentedRequest(path("SCADA"), 10, 4), // not a Read Tag: always the general path
];

const ROUTE = [{ port: 1, link: 0 }];
const triple = { connectionSerial: 0x77, originatorVendor: 0x1337, originatorSerial: 0xbeef };

interface Peer {
  server: EnipServer;
  controller: Controller;
  client: TestClient;
  /** The O→T id of its class 3 connection. */
  connection: number;
}

/** The server's engine, to read how many frames its lane answered. */
function engineOf(server: EnipServer): Engine {
  return (server as unknown as { engine: Engine }).engine;
}

/** A reply frame with its session handle zeroed (the handles are random, so they differ between the servers). */
function comparable(frame: Uint8Array): string {
  const copy = Buffer.from(frame);
  copy.fill(0, 4, 8);
  return copy.toString("hex");
}

async function startPeer(
  lane: boolean,
  connectionSize: number,
  options: Partial<ServerOptions> = {},
): Promise<Peer> {
  const controller = makeController();
  // An instance's own `execute` (even one that only calls the prototype's) turns the lane off.
  if (!lane) controller.execute = Controller.prototype.execute.bind(controller);
  const server = await EnipServer.start({ controller, host: "127.0.0.1", port: 0, udp: false, ...options });
  const client = await TestClient.connect(server.tcpAddress?.port ?? 0);
  await client.register();
  const open = await client.request(forwardOpenRequest({ ...triple, size: connectionSize }));
  if (open.generalStatus !== 0) throw new Error(`Forward Open failed: ${open.generalStatus}`);
  return { server, controller, client, connection: (open as ForwardOpenReply).otConnectionId };
}

let sequence = 0;
/** The three frames a read is sent in: SendRRData, SendRRData with Unconnected Send, SendUnitData. */
function frames(peer: Peer, read: CipRequest, n: number): Uint8Array[] {
  const session = peer.client.session;
  sequence = (sequence + 1) & 0xffff;
  return [
    encodeSendRRData({ session, senderContext: context(n), timeout: 5, message: read }),
    encodeSendRRData({
      session,
      senderContext: context(n + 1),
      timeout: 5,
      message: unconnectedSend(read, ROUTE),
    }),
    encodeSendUnitData({ session, connectionId: peer.connection, sequence, message: read }),
  ];
}

/** Sends each frame to each peer and returns the comparable replies, per peer. */
async function exchange(peers: Peer[], read: CipRequest, n: number): Promise<string[][]> {
  const seq = sequence;
  const out: string[][] = [];
  for (const peer of peers) {
    sequence = seq;
    const replies: string[] = [];
    for (const frame of frames(peer, read, n)) {
      peer.client.send(frame);
      replies.push(comparable(await peer.client.nextFrame()));
    }
    out.push(replies);
  }
  return out;
}

describe("the read fast lane", () => {
  let lane: Peer;
  let reference: Peer;

  afterEach(async () => {
    for (const peer of [lane, reference]) peer?.client.close();
    await withDeadline(
      Promise.all([lane?.server.close(), reference?.server.close()]),
      "servers to close",
      5000,
    );
  });

  test.each([
    ["a Large Forward Open's connection size", 4000],
    ["a small connection size (connected reads answer 0x06 sooner)", 64],
  ])("answers every Read Tag as the general path does, with %s", async (_name, size) => {
    lane = await startPeer(true, size);
    reference = await startPeer(false, size);
    const peers = [lane, reference];
    let n = 0;
    const check = async (): Promise<void> => {
      for (const read of READS)
        for (let repeat = 0; repeat < 3; repeat++) {
          n += 2;
          const [mine, theirs] = await exchange(peers, read, n);
          expect(mine).toEqual(theirs);
        }
    };
    await check();
    const answered = engineOf(lane.server).lane?.answered ?? 0;
    // Every remembered read (all but the unknown tag and the fragmented one) was answered by the lane after its
    // first time, in each of the three framings.
    expect(answered).toBeGreaterThanOrEqual((READS.length - 2) * 3 * 2);
    expect(engineOf(reference.server).lane).toBeUndefined();

    // Writes show at once: the lane holds where the data is, never the data.
    for (const peer of peers) {
      await peer.client.request(writeInts("SCADA", 1, [-7, 8, 9]));
      peer.controller.tags.require("D").setValues(0, [-1]);
      const sensors = peer.controller.tags.require("Sensors").bytes;
      sensors[5] = (sensors[5] as number) ^ 0xff;
    }
    await check();

    // A forced error, then an onRead hook that replaces values, set after the plans were learned.
    for (const peer of peers) peer.controller.tags.require("D").error = 0x0f;
    await check();
    for (const peer of peers) {
      peer.controller.tags.require("D").error = 0;
      peer.controller.hooks = {
        onRead: (access) => (access.type.name === "DINT" ? Array(access.count).fill(42) : undefined),
      };
    }
    await check();
    expect(engineOf(lane.server).lane?.answered ?? 0).toBeGreaterThan(answered * 3);
  });

  test("an Unconnected Send the route settings refuse or forward is never answered by the lane", async () => {
    // The target of the forwarded route: its D differs, so a reply from it cannot pass for a local one.
    const targetController = new Controller({ tags: ["D=DINT"] });
    targetController.tags.require("D").setValues(0, [77]);
    const target = await EnipServer.start({
      controller: targetController,
      host: "127.0.0.1",
      port: 0,
      udp: false,
    });
    try {
      const read = readTagRequest(path("D"), 1);
      /** Sends the read in an Unconnected Send along each route three times; the distinct replies, by route name. */
      const run = async (
        options: Partial<ServerOptions>,
        cases: [string, EPath, number][],
      ): Promise<Map<string, string>> => {
        lane = await startPeer(true, 4000, options);
        reference = await startPeer(false, 4000, options);
        const replies = new Map<string, string>();
        for (const [name, route, expected] of cases) {
          const before = engineOf(lane.server).lane?.answered ?? 0;
          for (let repeat = 0; repeat < 3; repeat++) {
            const [mine, theirs] = await Promise.all(
              [lane, reference].map(async (peer) => {
                const message = unconnectedSend(read, route);
                const { session } = peer.client;
                peer.client.send(
                  encodeSendRRData({ session, senderContext: context(repeat), timeout: 5, message }),
                );
                return comparable(await peer.client.nextFrame());
              }),
            );
            expect(mine).toEqual(theirs);
            replies.set(name, mine as string);
          }
          const answered = (engineOf(lane.server).lane?.answered ?? 0) - before;
          expect([name, answered]).toEqual([name, expected]);
        }
        for (const peer of [lane, reference]) peer.client.close();
        await Promise.all([lane.server.close(), reference.server.close()]);
        return replies;
      };
      // Only route 1/0 accepted (cpppo's -S with a route path): the others are refused, every time.
      const refusing = await run({ routePath: [{ port: 1, link: 0 }] }, [
        ["accepted", [{ port: 1, link: 0 }], 2],
        ["another link", [{ port: 1, link: 3 }], 0],
        ["another port", [{ port: 2, link: 0 }], 0],
      ]);
      expect(new Set(refusing.values()).size).toBe(3);
      // A [UCMM] Route for 1/5: those reads are forwarded to the target, every time.
      const forwarding = await run(
        { routes: parseRouteTable({ "1/5": `127.0.0.1:${target.tcpAddress?.port}` }) },
        [
          ["here", [{ port: 1, link: 0 }], 2],
          ["forwarded", [{ port: 1, link: 5 }], 0],
        ],
      );
      expect(forwarding.get("here")).not.toEqual(forwarding.get("forwarded"));
    } finally {
      await withDeadline(target.close(), "the target to close", 5000);
    }
  });

  test("a read of an unknown tag is not remembered: a tag defined later is read", async () => {
    lane = await startPeer(true, 4000);
    reference = await startPeer(false, 4000);
    const peers = [lane, reference];
    const later = readTagRequest(path("Later"), 1);
    const [missing, missingRef] = await exchange(peers, later, 1);
    expect(missing).toEqual(missingRef);
    for (const peer of peers) peer.controller.defineTag("Later=DINT");
    for (const peer of peers) peer.controller.tags.require("Later").setValues(0, [5]);
    const [found, foundRef] = await exchange(peers, later, 3);
    expect(found).toEqual(foundRef);
    expect(found).not.toEqual(missing);
  });

  test("a controller that overrides execute sees every request (no lane)", async () => {
    const controller = makeController();
    let executed = 0;
    const execute = controller.execute.bind(controller);
    controller.execute = (request, ctx) => {
      executed++;
      return execute(request, ctx);
    };
    const server = await EnipServer.start({ controller, host: "127.0.0.1", port: 0, udp: false });
    const c = await TestClient.connect(server.tcpAddress?.port ?? 0);
    try {
      await c.register();
      for (let i = 0; i < 5; i++) await c.request(readTagRequest(path("D"), 1), i);
      expect(executed).toBe(5);
    } finally {
      c.close();
      await withDeadline(server.close(), "the server to close", 5000);
    }
  });

  describe("reply buffers", () => {
    /** A socket stand-in that keeps every buffer written and says how much is still queued (`writableLength`). */
    class HoldingSocket extends EventEmitter {
      readonly remoteAddress = "127.0.0.1";
      readonly remotePort = 1;
      readonly destroyed = false;
      readonly writable = true;
      writableLength = 0;
      readonly written: Uint8Array[] = [];
      setNoDelay(): void {}
      pause(): void {}
      resume(): void {}
      cork(): void {}
      uncork(): void {}
      end(): void {}
      destroy(): void {}
      write(bytes: Uint8Array): boolean {
        this.written.push(bytes);
        return true;
      }
    }

    /** A connection over a HoldingSocket with a registered session; sends Read Tag D with sender contexts 1..n. */
    function readsOn(queued: number, n: number): HoldingSocket {
      const controller = makeController();
      const engine = new Engine(
        controller,
        new ReplyDelay(),
        { controller, idleTimeout: 0 },
        () => 0,
        () => undefined,
        () => "test",
      );
      const socket = new HoldingSocket();
      new TcpConnection(socket as unknown as Socket, engine);
      socket.emit(
        "data",
        Buffer.from(
          encodeEncapsulation({ body: { command: "registerSession", protocolVersion: 1, optionFlags: 0 } }),
        ),
      );
      const session = decodeEnipMessage(socket.written.pop() as Uint8Array).header.session;
      socket.writableLength = queued;
      for (let i = 1; i <= n; i++)
        socket.emit(
          "data",
          Buffer.from(
            encodeSendRRData({
              session,
              senderContext: context(i),
              timeout: 5,
              message: readTagRequest(path("D"), 1),
            }),
          ),
        );
      expect(engine.lane?.answered).toBe(n - 1);
      return socket;
    }

    const contexts = (socket: HoldingSocket): number[] =>
      socket.written.map((frame) => new DataView(frame.buffer, frame.byteOffset + 12, 4).getUint32(0, true));

    test("a reply the socket still holds is never written over by the next one", () => {
      const socket = readsOn(48, 5);
      expect(contexts(socket)).toEqual([1, 2, 3, 4, 5]);
      expect(new Set(socket.written).size).toBe(5);
    });

    test("a reply the kernel took at once lends its buffer to the next reply of the same size", () => {
      const socket = readsOn(0, 5);
      // The first reply comes from the general path (it teaches the lane); the lane's replies share one buffer.
      expect(new Set(socket.written.slice(1)).size).toBe(1);
      expect(contexts(socket).at(-1)).toBe(5);
    });
  });
});

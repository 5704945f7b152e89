// Minimal servers (issue 9, item 2): a simulator that offers only Read/Write Tag (and their Fragmented forms) and
// Forward Open / Large Forward Open / Forward Close, and answers anything else "service not supported" (0x08).
// The client must send nothing optional at connect time (RegisterSession, plus Forward Open when connected), and
// fall back to single requests when a Multiple Service Packet is refused, remembering it for the connection.
import type { Socket } from "node:net";
import {
  type CipReply,
  type CipRequest,
  decodeRequestBytes,
  encodeSendRRData,
  encodeSendUnitData,
} from "@cpppo/cip-codec";
import { EnipClient } from "../src/client.js";
import type { PipelineOperation } from "../src/pipeline/types.js";
import {
  connectSimple,
  frameOf,
  headerOf,
  type RawServer,
  REGISTER_DATA,
  rawServer,
  u16,
  u32,
} from "./support/raw-server.js";

const SESSION = 0x5eed;
const OT_CONNECTION = 0x7700_0001;

/** What the minimal server saw: each frame's command and, for SendRRData/SendUnitData, the CIP service. */
interface Seen {
  command: number;
  service?: number;
}

interface Minimal extends RawServer {
  seen: Seen[];
  tag: Int32Array;
}

function notSupported(request: CipRequest): CipReply {
  return {
    kind: "generic",
    service: request.service | 0x80,
    generalStatus: 0x08,
    extStatus: [],
    data: new Uint8Array(0),
  };
}

/** Executes one request on the DINT[10] tag "D": only the six services a minimal simulator offers. */
function execute(tag: Int32Array, request: CipRequest): CipReply {
  const first =
    request.kind === "readTag" || request.kind === "readTagFragmented" || request.kind === "writeTag"
      ? request.path
      : request.kind === "writeTagFragmented"
        ? request.path
        : undefined;
  const element = (path: typeof first): number => {
    const e = path?.find((s) => "element" in s) as { element: number } | undefined;
    return e?.element ?? 0;
  };
  const named = first?.some((s) => "symbolic" in s && s.symbolic === "D");
  const bytes = new Uint8Array(tag.buffer);
  switch (request.kind) {
    case "readTag":
    case "readTagFragmented": {
      if (!named) return { ...notSupported(request), generalStatus: 0x04 };
      const start = element(request.path) * 4 + (request.kind === "readTagFragmented" ? request.offset : 0);
      const data = bytes.slice(start, element(request.path) * 4 + request.elements * 4);
      return request.kind === "readTag"
        ? { kind: "readTag", service: 0xcc, generalStatus: 0, extStatus: [], type: 0xc4, data }
        : { kind: "readTagFragmented", service: 0xd2, generalStatus: 0, extStatus: [], type: 0xc4, data };
    }
    case "writeTag":
    case "writeTagFragmented": {
      if (!named) return { ...notSupported(request), generalStatus: 0x04 };
      const start = element(request.path) * 4 + (request.kind === "writeTagFragmented" ? request.offset : 0);
      bytes.set(request.data, start);
      return request.kind === "writeTag"
        ? { kind: "writeTag", service: 0xcd, generalStatus: 0, extStatus: [] }
        : { kind: "writeTagFragmented", service: 0xd3, generalStatus: 0, extStatus: [] };
    }
    case "forwardOpen":
      return {
        kind: "forwardOpen",
        service: request.service === 0x5b ? 0xdb : 0xd4,
        generalStatus: 0,
        extStatus: [],
        otConnectionId: OT_CONNECTION,
        toConnectionId: request.toConnectionId,
        connectionSerial: request.connectionSerial,
        originatorVendor: request.originatorVendor,
        originatorSerial: request.originatorSerial,
        otApiUs: request.otRpiUs,
        toApiUs: request.toRpiUs,
        applicationReply: new Uint8Array(0),
      };
    case "forwardClose":
      return {
        kind: "forwardClose",
        service: 0xce,
        generalStatus: 0,
        extStatus: [],
        connectionSerial: request.connectionSerial,
        originatorVendor: request.originatorVendor,
        originatorSerial: request.originatorSerial,
        applicationReply: new Uint8Array(0),
      };
    default:
      return notSupported(request);
  }
}

async function minimalServer(): Promise<Minimal> {
  const seen: Seen[] = [];
  const tag = Int32Array.from({ length: 10 }, (_, i) => i * 10);
  const answer = (frame: Uint8Array, socket: Socket): void => {
    const h = headerOf(frame);
    if (h.command === 0x65) {
      seen.push({ command: h.command });
      socket.write(frameOf(0x65, SESSION, 0, h.context, REGISTER_DATA));
      return;
    }
    if (h.command === 0x6f) {
      const cip = frame.subarray(40, 40 + u16(frame, 38));
      const request = decodeRequestBytes(cip);
      seen.push({ command: h.command, service: request.service });
      const message = execute(tag, request);
      socket.write(encodeSendRRData({ session: SESSION, senderContext: h.context, message }));
      return;
    }
    if (h.command === 0x70) {
      const sequence = u16(frame, 44);
      const request = decodeRequestBytes(frame.subarray(46, 46 + u16(frame, 42) - 2));
      seen.push({ command: h.command, service: request.service });
      if (u32(frame, 36) !== OT_CONNECTION) return;
      const message = execute(tag, request);
      socket.write(encodeSendUnitData({ session: SESSION, connectionId: 0x7a7a, sequence, message }));
      return;
    }
    seen.push({ command: h.command });
    if (h.command !== 0x66) socket.write(frameOf(h.command, h.session, 0x01, h.context));
  };
  const server = await rawServer(answer);
  return Object.assign(server, { seen, tag });
}

const reads = (n: number): PipelineOperation[] =>
  Array.from({ length: n }, (_, i) => ({ method: "read", path: [{ symbolic: "D" }, { element: i }] }));

let server: Minimal | undefined;
let client: EnipClient | undefined;
afterEach(async () => {
  await client?.close();
  client = undefined;
  await server?.close();
  server = undefined;
});

describe("a minimal server (Read/Write Tag, Forward Open/Close only)", () => {
  test("connected: only RegisterSession and one Forward Open before the first operation", async () => {
    server = await minimalServer();
    client = await EnipClient.connect({
      host: "127.0.0.1",
      port: server.port,
      connected: true,
      timeout: 5000,
    });
    expect(server.seen).toEqual([{ command: 0x65 }, { command: 0x6f, service: 0x5b }]);
    expect(client.connectionSize).toBe(4002);
  });

  test("simple (no route): only RegisterSession before the first operation, and plain requests work", async () => {
    server = await minimalServer();
    client = await connectSimple(server.port);
    expect(server.seen).toEqual([{ command: 0x65 }]);
    expect((await client.write("D[1]", [11])).ok).toBe(true);
    expect((await client.read("D[0]", { elements: 3 })).value).toEqual([0, 11, 20]);
  });

  test("a refused Multiple Service Packet is sent again singly, and never again on that connection", async () => {
    server = await minimalServer();
    client = await EnipClient.connect({
      host: "127.0.0.1",
      port: server.port,
      connected: true,
      timeout: 5000,
    });
    const ops: PipelineOperation[] = [
      ...reads(4),
      {
        method: "write",
        path: [{ symbolic: "D" }, { element: 9 }],
        elements: 1,
        tagType: 0xc4,
        values: [99],
      },
      ...reads(10).slice(6),
    ];
    const results = [];
    for await (const r of client.pipeline(ops, { multiple: true })) results.push(r);
    expect(results.map((r) => r.ok)).toEqual(ops.map(() => true));
    expect(results.map((r) => r.value)).toEqual([[0], [10], [20], [30], true, [60], [70], [80], [99]]);
    const packets = (): number => (server as Minimal).seen.filter((s) => s.service === 0x0a).length;
    expect(packets()).toBe(1);
    // The client remembers: the next run sends no packet at all, and still gets every value.
    const again = await client.process(reads(10), { multiple: true, depth: 2 });
    expect(again.failures).toBe(0);
    expect(again.values).toEqual([[0], [10], [20], [30], [40], [50], [60], [70], [80], [99]]);
    expect(packets()).toBe(1);
  });

  test("unconnected and simple, the fallback works the same way", async () => {
    server = await minimalServer();
    client = await connectSimple(server.port);
    const values = await client.results(reads(5), { multiple: true, depth: 3 });
    expect(values).toEqual([[0], [10], [20], [30], [40]]);
    expect(server.seen.filter((s) => s.service === 0x0a).length).toBeGreaterThanOrEqual(1);
    const before = server.seen.length;
    expect(await client.results(reads(3), { multiple: true })).toEqual([[0], [10], [20]]);
    expect(server.seen.slice(before).map((s) => s.service)).toEqual([0x4c, 0x4c, 0x4c]);
  });
});

// The TCP transport reads into one static buffer (Node's `onread`) and copies each chunk out before framing it:
// replies split across chunks, several replies in one chunk, and replies larger than the read buffer must come out
// whole, and what a result hands the user (its values, `data`, `reply`) must never change with later reads. Writes
// are corked for one tick: the requests issued together, or from the replies of one chunk, go out in one write.
import { type AddressInfo, createServer, type Socket } from "node:net";
import { EnipFramer } from "@cpppo/cip-codec";
import { EnipClient } from "../src/client.js";
import {
  connectSimple,
  frameOf,
  headerOf,
  type RawServer,
  REGISTER_DATA,
  rawServer,
  rrData,
  rrRequest,
  u16,
} from "./support/raw-server.js";
import { type Simulator, startSimulator } from "./support/simulator.js";

const SESSION = 0x2b2b;
const REGISTER = 0x65;
const SEND_RR_DATA = 0x6f;

/** A Read Tag (or, for `service` 0x52, Read Tag Fragmented) reply carrying `values` as DINTs. */
function dints(values: readonly number[], service = 0x4c): Uint8Array {
  const out = new Uint8Array(6 + 4 * values.length);
  const view = new DataView(out.buffer);
  out[0] = service | 0x80;
  out[4] = 0xc4;
  for (let i = 0; i < values.length; i++) view.setInt32(6 + 4 * i, values[i] as number, true);
  return out;
}

/** The service and element count of a Read Tag (Fragmented) request: the count follows the path. */
function readOf(frame: Uint8Array): { service: number; elements: number } {
  const cip = rrRequest(frame);
  return { service: cip[0] as number, elements: u16(cip, 2 + 2 * (cip[1] as number)) };
}

/**
 * A device that answers the k-th Read Tag (from 1) with `1000 * k + i` at element i, and hands every batch of replies
 * to `send` (default: one write). With `hold`, replies wait until that many requests are in, then go out together.
 */
async function device(
  options: { hold?: number; send?: (socket: Socket, bytes: Uint8Array) => void } = {},
): Promise<RawServer> {
  const held: Uint8Array[] = [];
  const send = options.send ?? ((socket, bytes) => socket.write(bytes));
  const state = { base: 1000 };
  const server = await rawServer((frame, socket) => {
    const { command, context } = headerOf(frame);
    if (command === REGISTER) {
      socket.write(frameOf(REGISTER, SESSION, 0, context, REGISTER_DATA));
      return;
    }
    if (command !== SEND_RR_DATA) return;
    const { service, elements } = readOf(frame);
    const values = Array.from({ length: elements }, (_, i) => state.base + i);
    state.base += 1000;
    held.push(frameOf(SEND_RR_DATA, SESSION, 0, context, rrData(dints(values, service))));
    if (held.length >= (options.hold ?? 1)) {
      const total = held.reduce((n, f) => n + f.length, 0);
      const out = new Uint8Array(total);
      let at = 0;
      for (const f of held.splice(0)) {
        out.set(f, at);
        at += f.length;
      }
      send(socket, out);
    }
  });
  return server;
}

/** A device like `device({ hold })` that also counts the Read Tag requests in each chunk it receives. */
async function countingDevice(
  hold: number,
): Promise<{ port: number; chunks: number[]; close(): Promise<void> }> {
  const chunks: number[] = [];
  const sockets = new Set<Socket>();
  let k = 0;
  const held: Uint8Array[] = [];
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => undefined);
    const framer = new EnipFramer();
    socket.on("data", (chunk) => {
      let reads = 0;
      for (const frame of framer.push(chunk)) {
        const { command, context } = headerOf(frame);
        if (command === REGISTER) socket.write(frameOf(REGISTER, SESSION, 0, context, REGISTER_DATA));
        if (command !== SEND_RR_DATA) continue;
        reads++;
        k++;
        held.push(frameOf(SEND_RR_DATA, SESSION, 0, context, rrData(dints([1000 * k]))));
      }
      if (reads > 0) chunks.push(reads);
      if (held.length >= hold) socket.write(Buffer.concat(held.splice(0)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    chunks,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Waits for `n` milliseconds (only to let a chunk go out alone; no assertion depends on it). */
const pause = (n: number) => new Promise<void>((resolve) => setTimeout(resolve, n));

let server: RawServer | undefined;
let client: EnipClient | undefined;
afterEach(async () => {
  await client?.close();
  await server?.close();
  client = undefined;
  server = undefined;
});

test("replies split across chunks, even byte by byte, come out whole", async () => {
  server = await device({
    send: (socket, bytes) => {
      // The header alone, then its rest in pieces of 1, 2 and 7 bytes, each a write of its own.
      void (async () => {
        const cuts = [0, 1, 13, 24, 25, 27, 34, bytes.length];
        for (let i = 0; i + 1 < cuts.length; i++) {
          if (socket.destroyed) return;
          socket.write(bytes.subarray(cuts[i], cuts[i + 1]));
          await pause(2);
        }
      })();
    },
  });
  client = await connectSimple(server.port);
  const first = await client.read("Tag", { elements: 3 });
  const second = await client.read("Tag", { elements: 2 });
  expect(first.value).toEqual([1000, 1001, 1002]);
  expect(second.value).toEqual([2000, 2001]);
  expect(Array.from(first.data ?? [])).toEqual(Array.from(dints([1000, 1001, 1002]).subarray(6)));
});

test("several replies in one chunk each answer their own request", async () => {
  server = await device({ hold: 6 });
  client = await connectSimple(server.port);
  const results = await Promise.all(
    Array.from({ length: 6 }, (_, i) => (client as EnipClient).read(`Tag[${i}]`, { elements: i + 1 })),
  );
  // Requests are answered in order: the k-th gets base 1000 * (k + 1), and as many elements as it asked for.
  results.forEach((r, i) => {
    expect(r.ok).toBe(true);
    expect(r.value).toEqual(Array.from({ length: i + 1 }, (_, j) => 1000 * (i + 1) + j));
  });
});

test("what a result hands over does not change with later reads (the read buffer is reused)", async () => {
  server = await device({ hold: 4 });
  client = await connectSimple(server.port);
  const c = client;
  const batch = () => Promise.all([1, 2, 3, 4].map((n) => c.read("Tag", { elements: n })));
  const first = await batch();
  const snapshot = first.map((r) => ({
    value: r.value,
    data: Array.from(r.data ?? []),
    reply: r.reply.kind === "readTag" ? Array.from(r.reply.data) : [],
  }));
  for (let i = 0; i < 20; i++) await batch();
  first.forEach((r, i) => {
    expect(r.value).toEqual((snapshot[i] as { value: unknown }).value);
    expect(Array.from(r.data ?? [])).toEqual(snapshot[i]?.data);
    expect(r.reply.kind === "readTag" ? Array.from(r.reply.data) : []).toEqual(snapshot[i]?.reply);
    expect(r.value).toEqual(Array.from({ length: i + 1 }, (_, j) => 1000 * (i + 1) + j));
  });
});

test("replies larger than the 64 KiB read buffer, several in one write, come out whole", async () => {
  // 16,000 DINTs a reply: 64,046-byte frames, two of them in one write of 128 KiB.
  server = await device({ hold: 2 });
  client = await connectSimple(server.port);
  const c = client;
  const [a, b] = await Promise.all([
    c.read("Tag", { elements: 16000, fragment: true }),
    c.read("Tag", { elements: 16000, fragment: true }),
  ]);
  expect(a?.ok).toBe(true);
  expect(b?.ok).toBe(true);
  expect(a?.value).toEqual(Array.from({ length: 16000 }, (_, i) => 1000 + i));
  expect(b?.value).toEqual(Array.from({ length: 16000 }, (_, i) => 2000 + i));
});

test("reads issued together, or from the replies of one chunk, go out in one write", async () => {
  const counting = await countingDevice(5);
  const c = await connectSimple(counting.port);
  try {
    // Five reads in one synchronous block: one chunk of five. Each reply's continuation (several microtasks deep)
    // issues the next read: the five follow-ups, issued while one chunk of replies is handled, are one chunk too.
    const values = await Promise.all(
      Array.from({ length: 5 }, async (_, i) => {
        const first = await c.read(`Tag[${i}]`);
        const second = await c.read(`Tag[${i}]`);
        return [first.value?.[0], second.value?.[0]];
      }),
    );
    expect(counting.chunks).toEqual([5, 5]);
    expect(values.map((v) => v[0])).toEqual([1000, 2000, 3000, 4000, 5000]);
    expect(values.map((v) => v[1])).toEqual([6000, 7000, 8000, 9000, 10000]);
  } finally {
    await c.close();
    await counting.close();
  }
});

describe("against the simulator", () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator(["BIG=DINT[20000]"]);
    const setup = await EnipClient.connect({ host: "127.0.0.1", port: sim.port });
    const values = Array.from({ length: 20000 }, (_, i) => (i * 7919) | 0);
    expect((await setup.write("BIG", values, { type: "DINT" })).ok).toBe(true);
    await setup.close();
  });
  afterAll(async () => {
    await sim.server.close();
  });

  test.each([false, true])(
    "a read of 20,000 DINTs continued in fragments (connected: %s)",
    async (connected) => {
      client = await EnipClient.connect({ host: "127.0.0.1", port: sim.port, connected });
      const [r, again] = await Promise.all([
        client.read("BIG", { elements: 20000 }),
        client.read("BIG[10]", { elements: 5 }),
      ]);
      expect(r.ok).toBe(true);
      expect(r.value).toEqual(Array.from({ length: 20000 }, (_, i) => (i * 7919) | 0));
      expect(r.data?.length).toBe(80000);
      expect(again.value).toEqual([79190, 87109, 95028, 102947, 110866]);
    },
  );
});

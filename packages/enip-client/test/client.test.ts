// Every operation of EnipClient against the real simulator over TCP on 127.0.0.1, in each messaging mode:
// unconnected routed (Unconnected Send along 1/0), simple (no route, no send path), and connected (Large and
// standard Forward Open). CIP errors must come back as data; transfers larger than one reply are continued.
import {
  type CpfItem,
  DINT,
  decodeIdentityBytes,
  encodeValues,
  LOGIX_STRING_HANDLE,
  REAL,
  SSTRING,
} from "@cpppo/cip-codec";
import type { EnipServer } from "@cpppo/enip-server";
import { EnipClient, type EnipClientOptions } from "../src/client.js";
import { InvalidArgumentError } from "../src/core/errors.js";
import { startSimulator } from "./support/simulator.js";
import { counting } from "./support/transports.js";

let server: EnipServer;
let port: number;

const TAGS = [
  "SCADA=INT[1000]",
  "BIG=DINT[10000]",
  "WIDE=LREAL[2000]",
  "R=REAL",
  "D=DINT",
  "L=LINT",
  "B=BOOL",
  "S=SINT[4]",
  "TEXT=STRING",
  "Motor_Velocity@0x93/3/10=REAL",
];

beforeAll(async () => {
  ({ server, port } = await startSimulator(TAGS));
});

afterAll(async () => {
  await server.close();
});

const MODES: [string, Partial<EnipClientOptions>, number | undefined][] = [
  ["unconnected, routed 1/0", {}, undefined],
  ["simple (no route, no send path)", { routePath: false, sendPath: "" }, undefined],
  ["connected, Large Forward Open", { connected: true }, 4002],
  ["connected, standard Forward Open", { connected: true, connectionSize: 500 }, 500],
];

describe.each(MODES)("EnipClient %s", (_name, mode, connectionSize) => {
  let client: EnipClient;
  const counter = counting();
  beforeAll(async () => {
    client = await EnipClient.connect({
      host: "127.0.0.1",
      port,
      timeout: 3000,
      transport: counter.factory,
      ...mode,
    });
  });
  afterAll(async () => {
    await client.close();
  });

  test("state, session and connection size", () => {
    expect(client.state).toBe("ready");
    expect(client.sessionHandle).not.toBe(0);
    expect(client.connectionSize).toBe(connectionSize);
  });

  test("write then read elementary types, values round trip", async () => {
    expect((await client.write("SCADA[1]", [99], { type: "INT" })).ok).toBe(true);
    expect((await client.write("SCADA[2]", [-2, 3], { type: 0xc3 })).ok).toBe(true);
    const scada = await client.read("SCADA[0]", { elements: 4 });
    expect(scada).toMatchObject({
      ok: true,
      status: 0,
      statusText: "Success (0x00)",
      type: 0xc3,
      value: [0, 99, -2, 3],
    });
    await client.write("R", [1.5], { type: REAL });
    expect((await client.read("R")).value).toEqual([1.5]);
    await client.write("L", [-(2n ** 40n)], { type: "LINT" });
    expect((await client.read("L")).value).toEqual([-(2n ** 40n)]);
    await client.write("B", [true], { type: "BOOL" });
    expect((await client.read("B")).value).toEqual([true]);
    await client.write("S", [1, -1, 127, -128], { type: "SINT" });
    expect((await client.read("S", { elements: 4 })).value).toEqual([1, -1, 127, -128]);
  });

  test("a write without a type uses the type learned from a read (or reads once to learn it)", async () => {
    const fresh = await EnipClient.connect({ host: "127.0.0.1", port, ...mode });
    try {
      expect(fresh.tagTypes.has("D")).toBe(false);
      expect((await fresh.write("D", [123456])).ok).toBe(true);
      expect(fresh.tagTypes.get("D")).toEqual({ type: 0xc4, size: 4 });
      expect((await fresh.read("D")).value).toEqual([123456]);
    } finally {
      await fresh.close();
    }
  });

  test("Logix STRING reads and writes as text", async () => {
    expect((await client.write("TEXT", ["Hello, world!"])).ok).toBe(true);
    const r = await client.read("TEXT");
    expect(r).toMatchObject({
      ok: true,
      type: 0x02a0,
      structureHandle: LOGIX_STRING_HANDLE,
      value: ["Hello, world!"],
    });
  });

  test("CIP errors are data, never exceptions", async () => {
    const unknown = await client.read("NOPE");
    expect(unknown.ok).toBe(false);
    expect([0x04, 0x05]).toContain(unknown.status);
    expect(unknown.value).toBeUndefined();
    const beyond = await client.read("SCADA[999]", { elements: 5 });
    expect(beyond).toMatchObject({ ok: false, status: 0xff, extStatus: [0x2105] });
    expect(beyond.statusText).toMatch(/0xff/);
    const mismatch = await client.write("SCADA[0]", [1.5], { type: "REAL" });
    expect(mismatch).toMatchObject({ ok: false, status: 0xff, extStatus: [0x2107] });
  });

  test("10,000-element DINT array: write and read back, continued in fragments", async () => {
    const values = Array.from({ length: 10000 }, (_, i) => i * 3 - 7);
    const before = counter.sent();
    expect((await client.write("BIG", values, { type: DINT })).ok).toBe(true);
    const writes = counter.sent() - before;
    expect(writes).toBeGreaterThan(1);
    const read = await client.read("BIG", { elements: 10000 });
    expect(read.ok).toBe(true);
    expect(read.status).toBe(0);
    expect(read.value).toEqual(values);
    expect(read.data?.length).toBe(40000);
    expect(counter.sent() - before - writes).toBeGreaterThan(1);
  });

  test("8-byte elements continue too, starting mid-array", async () => {
    const values = Array.from({ length: 1500 }, (_, i) => i / 4);
    expect((await client.write("WIDE[500]", values, { type: "LREAL" })).ok).toBe(true);
    const read = await client.read("WIDE[500]", { elements: 1500 });
    expect(read.value).toEqual(values);
  });

  test("an explicit offset asks for one fragment and is not continued", async () => {
    await client.write(
      "SCADA[0]",
      Array.from({ length: 10 }, (_, i) => 100 + i),
      { type: "INT" },
    );
    const r = await client.read("SCADA[0]", { elements: 10, offset: 4 });
    expect(r.ok).toBe(true);
    expect(r.value).toEqual([102, 103, 104, 105, 106, 107, 108, 109]);
    expect((r.reply as { kind: string }).kind).toBe("readTagFragmented");
    const partial = await client.read("BIG", { elements: 10000, offset: 0 });
    expect(partial.status).toBe(0x06);
    expect(partial.ok).toBe(true);
    expect((partial.data?.length ?? 0) % 4).toBe(0);
    expect(partial.data?.length).toBeLessThan(40000);
    const w = await client.write("SCADA[0]", [7, 8], { type: "INT", elements: 10, offset: 16 });
    expect(w.ok).toBe(true);
    expect((await client.read("SCADA[8]", { elements: 2 })).value).toEqual([7, 8]);
  });

  test("fragment: true uses the Fragmented services even for small transfers", async () => {
    const r = await client.read("SCADA[1]", { fragment: true });
    expect((r.reply as { kind: string }).kind).toBe("readTagFragmented");
    expect((await client.write("SCADA[3]", [33], { type: "INT", fragment: true })).ok).toBe(true);
    expect((await client.read("SCADA[3]")).value).toEqual([33]);
  });

  test("Read Modify Write sets and clears bits", async () => {
    await client.write("D", [0x0f0f], { type: "DINT" });
    const or = Uint8Array.of(0xf0, 0, 0, 0);
    const and = Uint8Array.of(0xfe, 0xff, 0xff, 0xff);
    expect((await client.readModifyWrite("D", { orMask: or, andMask: and })).ok).toBe(true);
    expect((await client.read("D")).value).toEqual([0x0ffe]);
  });

  test("Get Attribute Single / All / List, Set Attribute Single, a generic service", async () => {
    const name = await client.getAttributeSingle("@1/1/7", { type: SSTRING });
    expect(name).toMatchObject({ ok: true, value: ["1756-L61/B LOGIX5561"] });
    const all = await client.getAttributesAll("@1/1");
    expect(all.ok).toBe(true);
    expect(decodeIdentityBytes(all.value as Uint8Array).productName).toBe("1756-L61/B LOGIX5561");
    const list = await client.getAttributeList("@1/1", [1, 2, 3], { sizes: { 1: 2, 2: 2, 3: 2 } });
    expect(list.ok).toBe(true);
    expect(list.value?.map((a) => a.id)).toEqual([1, 2, 3]);
    expect(list.value?.[1]?.value).toEqual(Uint8Array.of(0x0e, 0));
    const set = await client.setAttributeSingle("@0x93/3/10", { type: REAL, values: [12.5] });
    expect(set.ok).toBe(true);
    expect((await client.getAttributeSingle("@0x93/3/10", { type: REAL })).value).toEqual([12.5]);
    expect((await client.read("Motor_Velocity")).value).toEqual([12.5]);
    const generic = await client.service(0x0e, "@1/1/7");
    expect(generic.ok).toBe(true);
    expect(generic.value).toEqual(encodeValues(SSTRING, ["1756-L61/B LOGIX5561"]));
    const missing = await client.getAttributeSingle("@1/1/99");
    expect(missing.ok).toBe(false);
    await expect(client.service(0x80, "@1/1")).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  test("ListIdentity, ListServices and ListInterfaces over the session", async () => {
    const identity = (await client.listIdentity()) as CpfItem[];
    expect(identity[0]).toMatchObject({
      kind: "listIdentity",
      productName: "1756-L61/B LOGIX5561",
      vendorId: 1,
    });
    const services = await client.listServices();
    expect(services[0]).toMatchObject({ kind: "listServices", name: "Communications" });
    expect(await client.listInterfaces()).toEqual([]);
  });

  test("many requests in flight at once are matched to their own replies", async () => {
    await client.write(
      "SCADA[0]",
      Array.from({ length: 100 }, (_, i) => i * 7),
      { type: "INT" },
    );
    const reads = await Promise.all(Array.from({ length: 100 }, (_, i) => client.read(`SCADA[${i}]`)));
    expect(reads.map((r) => r.value?.[0])).toEqual(Array.from({ length: 100 }, (_, i) => i * 7));
  });
});

describe("connection management", () => {
  test("forwardOpen and forwardClose switch between connected and unconnected messaging", async () => {
    const client = await EnipClient.connect({ host: "127.0.0.1", port });
    try {
      expect(client.connectionSize).toBeUndefined();
      const open = await client.forwardOpen();
      expect(open).toMatchObject({ ok: true, value: { connectionSize: 4002 } });
      expect(client.connectionSize).toBe(4002);
      expect(client.limits.reply).toBe(4000);
      await client.write("D", [5], { type: "DINT" });
      expect((await client.read("D")).value).toEqual([5]);
      const close = await client.forwardClose();
      expect(close.ok).toBe(true);
      expect(client.connectionSize).toBeUndefined();
      expect((await client.read("D")).value).toEqual([5]);
      await expect(client.forwardClose()).rejects.toBeInstanceOf(InvalidArgumentError);
    } finally {
      await client.close();
    }
  });

  test("a connected session the server drops is rebuilt, Forward Open included, by the next operation", async () => {
    const client = await EnipClient.connect({ host: "127.0.0.1", port, connected: true, reconnect: true });
    try {
      const mine = server.connections().map((c) => c.id);
      for (const id of mine) server.endConnection(id);
      const deadline = performance.now() + 2000;
      while (client.state !== "disconnected" && performance.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 5));
      expect(client.state).toBe("disconnected");
      expect(client.connectionSize).toBeUndefined();
      await client.write("D", [77], { type: "DINT" });
      expect(client.state).toBe("ready");
      expect(client.connectionSize).toBe(4002);
      expect((await client.read("D")).value).toEqual([77]);
    } finally {
      await client.close();
    }
  });

  test("options are validated with messages that name the field", async () => {
    await expect(EnipClient.connect({ host: "", port })).rejects.toThrow(/"host"/);
    await expect(EnipClient.connect({ host: "127.0.0.1", port, timeout: -1 })).rejects.toThrow(/"timeout"/);
    await expect(EnipClient.connect({ host: "127.0.0.1", port, connectionSize: 70000 })).rejects.toThrow(
      /"connectionSize"/,
    );
    const client = await EnipClient.connect({ host: "127.0.0.1", port });
    try {
      await expect(client.read("SCADA[")).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(client.read("SCADA", { elements: 0 })).rejects.toThrow(/"elements"/);
      await expect(client.read("SCADA", { timeout: 0 })).rejects.toThrow(/"timeout"/);
      await expect(client.write("SCADA", [1], { type: "NOTATYPE" })).rejects.toThrow(/unknown type/);
    } finally {
      await client.close();
    }
  });

  test("close() of a connected client sends Forward Close and ends the session; the server sees it go", async () => {
    const client = await EnipClient.connect({ host: "127.0.0.1", port, connected: true });
    const before = server.connections().length;
    expect(before).toBeGreaterThan(0);
    await client.close();
    await client.close();
    expect(client.state).toBe("closed");
    const deadline = performance.now() + 2000;
    while (server.connections().length >= before && performance.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 10));
    expect(server.connections().length).toBeLessThan(before);
  });
});

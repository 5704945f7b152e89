import { once } from "node:events";
import { connect } from "node:net";
import { encodeTcpAdu } from "@cpppo/modbus-codec";
import { type EvilMode, ModbusServer, ModbusStore, parseRegisterRanges } from "../src/index.js";
import { bytes, hex, RawClient } from "./support/client.js";

// These tests wait out quiet periods and delays: generous deadlines for a loaded machine.
jest.setTimeout(30_000);

const ranges = parseRegisterRanges(["40001-40010=0x1234", "1-8=1"]);

async function withEvil(evil: EvilMode, run: (port: number) => Promise<void>): Promise<void> {
  const server = new ModbusServer({ store: ModbusStore.fromRanges(ranges), evil });
  const listener = await server.listenTcp({ host: "127.0.0.1", port: 0 });
  try {
    await run(listener.port);
  } finally {
    await server.close({ deadlineMs: 200 });
  }
}

/** Every byte the server sends for one request until it has sent `atLeast` bytes or goes quiet for `quietMs`. */
async function rawReply(port: number, adu: Uint8Array, quietMs = 300): Promise<Buffer> {
  const socket = connect({ port, host: "127.0.0.1" });
  await once(socket, "connect");
  const chunks: Buffer[] = [];
  socket.on("data", (c: Buffer) => chunks.push(c));
  socket.write(adu);
  let last = -1;
  const deadline = Date.now() + 5000;
  // Wait until something arrived and nothing more came for quietMs (or the 5 s deadline).
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, quietMs));
    const size = chunks.reduce((n, c) => n + c.length, 0);
    if (size > 0 && size === last) break;
    last = size;
  }
  socket.destroy();
  return Buffer.concat(chunks);
}

const READ = encodeTcpAdu(0x0102, 1, bytes("03 0000 0002"));
const FULL = "010200000007010304" + "12341234";

it("truncate sends a prefix of 1…n−1 bytes of each reply", async () => {
  await withEvil({ mode: "truncate" }, async (port) => {
    const lengths = new Set<number>();
    for (let i = 0; i < 12; i++) {
      const got = await rawReply(port, READ, 100);
      expect(got.length).toBeGreaterThanOrEqual(1);
      expect(got.length).toBeLessThan(FULL.length / 2);
      expect(FULL.startsWith(got.toString("hex"))).toBe(true);
      lengths.add(got.length);
    }
    expect(lengths.size).toBeGreaterThan(1);
  });
});

it.each([
  ["transaction", "fefd00000007010304" + "12341234"],
  ["protocol", "0102ffff0007010304" + "12341234"],
  ["unit", "010200000007fe0304" + "12341234"],
  ["function", "01020000000701fc04" + "12341234"],
] as const)("corrupt %s spoils that field", async (field, expected) => {
  await withEvil({ mode: "corrupt", field }, async (port) => {
    expect((await rawReply(port, READ)).toString("hex")).toBe(expected);
  });
});

it("corrupt registers sends one register more or fewer, with a consistent byte count and length", async () => {
  await withEvil({ mode: "corrupt", field: "registers" }, async (port) => {
    const seen = new Set<string>();
    for (let i = 0; i < 16 && seen.size < 2; i++) seen.add((await rawReply(port, READ)).toString("hex"));
    for (const got of seen)
      expect(["010200000005010302" + "1234", "010200000009010306" + "1234123403e7"]).toContain(got);
    expect(seen.size).toBe(2);
    // A write reply gets its address flipped.
    const c = await RawClient.connect(port);
    expect(hex(await c.call(bytes("06 0001 0005")))).toBe("06fffe0005");
    c.close();
  });
}, 30_000);

it("delay holds that connection's replies only: other clients are answered meanwhile", async () => {
  await withEvil({ mode: "delay", minS: 1.5, maxS: 1.5 }, async (port) => {
    const slow = await RawClient.connect(port);
    const started = Date.now();
    const slowReply = slow.call(bytes("03 0000 0001"));
    // While the first client's reply is held, five more clients each get their own delayed reply in parallel.
    const others = await Promise.all([1, 2, 3, 4, 5].map(() => RawClient.connect(port)));
    const replies = await Promise.all(others.map((c) => c.call(bytes("03 0000 0001"))));
    for (const r of replies) expect(hex(r)).toBe("03021234");
    expect(hex(await slowReply)).toBe("03021234");
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(1400);
    // Six replies of 1.5 s each, served one after another, would take 9 s.
    expect(elapsed).toBeLessThan(6000);
    for (const c of [slow, ...others]) c.close();
  });
}, 30_000);

/**
 * A small run of the fuzz script (bench/fuzz.ts): 3,000 header-valid ADUs with mutated PDUs and 400 wholly mutated
 * ADUs at a live server while a normal client writes and reads. Every well-framed request gets exactly one valid
 * reply in order, the server never crashes, and the normal client sees no error.
 */
import { FUZZ_RANGES, FUZZ_UNIT, fuzzServer, NORMAL_RANGES, NORMAL_UNIT } from "../bench/fuzz-engine.js";
import { ModbusServer, ModbusStore, parseRegisterRanges } from "../src/index.js";
import { RawClient } from "./support/client.js";

it("survives thousands of mutated ADUs while a normal client reads and writes without error", async () => {
  const server = new ModbusServer({
    units: new Map([
      [NORMAL_UNIT, ModbusStore.fromRanges(parseRegisterRanges(NORMAL_RANGES))],
      [FUZZ_UNIT, ModbusStore.fromRanges(parseRegisterRanges(FUZZ_RANGES))],
    ]),
    partialFrameTimeout: 1,
  });
  const listener = await server.listenTcp({ host: "127.0.0.1", port: 0 });
  try {
    const report = await fuzzServer(listener.port, { batches: 60, rawRounds: 20, seed: 0xc0ffee });
    expect(report.failure).toBeUndefined();
    expect(report.sent).toBe(3000);
    expect(report.answered).toBe(3000);
    expect(report.raw.reply + report.raw.closed + report.raw.silent).toBe(400);
    expect(report.normalRounds).toBeGreaterThan(0);
    expect(report.normalErrors).toBe(0);
    // The server still answers a fresh client.
    const c = await RawClient.connect(listener.port);
    expect(
      Buffer.from(await c.call({ fc: 3, address: 0, quantity: 1 }, NORMAL_UNIT)).toString("hex"),
    ).toMatch(/^0302/);
    c.close();
  } finally {
    await server.close({ deadlineMs: 500 });
  }
}, 120_000);

import { main } from "../src/enip-client.js";
import { legacyCommand } from "../src/legacy.js";
import { run } from "./support/run.js";
import { type Simulator, startSimulator } from "./support/simulator.js";

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator([]);
});
afterAll(async () => {
  await sim.server.close();
});

const REPLY = { kind: "legacyReply", version: 1, ipString: "127.0.0.1" };

test("over TCP the first reply answers", async () => {
  const replies = await legacyCommand({ host: "127.0.0.1", port: sim.port, timeout: 2000, udp: false });
  expect(replies).toEqual([
    { address: "127.0.0.1", port: sim.port, items: [expect.objectContaining(REPLY)] },
  ]);
});

test("over UDP replies are collected until the timeout", async () => {
  const replies = await legacyCommand({ host: "127.0.0.1", port: sim.port, timeout: 300, udp: true });
  expect(replies).toEqual([
    { address: "127.0.0.1", port: sim.port, items: [expect.objectContaining(REPLY)] },
  ]);
});

test("no device: no replies, and enip-client -L exits 1", async () => {
  const closed = await startSimulator([]);
  await closed.server.close();
  expect(await legacyCommand({ host: "127.0.0.1", port: closed.port, timeout: 300, udp: false })).toEqual([]);
  expect((await run(main, ["-a", closed.address, "-u", "-L", "1", "-t", "0.2"])).code).toBe(1);
});

test("enip-client -L 0x0001 prints the reply line", async () => {
  const r = await run(main, ["-a", sim.address, "-L", "0x0001"]);
  expect(r.code).toBe(0);
  expect(r.lines).toHaveLength(1);
  expect(r.lines[0]).toMatch(/^Legacy 0x0001 {2}0 from \('127\.0\.0\.1', \d+\): \[\{"kind":"legacyReply"/);
});

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
  const r = await run(main, ["-a", closed.address, "-u", "-L", "1", "-t", "0.2"]);
  expect(r.code).toBe(1);
  expect(r.stderr).toBe(`enip-client: no Legacy 0x0001 reply from 127.0.0.1:${closed.port} within 0.2s\n`);
});

test("enip-client -L 0x0001 prints cpppo's dotted-key block of the reply", async () => {
  const r = await run(main, ["-a", sim.address, "-L", "0x0001"]);
  expect(r.code).toBe(0);
  expect(r.lines).toEqual([
    `Legacy 0x0001  0 from ('127.0.0.1', ${sim.port}): {`,
    "    'count':                        1,",
    "    'item[0].type_id':              1,",
    "    'item[0].length':               36,",
    "    'item[0].legacy_CPF_0x0001.version': 1,",
    "    'item[0].legacy_CPF_0x0001.unknown_1': 0,",
    "    'item[0].legacy_CPF_0x0001.sin_family': 2,",
    `    'item[0].legacy_CPF_0x0001.sin_port': ${sim.port},`,
    "    'item[0].legacy_CPF_0x0001.sin_addr': '127.0.0.1',",
    "    'item[0].legacy_CPF_0x0001.ip_address': '127.0.0.1',",
    "}",
  ]);
});

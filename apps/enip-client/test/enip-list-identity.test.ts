import { main } from "../src/enip-list-identity.js";
import { run } from "./support/run.js";
import { type Simulator, startSimulator } from "./support/simulator.js";

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator([]);
});
afterAll(async () => {
  await sim.server.close();
});

test("unicast ListIdentity prints the device's reply line", async () => {
  const r = await run(main, ["-a", sim.address, "-t", "0.3"]);
  expect(r.code).toBe(0);
  expect(r.lines).toHaveLength(1);
  expect(r.lines[0]).toMatch(/^List Identity {2}0 from \('127\.0\.0\.1', \d+\): \[\{"kind":"listIdentity"/);
});

test("-n stops at the first reply; --json prints objects; --list-services asks ListServices", async () => {
  const started = performance.now();
  const r = await run(main, [sim.address, "-n", "1", "-t", "5", "--json"]);
  expect(performance.now() - started).toBeLessThan(4000);
  expect(JSON.parse(r.lines[0] as string)).toMatchObject({ address: "127.0.0.1", port: sim.port });
  const s = await run(main, ["-a", sim.address, "-t", "0.3", "--list-services"]);
  expect(s.lines[0]).toMatch(/^List Services {2}0 from .*"listServices"/);
});

test("no reply exits 1; bad arguments exit 2", async () => {
  const closed = await startSimulator([]);
  await closed.server.close();
  expect((await run(main, ["-a", closed.address, "-t", "0.2"])).code).toBe(1);
  expect((await run(main, ["-t", "0"])).code).toBe(2);
  expect((await run(main, ["a", "b"])).code).toBe(2);
});

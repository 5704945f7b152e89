import { main } from "../src/enip-list-identity.js";
import { identityBlock } from "./support/cpppo.js";
import { run } from "./support/run.js";
import { type Simulator, startSimulator } from "./support/simulator.js";

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator([]);
});
afterAll(async () => {
  await sim.server.close();
});

test("unicast ListIdentity prints the device's reply as cpppo's dotted-key block", async () => {
  const r = await run(main, ["-a", sim.address, "-t", "0.3"]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  expect(r.stdout).toBe(`${identityBlock(sim.port).join("\n")}\n`);
});

test("-n stops at the first reply; --json prints objects; --list-services asks ListServices", async () => {
  const started = performance.now();
  const r = await run(main, [sim.address, "-n", "1", "-t", "5", "--json"]);
  expect(performance.now() - started).toBeLessThan(4000);
  expect(JSON.parse(r.lines[0] as string)).toMatchObject({
    command: "List Identity",
    index: 0,
    address: "127.0.0.1",
    port: sim.port,
    items: [expect.objectContaining({ kind: "listIdentity", productName: "1756-L61/B LOGIX5561" })],
  });
  expect(r.lines).toHaveLength(1);
  const s = await run(main, ["-a", sim.address, "-t", "0.3", "--list-services"]);
  expect(s.lines[0]).toBe(`List Services  0 from ('127.0.0.1', ${sim.port}): {`);
  expect(s.lines).toContain("    'item[0].communications_service.service_name': 'Communications',");
});

test("no reply exits 1; bad arguments exit 2", async () => {
  const closed = await startSimulator([]);
  await closed.server.close();
  const none = await run(main, ["-a", closed.address, "-t", "0.2"]);
  expect(none.code).toBe(1);
  expect(none.stderr).toBe(
    `enip-list-identity: no List Identity reply from 127.0.0.1:${closed.port} within 0.2s\n`,
  );
  // A source address this machine does not have: one line naming it and the flag.
  const unbound = await run(main, ["-a", sim.address, "-s", "192.0.2.1", "-t", "0.2"]);
  expect(unbound.code).toBe(1);
  expect(unbound.stderr).toMatch(
    new RegExp(
      `^enip-list-identity: cannot send List Identity to 127\\.0\\.0\\.1:${sim.port} from 192\\.0\\.2\\.1 \\(-s\\): \\S.*\\n$`,
    ),
  );
  expect(unbound.stderr).not.toContain("Error:");
  expect((await run(main, ["-t", "0"])).code).toBe(2);
  expect((await run(main, ["a", "b"])).code).toBe(2);
});

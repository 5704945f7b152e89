import { main as clientMain } from "../src/enip-client.js";
import { GATEWAYS, main } from "../src/enip-poll.js";
import { run } from "./support/run.js";
import { type Simulator, startSimulator } from "./support/simulator.js";

let sim: Simulator;
beforeAll(async () => {
  // cpppo's poll_test PowerFlex: DPI parameters at class 0x93, attribute 10.
  sim = await startSimulator([
    "Output_Current@0x93/7/10=REAL",
    "Motor_Velocity@0x93/3/10=REAL",
    "Speed_Units@0x93/300/10=DINT",
    "SCADA=INT[10]",
    "FLOAT=REAL",
  ]);
});
afterAll(async () => {
  await sim.server.close();
});

test("polls cpppo's default parameters and prints '%15s: %r' per value", async () => {
  const r = await run(main, ["-a", sim.address, "-c", "0.02", "-n", "2"]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  expect(r.lines).toEqual([
    " Output Current: 0.0",
    " Motor Velocity: 0.0",
    " Output Current: 0.0",
    " Motor Velocity: 0.0",
  ]);
});

test("named and built-in parameters, and raw addresses with -p", async () => {
  const r = await run(main, [
    "-a",
    sim.address,
    "-n",
    "1",
    "speed_units",
    "Product Name",
    "-p",
    "@0x93/7/10",
  ]);
  expect(r.code).toBe(0);
  expect(r.lines[0]).toBe("    speed_units: 0");
  expect(r.lines[1]).toMatch(/^ {3}Product Name: '.+'$/);
  expect(r.lines[2]).toBe("     @0x93/7/10: [0, 0, 0, 0]");
});

test("no server: every poll fails, backs off, and the run exits 1", async () => {
  const closed = await startSimulator([]);
  await closed.server.close();
  const r = await run(main, ["-a", closed.address, "-c", "0.01", "-t", "0.5", "-n", "3"]);
  expect(r.code).toBe(1);
  expect(r.stderr.trimEnd().split("\n")).toHaveLength(3);
  // Each line names the target once (the library's message already does).
  for (const line of r.stderr.trimEnd().split("\n"))
    expect(line).toMatch(new RegExp(`^enip-poll: cannot connect to 127\\.0\\.0\\.1:${closed.port}: [^]*$`));
  expect(r.stderr.split("cannot connect to")).toHaveLength(4);
});

test("--pass-thru polls Logix tags with Read Tag, beside named parameters", async () => {
  expect((await run(clientMain, ["-a", sim.address, "SCADA[1-2]=7,8"])).code).toBe(0);
  const r = await run(main, [
    "-a",
    sim.address,
    "-n",
    "2",
    "-c",
    "0.02",
    "-p",
    "SCADA[1-2]",
    "FLOAT",
    "Output Current",
  ]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  expect(r.lines).toEqual([
    "     SCADA[1-2]: [7, 8]",
    "          FLOAT: [0.0]",
    " Output Current: 0.0",
    "     SCADA[1-2]: [7, 8]",
    "          FLOAT: [0.0]",
    " Output Current: 0.0",
  ]);
  // A tag that does not exist is a failed poll value, not a usage error.
  const missing = await run(main, ["-a", sim.address, "-n", "1", "-p", "NOPE"]);
  expect(missing.code).toBe(1);
  expect(missing.lines[0]).toMatch(/^ {11}NOPE: 'Status 4: .+'$/);
});

test("aborting stops the poller", async () => {
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 100);
  const r = await run(main, ["-a", sim.address, "-c", "0.02"], { signal: controller.signal });
  expect(r.code).toBe(0);
  expect(r.lines.length).toBeGreaterThanOrEqual(2);
});

test("the PowerFlex table has cpppo's parameters", () => {
  expect(Object.keys(GATEWAYS.powerflex_750_series ?? {})).toEqual(
    expect.arrayContaining([
      "output_current",
      "motor_velocity",
      "dc_bus_volts",
      "elapsed_run_time",
      "speed_units",
    ]),
  );
});

test.each([
  [["-g", "nonesuch"], "unknown gateway"],
  [["Frobnication"], 'unknown parameter "Frobnication"'],
  [["-c", "0"], '"--cycle"'],
  [["-n", "0"], '"--count"'],
])("%j → exit 2", async (argv, fragment) => {
  const r = await run(main, ["-a", sim.address, ...argv]);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain(fragment);
});

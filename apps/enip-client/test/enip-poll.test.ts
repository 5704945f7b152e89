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
  expect(r.stderr).toContain(`enip-poll: 127.0.0.1:${closed.port}:`);
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

import { main, percentile } from "../src/enip-thruput.js";
import { run } from "./support/run.js";
import { type Simulator, startSimulator } from "./support/simulator.js";

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator(["SCADA=INT[1000]"]);
});
afterAll(async () => {
  await sim.server.close();
});

const SUMMARY =
  /^(\d+) operations using (\d+) requests in (\d+\.\d\d)s at pipeline depth (\d+); (\d+\.\d) TPS$/;
const LATENCY = /^latency ms: p50 \d+\.\d{3}, p90 \d+\.\d{3}, p99 \d+\.\d{3}, max \d+\.\d{3}$/;

test("prints cpppo's summary and the latency percentiles; one request per operation without packing", async () => {
  const r = await run(main, ["-a", sim.address, "-r", "50", "SCADA[0-9]", "SCADA[1]"]);
  expect(r.code).toBe(0);
  expect(r.stdout).not.toContain("\r");
  expect(r.lines).toHaveLength(2);
  const m = SUMMARY.exec(r.lines[0] as string) as RegExpExecArray;
  expect(m).not.toBeNull();
  expect(m.slice(1, 3)).toEqual(["100", "100"]);
  expect(m[4]).toBe("1");
  expect(r.lines[1]).toMatch(LATENCY);
});

test("packing with -m puts many operations in each request; -d pipelines", async () => {
  const r = await run(main, ["-a", sim.address, "-d", "5", "-m", "500", "-r", "200", "SCADA[1]"]);
  expect(r.code).toBe(0);
  const m = SUMMARY.exec(r.lines[0] as string) as RegExpExecArray;
  expect(Number(m[1])).toBe(200);
  expect(Number(m[2])).toBeLessThan(50);
  expect(Number(m[2])).toBeGreaterThan(0);
  expect(m[4]).toBe("5");
});

test("a live progress line is drawn only on a terminal", async () => {
  const r = await run(main, ["-a", sim.address, "-r", "3", "SCADA[1]"], { tty: true });
  expect(r.code).toBe(0);
  expect(r.stdout).toContain("\r");
  expect(r.stdout).toMatch(/3 operations using 3 requests/);
});

test("-v prints <timestamp>: <index>: <value> per operation", async () => {
  const r = await run(main, ["-a", sim.address, "-v", "-r", "2", "SCADA[0-1]"]);
  expect(r.stderr).toMatch(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}: 0: \[\d+, \d+\]/);
  expect(r.stderr).toMatch(/: 1: \[\d+, \d+\]/);
});

test("failed operations: how many and why on stderr, exit 1", async () => {
  const r = await run(main, ["-a", sim.address, "-r", "3", "NOPE", "SCADA[0]", "SCADA[2000]"]);
  expect(r.code).toBe(1);
  expect(r.lines[0]).toMatch(/^9 operations using 9 requests/);
  expect(r.stderr).toBe(
    "enip-thruput: 6 of 9 operations failed: 3 × Path segment error (0x04), extended 0x0000; " +
      "3 × General error (0xff), extended 0x2105: number of elements extends beyond the end of the requested tag\n",
  );
});

test("a refused connection is said once", async () => {
  const closed = await startSimulator([]);
  await closed.server.close();
  const r = await run(main, ["-a", closed.address, "-t", "1", "SCADA[0]"]);
  expect(r.code).toBe(1);
  expect(r.stderr.split("cannot connect to")).toHaveLength(2);
});

test("failures exit 1; bad arguments exit 2", async () => {
  expect((await run(main, ["-a", sim.address, "NOPE"])).code).toBe(1);
  expect((await run(main, ["-a", sim.address])).code).toBe(2);
  expect((await run(main, ["-a", sim.address, "-m", "x", "A"])).code).toBe(2);
});

test("percentile is nearest-rank", () => {
  const sorted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  expect(percentile(sorted, 50)).toBe(5);
  expect(percentile(sorted, 90)).toBe(9);
  expect(percentile(sorted, 100)).toBe(10);
  expect(percentile(sorted, 0)).toBe(1);
  expect(percentile([], 50)).toBe(0);
});

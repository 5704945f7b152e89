// The cyclic poller against the real simulator: cadence, failure reporting, exponential back-off (with an injected
// sleep so no test waits for real back-off), reconnection after the server drops the session, and stopping.
import type { EnipServer } from "@cpppo/enip-server";
import fc from "fast-check";
import { EnipClient } from "../src/client.js";
import { InvalidArgumentError, SessionClosedError } from "../src/core/errors.js";
import { backoffDelay, poll } from "../src/poll.js";
import type { ParameterResult } from "../src/proxy.js";
import { startSimulator } from "./support/simulator.js";

let server: EnipServer;
let port: number;

beforeAll(async () => {
  ({ server, port } = await startSimulator(["Motor_Velocity@0x93/3/10=REAL"]));
});

afterAll(async () => {
  await server.close();
});

test("backoffDelay grows by the multiplier from the minimum and stops at the maximum", () => {
  expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, 100, 2, 1000))).toEqual([
    100, 200, 400, 800, 1000, 1000,
  ]);
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 60 }),
      fc.double({ min: 1, max: 1000, noNaN: true }),
      fc.double({ min: 1, max: 4, noNaN: true }),
      (n, min, multiplier) => {
        const max = min * 10;
        const d = backoffDelay(n, min, multiplier, max);
        expect(d).toBeGreaterThanOrEqual(min);
        expect(d).toBeLessThanOrEqual(max);
        expect(backoffDelay(n + 1, min, multiplier, max)).toBeGreaterThanOrEqual(d);
      },
    ),
  );
});

test("polls on its cycle, hands every result to process, and stops when aborted", async () => {
  const controller = new AbortController();
  const seen: ParameterResult[][] = [];
  const started = performance.now();
  const done = poll({
    connect: { host: "127.0.0.1", port },
    parameters: ["Product Name", "motor_velocity"],
    definitions: {
      "Motor Velocity": {
        path: "@0x93/3/10",
        decode: (d) => new DataView(d.buffer, d.byteOffset).getFloat32(0, true),
        units: "Hz",
      },
    },
    cycle: 40,
    process: (results) => {
      seen.push(results);
      if (seen.length === 4) controller.abort();
    },
    failure: (error) => {
      throw error;
    },
    signal: controller.signal,
  });
  await done;
  const elapsed = performance.now() - started;
  expect(seen).toHaveLength(4);
  expect(elapsed).toBeGreaterThanOrEqual(3 * 40 - 5);
  expect(elapsed).toBeLessThan(2000);
  expect(seen[0]?.[0]).toMatchObject({ name: "Product Name", ok: true, value: "1756-L61/B LOGIX5561" });
  expect(seen[0]?.[1]).toMatchObject({ name: "motor_velocity", ok: true, value: 0, units: "Hz" });
});

test("failures are reported and retried with exponential back-off until the device answers", async () => {
  const probe = await startSimulator();
  const deadPort = probe.port;
  await probe.server.close();
  const controller = new AbortController();
  const delays: number[] = [];
  const failures: unknown[] = [];
  let attempts = 0;
  await poll({
    connect: () => {
      attempts++;
      // The first four connections go to a port nobody listens on; then the real simulator answers.
      return EnipClient.connect({
        host: "127.0.0.1",
        port: attempts <= 4 ? deadPort : port,
        connectTimeout: 500,
      });
    },
    parameters: ["identity"],
    cycle: 10,
    backoffMin: 100,
    backoffMultiplier: 2,
    backoffMax: 500,
    process: (results) => {
      expect(results[0]?.ok).toBe(true);
      controller.abort();
    },
    failure: (error) => failures.push(error),
    sleep: async (ms) => {
      delays.push(ms);
    },
    signal: controller.signal,
  });
  expect(failures).toHaveLength(4);
  for (const f of failures) expect(f).toBeInstanceOf(SessionClosedError);
  expect(delays.slice(0, 4)).toEqual([100, 200, 400, 500]);
  expect(attempts).toBe(5);
});

test("a session the server drops is rebuilt on the next poll", async () => {
  const controller = new AbortController();
  const failures: unknown[] = [];
  let polls = 0;
  let connects = 0;
  await poll({
    connect: () => {
      connects++;
      return EnipClient.connect({ host: "127.0.0.1", port });
    },
    parameters: ["product_name"],
    cycle: 20,
    backoffMin: 20,
    process: () => {
      polls++;
      if (polls === 2) for (const c of server.connections()) server.endConnection(c.id);
      if (polls === 4) controller.abort();
    },
    failure: (error) => failures.push(error),
    signal: controller.signal,
  });
  expect(polls).toBe(4);
  expect(failures.length).toBeGreaterThanOrEqual(1);
  expect(connects).toBeGreaterThanOrEqual(2);
});

test("options are validated, and unknown parameters name the known ones", async () => {
  const base = { connect: { host: "127.0.0.1", port }, parameters: ["identity"], process: () => undefined };
  await expect(poll({ ...base, cycle: 0 })).rejects.toBeInstanceOf(InvalidArgumentError);
  await expect(poll({ ...base, backoffMultiplier: 0.5 })).rejects.toThrow(/"backoffMultiplier"/);
  const controller = new AbortController();
  const failures: unknown[] = [];
  await poll({
    ...base,
    parameters: ["no such thing"],
    failure: (e) => {
      failures.push(e);
      controller.abort();
    },
    signal: controller.signal,
  });
  expect(String(failures[0])).toMatch(/unknown parameter "no such thing"; known: .*product_name/);
});

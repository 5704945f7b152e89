// The client removes every listener it adds to a caller's AbortSignal: one signal reused for many connect/close
// cycles (as `poll()` does on every reconnect) and for many requests ends with no listener and no leak warning.
import { getEventListeners } from "node:events";
import { EnipClient } from "../src/client.js";
import { addAbortListener } from "../src/core/abort.js";
import { AbortError } from "../src/core/errors.js";
import { type Simulator, startSimulator } from "./support/simulator.js";

let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator(["D=DINT"]);
});

afterAll(async () => {
  await sim.server.close();
});

test("addAbortListener: the listener fires once on abort, and the disposer removes it", () => {
  const controller = new AbortController();
  let fired = 0;
  const dispose = addAbortListener(controller.signal, () => fired++);
  expect(getEventListeners(controller.signal, "abort")).toHaveLength(1);
  dispose();
  dispose();
  expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  addAbortListener(controller.signal, () => fired++);
  controller.abort();
  controller.abort();
  expect(fired).toBe(1);
  expect(() => addAbortListener(undefined, () => fired++)()).not.toThrow();
});

// Node prints MaxListenersExceededWarning once a signal holds more than 10 listeners (jest's sandboxed `process`
// does not see it): the count never passing 1 is what keeps it silent.
test("100 connect/close cycles on one signal leave no listener, and never more than one at a time", async () => {
  const controller = new AbortController();
  const signal = controller.signal;
  let peak = 0;
  for (let i = 0; i < 100; i++) {
    const client = await EnipClient.connect({ host: "127.0.0.1", port: sim.port, signal });
    await client.read("D", { signal });
    peak = Math.max(peak, getEventListeners(signal, "abort").length);
    await client.close();
    expect(getEventListeners(signal, "abort")).toHaveLength(0);
  }
  expect(peak).toBe(1);
  expect(getEventListeners(signal, "abort")).toHaveLength(0);
});

test("requests on one signal remove their listeners whether they succeed, fail or time out", async () => {
  const controller = new AbortController();
  const client = await EnipClient.connect({ host: "127.0.0.1", port: sim.port });
  try {
    const signal = controller.signal;
    await Promise.all(Array.from({ length: 8 }, () => client.read("D", { signal })));
    await client.read("NOPE", { signal });
    await client.ready({ signal });
    expect(getEventListeners(signal, "abort")).toHaveLength(0);
    const pending = client.read("D", { signal });
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(AbortError);
    expect(getEventListeners(signal, "abort")).toHaveLength(0);
  } finally {
    await client.close();
  }
});

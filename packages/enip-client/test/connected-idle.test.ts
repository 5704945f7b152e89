// A device drops a class 3 connection that carried nothing for RPI × timeout multiplier, and then drops the
// requests sent on it without a reply. The client opens a new connection after half that silence, before it sends.
import type { EnipServer } from "@cpppo/enip-server";
import { clientChannel } from "../src/core/diagnostics.js";
import { EnipClient } from "../src/index.js";
import { startSimulator } from "./support/simulator.js";

let server: EnipServer;
let port: number;
const opened: unknown[] = [];
const onEvent = (message: unknown): void => {
  if ((message as { event?: string }).event === "forwardOpen") opened.push(message);
};

beforeAll(async () => {
  ({ server, port } = await startSimulator(["SCADA=INT[10]"]));
  clientChannel.subscribe(onEvent);
});
afterAll(async () => {
  clientChannel.unsubscribe(onEvent);
  await server.close();
});
beforeEach(() => {
  opened.length = 0;
});

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

test("after a silence past the device's watchdog, the next read opens a new connection and succeeds", async () => {
  // RPI 25 ms × 8: the simulator drops the connection after 200 ms without traffic.
  const plc = await EnipClient.connect({ host: "127.0.0.1", port, connected: true, rpi: 25, timeout: 1000 });
  try {
    expect(await plc.write("SCADA[1]", [7], { type: "INT" })).toMatchObject({ ok: true });
    await pause(400);
    expect(await plc.read("SCADA[1]")).toMatchObject({ ok: true, value: [7] });
    expect(opened).toHaveLength(2);
    // Many requests at once after a silence share one new connection.
    await pause(400);
    const reads = await Promise.all([0, 1, 2, 3].map(() => plc.read("SCADA[1]")));
    for (const r of reads) expect(r).toMatchObject({ ok: true, value: [7] });
    expect(opened).toHaveLength(3);
  } finally {
    await plc.close();
  }
});

test("a client that keeps sending keeps its connection", async () => {
  const plc = await EnipClient.connect({ host: "127.0.0.1", port, connected: true, rpi: 250, timeout: 1000 });
  try {
    // Half the watchdog is 1 s; a read every 50 ms for 1.5 s never lets the connection idle that long.
    const until = Date.now() + 1500;
    while (Date.now() < until) {
      expect(await plc.read("SCADA[0]")).toMatchObject({ ok: true });
      await pause(50);
    }
    expect(opened).toHaveLength(1);
  } finally {
    await plc.close();
  }
});

test('"rpi" must be a positive number of milliseconds', async () => {
  await expect(
    EnipClient.connect({ host: "127.0.0.1", port, connected: true, rpi: 0 }),
  ).rejects.toMatchObject({
    code: "ERR_INVALID_ARG",
  });
});

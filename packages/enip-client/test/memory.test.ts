// The in-memory transport pair: the client against the simulator's real controller logic (`Controller.execute`)
// with no socket, and each fault hook (drop, delay, corrupt, close) doing what it says to a request.
import {
  type CipRequest,
  decodeEnipMessage,
  type EnipMessage,
  encodeEncapsulation,
  encodeSendRRData,
} from "@cpppo/cip-codec";
import { Controller } from "@cpppo/enip-server";
import { EnipClient } from "../src/client.js";
import { ProtocolError, RequestTimeoutError, SessionClosedError } from "../src/core/errors.js";
import { type MemoryPeer, memoryTransportPair } from "../src/transport/memory.js";

const SESSION = 0x2a;

/**
 * A device over the memory link: registers sessions and answers each SendRRData with `controller.execute` of its
 * CIP request (the client runs "simple": no route, no Unconnected Send to unwrap).
 */
function controllerDevice(controller: Controller): (frame: Uint8Array, peer: MemoryPeer) => void {
  return (frame, peer) => {
    const request: EnipMessage = decodeEnipMessage(frame);
    const senderContext = request.header.senderContext.slice();
    if (request.body.command === "registerSession") {
      peer.send(
        encodeEncapsulation({
          header: { session: SESSION, senderContext },
          body: { command: "registerSession", protocolVersion: 1, optionFlags: 0 },
        }),
      );
      return;
    }
    if (request.body.command !== "sendRRData" || request.cip === undefined) return;
    const reply = controller.execute(request.cip as CipRequest);
    peer.send(encodeSendRRData({ session: SESSION, senderContext, message: reply }));
  };
}

function simulated(): { link: ReturnType<typeof memoryTransportPair>; connect: () => Promise<EnipClient> } {
  const controller = new Controller({ tags: ["SCADA=INT[100]", "D=DINT"] });
  const link = memoryTransportPair(controllerDevice(controller));
  const connect = () =>
    EnipClient.connect({
      host: "plc",
      routePath: false,
      sendPath: "",
      timeout: 300,
      transport: link.transport,
    });
  return { link, connect };
}

test("the client reads, writes and pipelines against the real controller logic with no socket", async () => {
  const { link, connect } = simulated();
  const client = await connect();
  try {
    expect(client.state).toBe("ready");
    expect(client.sessionHandle).toBe(SESSION);
    expect((await client.write("SCADA[1]", [99], { type: "INT" })).ok).toBe(true);
    const r = await client.read("SCADA[0]", { elements: 3 });
    expect(r).toMatchObject({ ok: true, value: [0, 99, 0], type: 0xc3 });
    const ops = Array.from({ length: 30 }, (_, i) => ({
      method: "read" as const,
      path: [{ symbolic: "SCADA" }, { element: i }],
    }));
    const values = await client.results(ops, { depth: 4, multiple: true });
    expect(values[1]).toEqual([99]);
    expect(values).toHaveLength(30);
    expect(link.peers).toHaveLength(1);
    expect(link.written.length).toBeGreaterThan(3);
    const missing = await client.read("NOPE");
    expect(missing.ok).toBe(false);
  } finally {
    await client.close();
  }
  // The link ends on the next turn, after what was queued (as a TCP half-close does).
  await new Promise((resolve) => setImmediate(resolve));
  expect(link.peers[0]?.closed).toBe(true);
});

test("drop: a lost request times out, and the next one goes through", async () => {
  const { link, connect } = simulated();
  const client = await connect();
  try {
    let dropped = 0;
    link.faults.drop = () => dropped++ === 0;
    await expect(client.read("D", { timeout: 50 })).rejects.toBeInstanceOf(RequestTimeoutError);
    expect(client.inFlight).toBe(0);
    expect((await client.read("D")).ok).toBe(true);
  } finally {
    await client.close();
  }
});

test("delay: a late reply still arrives within the timeout, and one later than it times out", async () => {
  const { link, connect } = simulated();
  const client = await connect();
  try {
    link.faults.delay = () => 40;
    const started = performance.now();
    expect((await client.read("D", { timeout: 500 })).ok).toBe(true);
    expect(performance.now() - started).toBeGreaterThanOrEqual(35);
    link.faults.delay = () => 200;
    await expect(client.read("D", { timeout: 60 })).rejects.toBeInstanceOf(RequestTimeoutError);
  } finally {
    await client.close();
  }
});

test("corrupt: a reply whose CIP is garbled fails only its own request, with ProtocolError", async () => {
  const { link, connect } = simulated();
  const client = await connect();
  try {
    // The reply service byte (first byte of the CIP reply, at 40 in a SendRRData) no longer answers the request.
    link.faults.corrupt = (bytes) => {
      bytes[40] = 0x81;
      return bytes;
    };
    await expect(client.read("D")).rejects.toBeInstanceOf(ProtocolError);
    link.faults.corrupt = undefined;
    expect((await client.read("D")).ok).toBe(true);
  } finally {
    await client.close();
  }
});

test("close: the link breaking fails what is pending with SessionClosedError, and reconnect rebuilds it", async () => {
  const controller = new Controller({ tags: ["D=DINT"] });
  const link = memoryTransportPair(controllerDevice(controller));
  const client = await EnipClient.connect({
    host: "plc",
    routePath: false,
    sendPath: "",
    reconnect: true,
    transport: link.transport,
  });
  try {
    link.faults.close = () => new Error("cable pulled");
    const error = await client.read("D").then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SessionClosedError);
    expect((error as Error).cause).toBeInstanceOf(Error);
    expect(client.state).toBe("disconnected");
    link.faults.close = undefined;
    expect((await client.read("D")).ok).toBe(true);
    expect(link.peers).toHaveLength(2);
  } finally {
    await client.close();
  }
});

test("refuse: a device that is not there fails the connect", async () => {
  const link = memoryTransportPair(() => undefined, { refuse: new SessionClosedError("no device") });
  await expect(EnipClient.connect({ host: "plc", transport: link.transport })).rejects.toThrow(/no device/);
});

/**
 * The `modbus-poller` part: it polls a `modbus` part listed before it (its values are trace variables) and mirrors
 * them into an `enip` part's tags, read back by a real EtherNet/IP client (a gateway); it polls an external server,
 * whose connection it closes on StopPLC with no timer or socket left; forcing its variable writes to the server.
 */
import { EnipClient } from "@cpppo/enip-client";
import { ModbusServer, ModbusStore, parseRegisterRanges } from "@cpppo/modbus-server";
import { RuntimeObject } from "../src/index.js";
import { canConnect, partPorts, removeWorkdirs, transfer, workdir } from "./support/helpers.js";
import { criticals, handles, handlesLeftOver, statusBecomes, traceUntil } from "./support/parts.js";

// Real servers and clients on a shared 2-core machine: generous, never a hang (each wait has its own deadline).
jest.setTimeout(60_000);

const opened: RuntimeObject[] = [];
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  for (const r of opened.splice(0)) await r.quit();
  await removeWorkdirs();
});

async function open(): Promise<RuntimeObject> {
  const runtime = await RuntimeObject.open({ workdir: await workdir() });
  opened.push(runtime);
  return runtime;
}

/** A Modbus/TCP server on a free port with `ranges`; closed after the test. */
async function modbusServer(ranges: string[]): Promise<{ server: ModbusServer; port: number }> {
  const server = new ModbusServer({ store: ModbusStore.fromRanges(parseRegisterRanges(ranges)) });
  const listener = await server.listenTcp({ host: "127.0.0.1", port: 0 });
  closers.push(() => server.close({ deadlineMs: 1000 }));
  return { server, port: listener.port };
}

/** Resolves once `server` has `count` connections (10 s deadline). */
async function connections(server: ModbusServer, count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (server.connectionCount !== count) {
    if (Date.now() > deadline) throw new Error(`${server.connectionCount} connections, not ${count}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const GATEWAY = {
  parts: [
    { kind: "modbus", name: "mb", port: 0, ranges: ["40001-40004=7", "1-4=1,0"] },
    { kind: "enip", name: "plc", port: 0, tags: ["SCADA=INT[6]", "FLAGS=BOOL[4]"] },
    {
      kind: "modbus-poller",
      name: "poll",
      part: "mb",
      ranges: ["40001-40004", "1-4"],
      rate: 0.05,
      mirror: { part: "plc", tags: { "40001-40004": "SCADA[2]", "1-4": "FLAGS" } },
    },
  ],
};

describe("modbus-poller part", () => {
  it("polls the modbus part listed before it and mirrors the values into enip tags (a gateway)", async () => {
    const runtime = await open();
    expect(await transfer(runtime, GATEWAY, 256)).toBe(true);
    expect(await runtime.StartPLC()).toBe(true);
    const names = ["poll.40001-40004", "poll.1-4", "poll.online", "plc.SCADA", "plc.FLAGS"];
    const polled = [[7, 7, 7, 7], [1, 0, 1, 0], true, [0, 0, 7, 7, 7, 7], [true, false, true, false]];
    expect(await traceUntil(runtime, names, polled)).toEqual(polled);
    // A value changes in the modbus part: the poller sees it, and the gateway writes it into the tag (INT signed).
    const all = await runtime.TraceableVariables();
    await runtime.SetTraceVariablesList([[all.indexOf("mb.40001-40004"), [1, 2, 3, 65535]]]);
    const mirrored = [
      [1, 2, 3, 65535],
      [0, 0, 1, 2, 3, -1],
    ];
    expect(await traceUntil(runtime, ["poll.40001-40004", "plc.SCADA"], mirrored)).toEqual(mirrored);
    const client = await EnipClient.connect({
      host: "127.0.0.1",
      port: (await partPorts(runtime)).get("plc") as number,
      routePath: false,
    });
    closers.push(() => client.close());
    expect((await client.read("SCADA[2]", { elements: 4 })).value).toEqual([1, 2, 3, -1]);
    expect(await runtime.StopPLC()).toBe(true);
  });

  it("polls an external server, forcing writes to it, and closes its connection and timers on StopPLC", async () => {
    const { server, port } = await modbusServer(["40001-40003=5", "30001=9"]);
    const runtime = await open();
    const program = {
      parts: [{ kind: "modbus-poller", name: "poll", port, ranges: ["40001-40003", "30001"], rate: 0.05 }],
    };
    expect(await transfer(runtime, program)).toBe(true);
    const before = handles();
    expect(await runtime.StartPLC()).toBe(true);
    expect(await traceUntil(runtime, ["poll.40001-40003", "poll.30001"], [[5, 5, 5], 9])).toEqual([
      [5, 5, 5],
      9,
    ]);
    await connections(server, 1);
    const all = await runtime.TraceableVariables();
    await runtime.SetTraceVariablesList([[all.indexOf("poll.40001-40003"), [4, 3, 2]]]);
    const deadline = Date.now() + 10_000;
    while (server.store?.read("holdingRegisters", 0, 3).join() !== "4,3,2")
      if (Date.now() > deadline) throw new Error("the forced values never reached the server");
      else await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await runtime.StopPLC()).toBe(true);
    await connections(server, 0);
    expect(await handlesLeftOver(before)).toEqual({});
  });

  it("a polled value its mirrored tag cannot take is a fault: the program stops, Broken", async () => {
    const runtime = await open();
    const program = {
      parts: [
        { kind: "modbus", name: "mb", port: 0, ranges: ["40001=300"] },
        { kind: "enip", name: "plc", port: 0, tags: ["S=SINT"] },
        {
          kind: "modbus-poller",
          name: "poll",
          part: "mb",
          ranges: ["40001"],
          rate: 0.05,
          mirror: { part: "plc", tags: { "40001": "S" } },
        },
      ],
    };
    expect(await transfer(runtime, program)).toBe(true);
    expect(await runtime.StartPLC()).toBe(true);
    await statusBecomes(runtime, "Broken");
    expect(await criticals(runtime)).toMatch(/fault: part "poll": mirror into S: /);
    const ports = await partPorts(runtime);
    for (const port of ports.values()) expect(await canConnect(port)).toBe(false);
  });

  it("refuses a poller listed before the modbus part it polls, or naming a part of another kind", async () => {
    const runtime = await open();
    const [mb, plc, poll] = GATEWAY.parts;
    expect(await transfer(runtime, { parts: [poll, mb, plc] })).toBe(false);
    expect(runtime.status).toBe("Broken");
    expect(await criticals(runtime)).toMatch(/part "poll": part "mb" must be listed before it/);
    expect(await transfer(runtime, { parts: [mb, plc, { ...poll, part: "plc" }] })).toBe(false);
    expect(await criticals(runtime)).toMatch(/part "poll": part "plc" is of kind enip, not modbus/);
    expect(
      await transfer(runtime, {
        parts: [mb, plc, { ...poll, mirror: { part: "plc", tags: { "40001": "X" } } }],
      }),
    ).toBe(false);
    expect(await criticals(runtime)).toMatch(/mirror names range "40001", which is not one of its ranges/);
    expect(
      await transfer(runtime, { parts: [{ kind: "modbus-poller", name: "p", ranges: ["40001"] }] }),
    ).toBe(false);
    expect(await criticals(runtime)).toMatch(/needs either part .* or port/);
  });

  it("fails to start when a mirrored tag is missing, stopping the parts already started", async () => {
    const runtime = await open();
    const [mb, plc, poll] = GATEWAY.parts;
    const bad = { ...poll, mirror: { part: "plc", tags: { "40001-40004": "NOPE" } } };
    expect(await transfer(runtime, { parts: [mb, plc, bad] })).toBe(true);
    expect(await runtime.StartPLC()).toBe(false);
    await statusBecomes(runtime, "Broken");
    expect(await criticals(runtime)).toMatch(/part "poll": part plc has no tag NOPE/);
    const ports = await partPorts(runtime);
    expect([...ports.keys()].sort()).toEqual(["mb", "plc"]);
    for (const port of ports.values()) expect(await canConnect(port)).toBe(false);
  });
});

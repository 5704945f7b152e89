import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { main } from "../src/enip-get-attribute.js";
import { run } from "./support/run.js";
import { type Simulator, startSimulator } from "./support/simulator.js";

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator(["Motor_Velocity@0x93/3/10=REAL", "Parameters@0x93/4/10=INT[2]"]);
});
afterAll(async () => {
  await sim.server.close();
});

const LINE = /^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}: +(\d+): (.*) == (.*)$/;

/** `<ctime>: <index>: <description> == <value>`, cpppo's line; returns [description, value]. */
function parts(line: string): [string, string] {
  const m = LINE.exec(line);
  expect(m).not.toBeNull();
  return [(m as RegExpExecArray)[2] as string, (m as RegExpExecArray)[3] as string];
}

/** The index column of cpppo's lines (the request each operation went in). */
const indexes = (lines: string[]): number[] => lines.map((l) => Number((LINE.exec(l) as RegExpExecArray)[1]));

test("cpppo's example: '@0x93/3/10=(REAL)1.0' '@0x93/3/10' → True, [0, 0, 128, 63]", async () => {
  const r = await run(main, ["-a", sim.address, "@0x93/3/10=(REAL)1.0", "@0x93/3/10"]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  expect(r.lines.map(parts)).toEqual([
    ["Single S_A_S      @0x0093/3/10", "True"],
    ["Single G_A_S      @0x0093/3/10", "[0, 0, 128, 63]"],
  ]);
});

test("Get Attributes All of the identity, and Get Attribute Single of its product name", async () => {
  const r = await run(main, ["-a", sim.address, "@1/1", "@1/1/7"]);
  expect(r.code).toBe(0);
  const [gaa, name] = r.lines.map(parts) as [[string, string], [string, string]];
  expect(gaa[0]).toBe("Single G_A_A      @0x0001/1");
  expect(gaa[1]).toMatch(/^\[\d+(, \d+)+\]$/);
  expect(name[0]).toBe("Single G_A_S      @0x0001/1/7");
  // An SSTRING: the length byte, then that many characters.
  const bytes = JSON.parse(name[1]) as number[];
  expect(bytes[0]).toBe(bytes.length - 1);
});

test("INT values set as raw bytes; integers default to SINT", async () => {
  const r = await run(main, ["-a", sim.address, "-d", "2", "@0x93/4/10=(INT)512,-1", "@0x93/4/10"]);
  expect(r.code).toBe(0);
  expect(parts(r.lines[1] as string)[1]).toBe("[0, 2, 255, 255]");
});

test("--no-print prints nothing; a missing attribute prints None and exits 1", async () => {
  expect((await run(main, ["-a", sim.address, "--no-print", "@1/1/7"])).stdout).toBe("");
  const r = await run(main, ["-a", sim.address, "@1/1/99"]);
  expect(r.code).toBe(1);
  expect(parts(r.lines[0] as string)[1]).toBe("None");
});

/** SendRRData frames the simulator received while `body` ran, and the CIP service of each (inside its Unconnected Send). */
async function sendRRData(body: () => Promise<unknown>): Promise<number[]> {
  const services: number[] = [];
  const onRequest = (message: unknown): void => {
    const { command, request } = message as { command: number; request: Uint8Array };
    // Header 24, interface 4, timeout 2, count 2, null item 4, data item header 4, Unconnected Send 0x52 + path
    // (4 words: 0x20 06 0x24 01), priority, ticks, size 2: the embedded request's service is at byte 50.
    if (command === 0x6f) services.push(request[50] as number);
  };
  subscribe("cpppo:enip:request", onRequest);
  try {
    await body();
  } finally {
    unsubscribe("cpppo:enip:request", onRequest);
  }
  return services;
}

test("-m sends the operations in one Multiple Service Packet and prints cpppo's Multi. lines", async () => {
  const ops = ["@1/1/1", "@1/1/7", "@0x93/3/10", "@1/1"];
  let packed: Awaited<ReturnType<typeof run>> | undefined;
  expect(await sendRRData(async () => (packed = await run(main, ["-a", sim.address, "-m", ...ops])))).toEqual(
    [0x0a],
  );
  expect(packed?.code).toBe(0);
  expect(packed?.lines.map(parts).map(([d]) => d)).toEqual([
    "Multi. G_A_S      @0x0001/1/1",
    "Multi. G_A_S      @0x0001/1/7",
    "Multi. G_A_S      @0x0093/3/10",
    "Multi. G_A_A      @0x0001/1",
  ]);
  // cpppo numbers lines by request: the packet's operations share index 0.
  expect(indexes(packed?.lines ?? [])).toEqual([0, 0, 0, 0]);
  // Without -m, one request per operation.
  let single: Awaited<ReturnType<typeof run>> | undefined;
  expect(await sendRRData(async () => (single = await run(main, ["-a", sim.address, ...ops])))).toEqual([
    0x0e, 0x0e, 0x0e, 0x01,
  ]);
  expect(indexes(single?.lines ?? [])).toEqual([0, 1, 2, 3]);
});

test("-m with more than one packet's worth: each line carries the index of its packet", async () => {
  const ops = Array.from({ length: 30 }, () => "@1/1/1");
  let r: Awaited<ReturnType<typeof run>> | undefined;
  const packets = await sendRRData(async () => (r = await run(main, ["-a", sim.address, "-m", ...ops])));
  expect(r?.code).toBe(0);
  expect(packets.length).toBeGreaterThan(1);
  expect(packets.every((s) => s === 0x0a)).toBe(true);
  const seen = indexes(r?.lines ?? []);
  expect(seen).toHaveLength(30);
  // Runs of equal indexes 0, 1, … in order, one run per packet.
  expect([...new Set(seen)]).toEqual(packets.map((_, i) => i));
  expect([...seen].sort((a, b) => a - b)).toEqual(seen);
});

test("a failed operation says so on stderr, even with --no-print", async () => {
  const r = await run(main, ["-a", sim.address, "--no-print", "@1/1/7", "@1/1/99"]);
  expect(r.code).toBe(1);
  expect(r.stdout).toBe("");
  expect(r.stderr).toMatch(/^enip-get-attribute: Single G_A_S {6}@0x0001\/1\/99: Status \d+: .+\n$/);
});

test("operations from stdin", async () => {
  const r = await run(main, ["-a", sim.address, "-"], { stdin: ["@1/1/1", "@1/1/2"] });
  expect(r.code).toBe(0);
  expect(r.lines).toHaveLength(2);
});

test.each([
  [[], "at least one operation"],
  [["@1/1=1"], "cannot write"],
  [["@1"], "names only a class"],
  [["--depth=-1", "@1/1"], '"--depth"'],
  [["--bogus", "@1/1"], "bogus"],
])("%j → exit 2", async (argv, fragment) => {
  const r = await run(main, argv);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/^enip-get-attribute: .*\n$/);
  expect(r.stderr).toContain(fragment);
});

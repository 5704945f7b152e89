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

/** `<ctime>: <index>: <description> == <value>`, cpppo's line; returns [description, value]. */
function parts(line: string): [string, string] {
  const m = /^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}: +(\d+): (.*) == (.*)$/.exec(line);
  expect(m).not.toBeNull();
  return [(m as RegExpExecArray)[2] as string, (m as RegExpExecArray)[3] as string];
}

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

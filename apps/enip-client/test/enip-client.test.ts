import { main } from "../src/enip-client.js";
import { identityBlock } from "./support/cpppo.js";
import { run } from "./support/run.js";
import { type Simulator, startSimulator } from "./support/simulator.js";

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator(["SCADA=INT[1000]", "TEXT=SSTRING", "F=REAL[4]", "BIG=DINT[2000]"]);
});
afterAll(async () => {
  await sim.server.close();
});

describe("enip-client against the simulator", () => {
  test("cpppo's README command: SCADA[1]=99 SCADA[0-10] prints cpppo's lines", async () => {
    const r = await run(main, ["-a", sim.address, "-p", "SCADA[1]=99", "SCADA[0-10]"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.lines).toEqual([
      "            SCADA[1][  1-1  ]+  0 <= [99]: 'OK'",
      "            SCADA[0][  0-10 ]+  0 == [0, 99, 0, 0, 0, 0, 0, 0, 0, 0, 0]: 'OK'",
    ]);
  });

  test("scalar lines, strings, floats and a fragmented write", async () => {
    const r = await run(main, [
      "-a",
      sim.address,
      "-p",
      'TEXT=(SSTRING)"Hello, world!"',
      "TEXT",
      "F[0-3]+8=(REAL)2.5,3",
      "F[0-3]",
    ]);
    expect(r.code).toBe(0);
    expect(r.lines).toEqual([
      "                TEXT              <= ['Hello, world!']: 'OK'",
      "                TEXT              == ['Hello, world!']: 'OK'",
      "                F[0][  0-3  ]+  8 <= [2.5, 3.0]: 'OK'",
      "                F[0][  0-3  ]+  0 == [0.0, 0.0, 2.5, 3.0]: 'OK'",
    ]);
  });

  test("a failed operation prints its status and exits 1", async () => {
    const r = await run(main, ["-a", sim.address, "-p", "SCADA[0]", "NOPE"]);
    expect(r.code).toBe(1);
    expect(r.lines[1]).toMatch(/^ {16}NOPE {14}== None: 'Status \d+( \[[0-9, ]*\])?'$/);
  });

  test("without -p nothing is printed; the exit status still tells", async () => {
    const r = await run(main, ["-a", sim.address, "SCADA[0-3]"]);
    expect(r).toMatchObject({ code: 0, stdout: "", stderr: "" });
  });

  test("--json prints one object per operation", async () => {
    const r = await run(main, ["-a", sim.address, "--json", "SCADA[5-6]=(INT)7,8", "SCADA[5-6]"]);
    expect(r.code).toBe(0);
    const objects = r.lines.map((l) => JSON.parse(l));
    expect(objects).toEqual([
      expect.objectContaining({
        index: 0,
        ok: true,
        status: 0,
        value: [7, 8],
        description: "SCADA[5-6]=(INT)7,8",
      }),
      expect.objectContaining({ index: 1, ok: true, status: 0, value: [7, 8] }),
    ]);
  });

  test("- reads one operation per stdin line, in place; a bad line is reported and fails the run", async () => {
    const good = await run(main, ["-a", sim.address, "-p", "SCADA[20]=1", "-", "SCADA[22]"], {
      stdin: ["SCADA[21]=2", "# a comment", "", "SCADA[20-21]"],
    });
    expect(good.code).toBe(0);
    expect(good.lines.map((l) => l.trim())).toEqual([
      "SCADA[20][ 20-20 ]+  0 <= [1]: 'OK'",
      "SCADA[21][ 21-21 ]+  0 <= [2]: 'OK'",
      "SCADA[20][ 20-21 ]+  0 == [1, 2]: 'OK'",
      "SCADA[22][ 22-22 ]+  0 == [0]: 'OK'",
    ]);
    const bad = await run(main, ["-a", sim.address, "-"], { stdin: ["SCADA[0]", "U=(USINT)300"] });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('operation "U=(USINT)300"');
  });

  test("-r repeats the list; -d and -m pipeline and pack; -f fragments", async () => {
    const ops = Array.from({ length: 20 }, (_, i) => `SCADA[${100 + i}]=${i}`);
    const r = await run(main, ["-a", sim.address, "-p", "-r", "3", "-d", "5", "-m", ...ops]);
    expect(r.code).toBe(0);
    expect(r.lines).toHaveLength(60);
    const f = await run(main, ["-a", sim.address, "-p", "-f", "SCADA[100-119]"]);
    expect(f.code).toBe(0);
    expect(f.lines[0]).toContain(`== [${Array.from({ length: 20 }, (_, i) => i).join(", ")}]`);
  });

  test("a read larger than one reply is continued (2000 DINTs)", async () => {
    const r = await run(main, ["-a", sim.address, "--json", "BIG[1999]=(DINT)42", "BIG[0-1999]"]);
    expect(r.code).toBe(0);
    const value = JSON.parse(r.lines[1] as string).value as number[];
    expect(value).toHaveLength(2000);
    expect(value[1999]).toBe(42);
  });

  test("-c runs connected (Forward Open), --route-path and --send-path are honoured", async () => {
    expect((await run(main, ["-a", sim.address, "-c", "-p", "SCADA[0]"])).code).toBe(0);
    expect(
      (await run(main, ["-a", sim.address, "--route-path", "1/0", "--send-path", "@6/1", "SCADA[0]"])).code,
    ).toBe(0);
    expect(
      (
        await run(main, [
          "-a",
          sim.address,
          "--priority-time-tick",
          "3",
          "--timeout-ticks",
          "200",
          "SCADA[0]",
        ])
      ).code,
    ).toBe(0);
  });

  test("-i, -s and -I print cpppo's dotted-key blocks over TCP, in cpppo's order", async () => {
    const r = await run(main, ["-a", sim.address, "-i", "-s", "-I"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        `List Services  0 from ('127.0.0.1', ${sim.port}): {`,
        "    'count':                        1,",
        "    'item[0].type_id':              256,",
        "    'item[0].length':               20,",
        "    'item[0].communications_service.version': 1,",
        "    'item[0].communications_service.capability': 32,",
        "    'item[0].communications_service.service_name': 'Communications',",
        "}",
        ...identityBlock(sim.port),
        `List Interfaces  0 from ('127.0.0.1', ${sim.port}): {`,
        "    'count':                        0,",
        "}",
        "",
      ].join("\n"),
    );
  });

  test("--json prints one JSON line per List reply", async () => {
    const r = await run(main, ["-a", sim.address, "--json", "-i", "-I"]);
    expect(r.code).toBe(0);
    expect(r.lines).toHaveLength(2);
    const [identity, interfaces] = r.lines.map((l) => JSON.parse(l));
    expect(identity).toMatchObject({
      command: "List Identity",
      index: 0,
      address: "127.0.0.1",
      port: sim.port,
      items: [expect.objectContaining({ kind: "listIdentity", productName: "1756-L61/B LOGIX5561" })],
    });
    expect(interfaces).toMatchObject({ command: "List Interfaces", items: [] });
  });

  test("-u -i asks over UDP and prints the same block", async () => {
    const r = await run(main, ["-a", sim.address, "-u", "-i", "-t", "0.5"]);
    expect(r.code).toBe(0);
    expect(r.lines).toEqual(identityBlock(sim.port));
  });
});

describe("enip-client against a simple (un-routed) device", () => {
  test("-S sends without route and send path; a routed request is refused", async () => {
    const simple = await startSimulator(["SCADA=INT[10]"], { routePath: false });
    try {
      expect((await run(main, ["-a", simple.address, "-S", "SCADA[0]"])).code).toBe(0);
      expect(
        (await run(main, ["-a", simple.address, "--route-path", "false", "--send-path", "", "SCADA[0]"]))
          .code,
      ).toBe(0);
      expect((await run(main, ["-a", simple.address, "-t", "1", "SCADA[0]"])).code).toBe(1);
    } finally {
      await simple.server.close();
    }
  });
});

describe("enip-client errors", () => {
  test.each([
    [["--frobnicate"], "frobnicate"],
    [["U=(USINT)300"], 'operation "U=(USINT)300"'],
    [["SCADA[0-3]=1.5,2"], "2 values for 4 elements"],
    [["--depth=-1", "A"], '"--depth" must be 0 or more'],
    [["-r", "0", "A"], '"--repeat" must be at least 1'],
    [["-t", "x", "A"], '"--timeout"'],
    [["--route-path", "1/0/2", "A"], "route path"],
    [["--send-path", "6/1", "A"], "send path"],
    [["--priority-time-tick", "16", "A"], "0..15"],
    [["--timeout-ticks", "0", "A"], '"--timeout-ticks"'],
    [["-a", "127.0.0.1:99999", "A"], "port must be 1..65535"],
    [["-L", "0x0002"], "0x0001"],
    [["-b", "A"], "-b applies only to -i, -s and -L"],
    [["-d", "-1", "A"], '"--depth" must be 0 or more, got "-1"'],
    [["-t", "-1", "A"], '"--timeout" must be more than 0 seconds, got "-1"'],
    [["-a", "127.0.0.1:abc", "A"], '"--address" port must be 1..65535, got "abc"'],
    [["-L", "abc"], '"--legacy" must be 0x0001 (the only legacy command), got "abc"'],
    [["-r", "x", "A"], '"--repeat" must be a number, got "x"'],
  ])("%j → exit 2 with one line on stderr", async (argv, fragment) => {
    const r = await run(main, argv);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.startsWith("enip-client: ")).toBe(true);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain(fragment);
  });

  test("a refused connection exits 1", async () => {
    const closed = await startSimulator([]);
    await closed.server.close();
    const r = await run(main, ["-a", closed.address, "-t", "1", "SCADA[0]"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot connect to 127.0.0.1:${closed.port}`);
    // Said once: the library's message already names the target.
    expect(r.stderr.split("cannot connect to")).toHaveLength(2);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
  });

  test("-h prints the usage", async () => {
    const r = await run(main, ["-h"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("usage: enip-client");
  });
});

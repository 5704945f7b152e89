/** Golden tests: whole outputs of enip-client against cpppo 5.2.5's printed forms (`client.validate`, `enip_format`). */
import { main } from "../src/enip-client.js";
import { cpfPairs, cpppoPath, dottedBlock, replyPrefix } from "../src/format.js";
import { run } from "./support/run.js";
import { type Simulator, startSimulator } from "./support/simulator.js";

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator(["SCADA=INT[1000]", "BIG=DINT[2000]", "TEXT=SSTRING", "S=STRING", "U=USINT"]);
});
afterAll(async () => {
  await sim.server.close();
});

const zeros = (n: number): string => `[${new Array(n).fill(0).join(", ")}]`;

test("a read with +offset that ends short prints 'Status 6 ' with the elements it got, never 'OK'", async () => {
  const r = await run(main, ["-a", sim.address, "-p", "SCADA[0-999]+0", "BIG[0-1999]+8", "BIG[10-20]+4"]);
  // Partial data is a success (exit 0), as in cpppo; each partial reply still warns on stderr.
  expect(r.code).toBe(0);
  expect(r.stdout).toBe(
    [
      // 488 bytes per reply: 244 INTs; from byte 8 of DINTs, 122 of them.
      `            SCADA[0][  0-243]+  0 == ${zeros(244)}: 'Status 6 '`,
      `              BIG[0][  0-121]+  8 == ${zeros(122)}: 'Status 6 '`,
      `             BIG[10][ 10-19 ]+  4 == ${zeros(10)}: 'OK'`,
      "",
    ].join("\n"),
  );
  expect(r.stderr).toBe(
    [
      "enip-client: SCADA[0-999]+0: Status 6: Partial transfer (0x06)",
      "enip-client: BIG[0-1999]+8: Status 6: Partial transfer (0x06)",
      "",
    ].join("\n"),
  );
});

test("failures: the status with its extended words, a failed write shows the values it tried", async () => {
  const r = await run(main, [
    "-a",
    sim.address,
    "-p",
    "NOPE",
    "NOPE[3]=1,2",
    "SCADA[2-3]=(DINT)1,2",
    "U=(INT)300",
  ]);
  expect(r.code).toBe(1);
  expect(r.stdout).toBe(
    [
      "                NOPE              == None: 'Status 4 [0]'",
      "             NOPE[3][  3-4  ]+  0 <= [1, 2]: 'Status 4 [0]'",
      "            SCADA[2][  2-3  ]+  0 <= [1, 2]: 'Status 255 [8455]'",
      "                   U              <= [300]: 'Status 255 [8455]'",
      "",
    ].join("\n"),
  );
});

test("a failed operation prints one line on stderr even without -p", async () => {
  const r = await run(main, ["-a", sim.address, "SCADA[0]", "NOPE"]);
  expect(r.code).toBe(1);
  expect(r.stdout).toBe("");
  expect(r.stderr).toBe("enip-client: NOPE: Status 4 [0]: Path segment error (0x04), extended 0x0000\n");
});

test("attribute paths print as @0x0002/1/1, with [element] when one is given", async () => {
  const r = await run(main, ["-a", sim.address, "-p", "@2/1/1", "@0x02/1/1[0]"]);
  expect(r.code).toBe(0);
  expect(r.lines).toEqual([
    "         @0x0002/1/1              == [0]: 'OK'",
    "      @0x0002/1/1[0][  0-0  ]+  0 == [0]: 'OK'",
  ]);
});

test("SSTRING and STRING values print as Python's repr of the Latin-1 text", async () => {
  const r = await run(main, [
    "-a",
    sim.address,
    "-p",
    `TEXT=(SSTRING)"caf\u00e9\u0001'x"`,
    "TEXT",
    'S=(STRING)"a\u00e9"',
    "S",
    'S=(STRING)""',
    "S",
  ]);
  expect(r.code).toBe(0);
  expect(r.lines).toEqual([
    `                TEXT              <= ["caf\u00e9\\x01'x"]: 'OK'`,
    `                TEXT              == ["caf\u00e9\\x01'x"]: 'OK'`,
    "                   S              <= ['a\u00e9']: 'OK'",
    "                   S              == ['a\u00e9']: 'OK'",
    "                   S              <= ['']: 'OK'",
    "                   S              == ['']: 'OK'",
  ]);
  // Python's repr escapes C1 controls, the no-break space and the soft hyphen, and keeps other Latin-1 letters.
  const latin1 = await run(main, [
    "-a",
    sim.address,
    "-p",
    'TEXT=(SSTRING)"\u0080\u009b\u00a0\u00ad\u00ff\\"',
    "TEXT",
  ]);
  expect(latin1.code).toBe(0);
  expect(latin1.lines).toEqual([
    "                TEXT              <= ['\\x80\\x9b\\xa0\\xad\u00ff\\\\']: 'OK'",
    "                TEXT              == ['\\x80\\x9b\\xa0\\xad\u00ff\\\\']: 'OK'",
  ]);
});

describe("format helpers", () => {
  test("cpppoPath follows format_path: dotted names, the last element only, hex classes", () => {
    expect(cpppoPath([{ symbolic: "Tag" }, { element: 1 }, { symbolic: "Sub" }, { element: 0 }])).toBe(
      "Tag.Sub[0]",
    );
    expect(cpppoPath([{ class: 0x1ff }, { instance: 1 }, { attribute: 26 }, { element: 99 }])).toBe(
      "@0x01FF/1/26[99]",
    );
  });

  test("the reply prefix pads the index to two columns; keys pad to 32 columns and longer ones run on", () => {
    expect(replyPrefix("List Identity", 12, "10.0.0.1", 44818)).toBe(
      "List Identity 12 from ('10.0.0.1', 44818): ",
    );
    expect(
      dottedBlock(
        cpfPairs([
          {
            kind: "legacyReply",
            version: 1,
            reserved: 0,
            socketAddress: { family: 2, port: 44818, address: "10.0.0.1" },
            ipString: "10.0.0.1",
          },
        ]),
      ),
    ).toBe(
      [
        "{",
        "    'count':                        1,",
        "    'item[0].type_id':              1,",
        "    'item[0].length':               36,",
        "    'item[0].legacy_CPF_0x0001.version': 1,",
        "    'item[0].legacy_CPF_0x0001.unknown_1': 0,",
        "    'item[0].legacy_CPF_0x0001.sin_family': 2,",
        "    'item[0].legacy_CPF_0x0001.sin_port': 44818,",
        "    'item[0].legacy_CPF_0x0001.sin_addr': '10.0.0.1',",
        "    'item[0].legacy_CPF_0x0001.ip_address': '10.0.0.1',",
        "}",
      ].join("\n"),
    );
  });
});

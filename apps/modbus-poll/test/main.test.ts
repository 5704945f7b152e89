/**
 * modbus-poll run in-process through `main` against our simulator on 127.0.0.1 port 0: the range grammar, bad
 * flags as one line with status 2, writes before polling (one FC16 per block), cpppo's change, failing/polling
 * and load lines, --json, and recovery through server loss on the same port.
 */
import { EventEmitter } from "node:events";
import { ModbusServer, ModbusStore, parseRegisterRanges } from "@cpppo/modbus-server";
import { changeLine, main, rangesLine } from "../src/main.js";
import { parsePollSpec, writesOf } from "../src/ranges.js";

const DEADLINE_MS = 10_000;
jest.setTimeout(30_000);

/** Records what is written, and waits for a pattern in it. */
class Sink {
  text = "";
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
  async waitFor(re: RegExp, from = 0): Promise<RegExpExecArray> {
    const end = Date.now() + DEADLINE_MS;
    for (;;) {
      const m = re.exec(this.text.slice(from));
      if (m) return m;
      if (Date.now() > end) throw new Error(`timed out waiting for ${re} in ${JSON.stringify(this.text)}`);
      await new Promise((ok) => setTimeout(ok, 20));
    }
  }
}

interface Run {
  stdout: Sink;
  stderr: Sink;
  signals: EventEmitter;
  exit: Promise<number>;
}
const running: Run[] = [];
const servers: ModbusServer[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) {
    r.signals.emit("SIGINT");
    await r.exit;
  }
  await Promise.all(servers.splice(0).map((s) => s.close({ deadlineMs: 0 })));
});

function run(argv: string[]): Run {
  const stdout = new Sink();
  const stderr = new Sink();
  const signals = new EventEmitter();
  const r = { stdout, stderr, signals, exit: main(argv, { stdout, stderr, signals }) };
  running.push(r);
  return r;
}

async function simulator(ranges: string[], port = 0): Promise<{ server: ModbusServer; port: number }> {
  const server = new ModbusServer({ store: ModbusStore.fromRanges(parseRegisterRanges(ranges)) });
  servers.push(server);
  return { server, port: (await server.listenTcp({ host: "127.0.0.1", port })).port };
}

describe("ranges and lines", () => {
  it("parses cpppo's range grammar", () => {
    expect(parsePollSpec("40001-40100")).toEqual({ begin: 40001, count: 100, values: undefined });
    expect(parsePollSpec("40010=7")).toEqual({ begin: 40010, count: 1, values: [7] });
    expect(parsePollSpec("40001-40004=1,0x10")).toEqual({ begin: 40001, count: 4, values: [1, 16, 1, 16] });
    expect(parsePollSpec("40001=1,2,3")).toEqual({ begin: 40001, count: 3, values: [1, 2, 3] });
    expect(parsePollSpec("1-3=1")).toEqual({ begin: 1, count: 3, values: [1, 1, 1] });
    for (const bad of ["4x", "40010-40001", "30001=5", "1=2", "40001=70000", "9999-10001", "0"])
      expect(() => parsePollSpec(bad)).toThrow();
  });
  it("writes one FC16 per block of up to 123 registers, FC6 for one", () => {
    expect(writesOf(parsePollSpec("40010=7"))).toEqual([{ address: 40010, value: 7 }]);
    const blocks = writesOf(parsePollSpec("40001-40200=5"));
    expect(blocks.map((b) => [b.address, (b.value as number[]).length])).toEqual([
      [40001, 123],
      [40124, 77],
    ]);
    expect(writesOf(parsePollSpec("40001-40010"))).toEqual([]);
  });
  it("formats cpppo's lines", () => {
    expect(changeLine(40001, 7, undefined)).toBe("40001 ==     7 (was: None)");
    expect(changeLine(1, 12345, 3)).toBe("    1 == 12345 (was: 3)");
    expect(rangesLine([], [{ unit: 0, address: 40001, count: 10 }])).toBe("failing: , polling: 40001-40010");
  });
});

describe("the command", () => {
  it("answers --help, and refuses bad flags with one line and status 2", async () => {
    const help = run(["--help"]);
    expect(await help.exit).toBe(0);
    expect(help.stdout.text).toMatch(/^usage: modbus-poll/);
    for (const argv of [
      ["-R", "0", "40001"],
      ["-u", "300", "40001"],
      ["40001-39999"],
      [],
      ["--bogus", "40001"],
    ]) {
      const r = run(argv);
      expect(await r.exit).toBe(2);
      expect(r.stderr.text).toMatch(/^modbus-poll: [^\n]+\n$/);
    }
  });

  it("writes before polling, then logs each change, the ranges at -v and the load at -vv", async () => {
    const { server, port } = await simulator(["40001-40010=0"]);
    const r = run(["-a", `127.0.0.1:${port}`, "-R", "0.05", "-vv", "40001-40003", "40010=7"]);
    await r.stderr.waitFor(/40010 == {5}7 \(was: None\)/);
    await r.stderr.waitFor(/40001 == {5}0 \(was: None\)/);
    await r.stderr.waitFor(/failing: , polling: 40001-40003, 40010-40010\n/);
    await r.stderr.waitFor(/load: \d+\.\d\d\n/);
    expect(server.store?.read("holdingRegisters", 9, 1)).toEqual([7]);
    server.store?.write("holdingRegisters", 1, [123]);
    await r.stderr.waitFor(/40002 == {3}123 \(was: 0\)/);
    r.signals.emit("SIGINT");
    expect(await r.exit).toBe(0);
  });

  it("prints one JSON object per change with --json", async () => {
    const { port } = await simulator(["40001-40002=4"]);
    const r = run(["-a", `127.0.0.1:${port}`, "-R", "0.05", "--json", "40001-40002"]);
    await r.stdout.waitFor(/40002/);
    const lines = r.stdout.text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ address: 40001, value: 4, was: null, unit: 0 });
    expect(lines[1]).toMatchObject({ address: 40002, value: 4, was: null });
    expect(r.stderr.text).not.toMatch(/==/);
  });

  it("keeps running through server loss and recovers by itself on the same port", async () => {
    const first = await simulator(["40001-40005=1"]);
    const r = run(["-a", `127.0.0.1:${first.port}`, "-R", "0.1", "-t", "0.3", "-v", "40001-40005"]);
    await r.stderr.waitFor(/failing: , polling: 40001-40005\n/);
    const mark = r.stderr.text.length; // before the close: the poller may notice before close() resolves
    await first.server.close({ deadlineMs: 0 });
    await r.stderr.waitFor(/failing: 40001-40005, polling: \n/, mark);
    await r.stderr.waitFor(/offline/, mark);
    await simulator(["40001-40005=2"], first.port);
    await r.stderr.waitFor(/failing: , polling: 40001-40005\n/, mark);
    await r.stderr.waitFor(/40005 == {5}2 \(was: 1\)/, mark);
  });

  it("draws a live table of the values and the load on a terminal", async () => {
    const { port } = await simulator(["40001-40003=6"]);
    const stdout = Object.assign(new Sink(), { isTTY: true });
    const stderr = new Sink();
    const signals = new EventEmitter();
    const exit = main(["-a", `127.0.0.1:${port}`, "-R", "0.05", "40001-40003", "40001"], {
      stdout,
      stderr,
      signals,
    });
    running.push({ stdout, stderr, signals, exit });
    await stdout.waitFor(
      /modbus-poll 127\.0\.0\.1:\d+ unit 0 online load: \d+\.\d\d\n40001-40003: 6 6 6\n40001: 6\n/,
    );
    expect(stdout.text).toContain("\x1b[H\x1b[2Jmodbus-poll 127.0.0.1:"); // each draw clears the screen first
  });

  it("exits 1 with one line when a write before polling cannot be made", async () => {
    const { server, port } = await simulator(["40001=0"]);
    await server.close({ deadlineMs: 0 });
    const r = run(["-a", `127.0.0.1:${port}`, "-t", "0.5", "40001=5"]);
    expect(await r.exit).toBe(1);
    expect(r.stderr.text).toMatch(/^modbus-poll: write failed: [^\n]+\n$/);
    const refused = await simulator(["40001=0"]);
    const r2 = run(["-a", `127.0.0.1:${refused.port}`, "40002=5"]);
    expect(await r2.exit).toBe(1);
    expect(r2.stderr.text).toMatch(/refused: Modbus exception 2/);
  });
});

/**
 * modbus-sim's command line, run in-process through `main`: --help and --version, the flag grammar (-a, -r, -e,
 * -c, --tls-*), bad input as one line with status 2, the Success line, -v/-vv/-l logging, and SIGINT.
 */
import { EventEmitter, once } from "node:events";
import { readFileSync } from "node:fs";
import { mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { connect, createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { decodeResponsePdu, decodeTcpAdu, encodeRequestPdu, encodeTcpAdu } from "@cpppo/modbus-codec";
import { formatHostPort, main, parseSettings } from "../src/main.js";
import { parseConfig, parseEndpoint, parseEvil, parseRoles } from "../src/settings.js";
import { runToExit } from "./support/executable.js";
import { MbapClient } from "./support/mbap-client.js";

/** How long a test waits for a line or an exit. */
const DEADLINE_MS = 10_000;

/** Records what is written, and waits for a pattern in it. */
class Sink {
  text = "";
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
  async waitFor(re: RegExp): Promise<RegExpExecArray> {
    const end = Date.now() + DEADLINE_MS;
    for (;;) {
      const m = re.exec(this.text);
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

let workDir: string;
const running: Run[] = [];
beforeEach(async () => {
  workDir = await mkdtemp(join(tmpdir(), "modbus-sim-cli-"));
});
afterEach(async () => {
  for (const r of running.splice(0)) {
    r.signals.emit("SIGINT");
    r.signals.emit("SIGINT");
    await r.exit;
  }
  await rm(workDir, { recursive: true, force: true });
});

function run(argv: string[]): Run {
  const stdout = new Sink();
  const stderr = new Sink();
  const signals = new EventEmitter();
  const exit = main(argv, { stdout, stderr, cwd: workDir, signals, pid: 4242 });
  const r = { stdout, stderr, signals, exit };
  running.push(r);
  return r;
}

/** The port of the Success line, or the failure with its stderr. */
async function started(r: Run): Promise<number> {
  const m = await Promise.race([
    r.stdout.waitFor(/^Success; Started Modbus\/TCP Simulator; PID = 4242; address = (.+):(\d+)\n$/),
    r.exit.then((code) => {
      throw new Error(`exited ${code}: ${r.stderr.text}`);
    }),
  ]);
  return Number(m[2]);
}

async function usage(argv: string[]): Promise<string> {
  const stdout = new Sink();
  const stderr = new Sink();
  expect(await main(argv, { stdout, stderr, cwd: workDir })).toBe(2);
  expect(stdout.text).toBe("");
  expect(stderr.text).toMatch(/^modbus-sim: [^\n]+\n$/);
  return stderr.text;
}

describe("--help and --version", () => {
  it("--help names every flag with its default, the grammar and the Success line", async () => {
    const stdout = new Sink();
    expect(await main(["--help"], { stdout, stderr: new Sink() })).toBe(0);
    for (const flag of [
      "-v, --verbose",
      "-l, --log",
      "-a, --address",
      "-r, --range",
      "-e, --evil",
      "-c, --config",
      "--tls-cert",
      "--tls-key",
      "--tls-ca",
      "--tls-role",
      "-h, --help",
      "--version",
    ])
      expect(stdout.text).toContain(flag);
    for (const fact of [
      "default 0.0.0.0:502",
      "802 when TLS",
      "(default 1)",
      "default 5",
      "transaction (default)",
      '"baudrate":9600',
      "<begin>[-<end>][=<val>[,<val>...]]",
      "Success; Started Modbus/TCP Simulator; PID = N; address = HOST:PORT",
    ])
      expect(stdout.text).toContain(fact);
  });

  it("--version prints the app's version, in-process and from the executable", async () => {
    const { version } = JSON.parse(readFileSync(resolve(__dirname, "..", "package.json"), "utf8")) as {
      version: string;
    };
    const stdout = new Sink();
    expect(await main(["--version", "40001"], { stdout, stderr: new Sink() })).toBe(0);
    expect(stdout.text).toBe(`modbus-sim ${version}\n`);
    const real = await runToExit(["--version"]);
    expect(real).toEqual({ code: 0, stdout: `modbus-sim ${version}\n`, stderr: "" });
  }, 30_000);
});

describe("the flag grammar", () => {
  it("-a: [iface][:port], IPv6, a bare port, and serial devices", () => {
    expect(parseEndpoint("", 502, workDir)).toEqual({ kind: "tcp", host: "0.0.0.0", port: 502 });
    expect(parseEndpoint(":1502", 502, workDir)).toEqual({ kind: "tcp", host: "0.0.0.0", port: 1502 });
    expect(parseEndpoint("localhost", 502, workDir)).toEqual({ kind: "tcp", host: "localhost", port: 502 });
    expect(parseEndpoint("127.0.0.1:0", 502, workDir)).toEqual({ kind: "tcp", host: "127.0.0.1", port: 0 });
    expect(parseEndpoint("[::1]:1502", 502, workDir)).toEqual({ kind: "tcp", host: "::1", port: 1502 });
    expect(parseEndpoint("::1", 802, workDir)).toEqual({ kind: "tcp", host: "::1", port: 802 });
    expect(parseEndpoint("7502", 502, workDir)).toEqual({ kind: "tcp", host: "0.0.0.0", port: 7502 });
    expect(parseEndpoint("/dev/ttyS0", 502, workDir)).toEqual({ kind: "rtu", path: "/dev/ttyS0" });
    expect(parseEndpoint("dev/ttyX", 502, workDir)).toEqual({ kind: "rtu", path: join(workDir, "dev/ttyX") });
  });

  it("-a: a name that is an existing file is a serial device", async () => {
    await writeFile(join(workDir, "ttyFAKE"), "");
    expect(parseEndpoint("ttyFAKE", 502, workDir)).toEqual({ kind: "rtu", path: join(workDir, "ttyFAKE") });
  });

  it("-e: truncate, delay[:S[-S]] (default 5 s), corrupt[:FIELD] (default transaction)", () => {
    expect(parseEvil("truncate")).toEqual({ mode: "truncate" });
    expect(parseEvil("delay")).toEqual({ mode: "delay", minS: 5, maxS: 5 });
    expect(parseEvil("delay:2.5")).toEqual({ mode: "delay", minS: 2.5, maxS: 2.5 });
    expect(parseEvil("delay:.01-.1")).toEqual({ mode: "delay", minS: 0.01, maxS: 0.1 });
    expect(parseEvil("corrupt")).toEqual({ mode: "corrupt", field: "transaction" });
    for (const field of ["transaction", "protocol", "unit", "function", "registers"])
      expect(parseEvil(`corrupt:${field}`)).toEqual({ mode: "corrupt", field });
  });

  it("-c: pyserial's keys, 9600 8N1 and every unit by default", () => {
    expect(parseConfig(undefined)).toEqual({
      baudRate: 9600,
      dataBits: 8,
      parity: "none",
      stopBits: 1,
      units: undefined,
    });
    expect(parseConfig('{"baudrate":19200,"slaves":[1,2,3]}')).toMatchObject({
      baudRate: 19200,
      units: [1, 2, 3],
    });
    expect(parseConfig('{"parity":"E","bytesize":7,"stopbits":2,"slaves":5}')).toMatchObject({
      parity: "even",
      dataBits: 7,
      stopBits: 2,
      units: [5],
    });
  });

  it("--tls-role: ROLE=FC,FC... repeatable, ROLE=* for every code; TLS moves the default port to 802", async () => {
    expect(parseRoles(["Operator=1,2,3,4", "Operator=0x10", "Admin=*"])).toEqual({
      Operator: [1, 2, 3, 4, 16],
      Admin: "*",
    });
    expect(() => parseRoles(["Operator=99"])).toThrow(/"99" is not a function code/);
    expect(() => parseRoles(["Operator"])).toThrow(/ROLE=FC,FC/);
    for (const name of ["c.pem", "k.pem", "ca.pem"]) await writeFile(join(workDir, name), "");
    const settings = parseSettings(
      [
        "--tls-cert",
        "c.pem",
        "--tls-key",
        "k.pem",
        "--tls-ca",
        "ca.pem",
        "--tls-role",
        "Operator=3",
        "40001",
      ],
      { stdout: new Sink(), stderr: new Sink(), cwd: workDir },
    );
    expect(settings).toMatchObject({
      endpoint: { kind: "tcp", host: "0.0.0.0", port: 802 },
      tls: { cert: join(workDir, "c.pem"), roles: { Operator: [3] } },
    });
  });

  it("the Success line's address: host:port, [v6]:port", () => {
    expect(formatHostPort("127.0.0.1", 502)).toBe("127.0.0.1:502");
    expect(formatHostPort("::1", 1502)).toBe("[::1]:1502");
  });
});

describe("bad input: one line on stderr, status 2", () => {
  it.each([
    ["a range whose end is before its begin", ["40001-3"], /40001-3/],
    ["an address in no table", ["99999999"], /99999999/],
    ["a range that is not a number", ["x"], /"?x"?/],
    ["no range at all", [], /at least one register range/],
    ["an unknown -e mode", ["-e", "explode", "40001"], /-e\/--evil "explode"/],
    ["a bad -e delay", ["-e", "delay:2-1", "40001"], /delay takes seconds/],
    ["a bad -e corrupt field", ["-e", "corrupt:checksum", "40001"], /corrupt takes one of/],
    ["-c that is not JSON", ["-c", "{baudrate:9600", "40001"], /-c\/--config is not JSON/],
    ["-c with an unknown key", ["-c", '{"baud":9600}', "40001"], /-c\/--config/],
    ["-c with a bad baud rate", ["-c", '{"baudrate":"fast"}', "40001"], /"baudrate"/],
    ["-c with a 5-bit byte (RTU needs 7 or 8)", ["-c", '{"bytesize":5}', "40001"], /"bytesize"/],
    ["-c with a bad unit", ["-c", '{"slaves":[1,300]}', "40001"], /"slaves/],
    ["an -a port over 65535", ["-a", ":70000", "40001"], /port "70000"/],
    ["an -r that is not a count", ["-r", "many", "40001"], /-r\/--range "many"/],
    ["-e with a serial device", ["-a", "/dev/ttyS9", "-e", "truncate", "40001"], /not to a serial device/],
    ["-r with a serial device", ["-a", "/dev/ttyS9", "-r", "2", "40001"], /serial device/],
    ["an unknown flag", ["--bogus", "40001"], /bogus/],
    ["TLS without its key and CA", ["--tls-cert", "c.pem", "40001"], /--tls-key/],
    ["a --tls-role without TLS", ["--tls-role", "Operator=3", "40001"], /--tls-role needs/],
  ])("%s", async (_what, argv, message) => {
    expect(await usage(argv)).toMatch(message);
  });

  it("the executable too: bad ranges exit 2 with one line", async () => {
    for (const range of ["40001-3", "99999999", "x"]) {
      const result = await runToExit(["-a", "127.0.0.1:0", range]);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe("");
      expect(result.stderr).toMatch(/^modbus-sim: [^\n]+\n$/);
    }
  }, 60_000);
});

describe("serving", () => {
  it("prints the Success line with the bound port, serves, and exits 0 on SIGINT", async () => {
    const r = run(["-a", "127.0.0.1:0", "40001-40003=7"]);
    const port = await started(r);
    expect(r.stdout.text).toBe(
      `Success; Started Modbus/TCP Simulator; PID = 4242; address = 127.0.0.1:${port}\n`,
    );
    const socket = connect(port, "127.0.0.1");
    const client = new MbapClient(socket);
    expect((await client.request({ fc: 3, address: 0, quantity: 3 })).reply).toEqual({
      fc: 3,
      registers: [7, 7, 7],
    });
    client.close();
    r.signals.emit("SIGINT");
    expect(await r.exit).toBe(0);
    expect(r.stderr.text).toBe("");
  });

  it("serves IPv6 and prints [host]:port", async () => {
    const r = run(["-a", "[::1]:0", "40001"]);
    const m = await Promise.race([
      r.stdout.waitFor(/address = \[::1\]:(\d+)\n/),
      r.exit.then((code) => {
        throw new Error(`exited ${code}: ${r.stderr.text}`);
      }),
    ]);
    const client = new MbapClient(connect(Number(m[1]), "::1"));
    expect((await client.request({ fc: 3, address: 0, quantity: 1 })).reply).toEqual({
      fc: 3,
      registers: [0],
    });
    client.close();
  });

  it("-r tries the next ports when the first is taken", async () => {
    const taken: Server = createServer();
    await new Promise<void>((ok) => taken.listen(0, "127.0.0.1", ok));
    const busy = (taken.address() as { port: number }).port;
    try {
      const r = run(["-a", `127.0.0.1:${busy}`, "-r", "20", "40001"]);
      const port = await started(r);
      expect(port).toBeGreaterThan(busy);
      expect(port).toBeLessThan(busy + 20);
    } finally {
      taken.close();
    }
  });

  it("without -r a taken port is a failure (status 1, one line)", async () => {
    const taken: Server = createServer();
    await new Promise<void>((ok) => taken.listen(0, "127.0.0.1", ok));
    const busy = (taken.address() as { port: number }).port;
    try {
      const stderr = new Sink();
      expect(
        await main(["-a", `127.0.0.1:${busy}`, "40001"], { stdout: new Sink(), stderr, cwd: workDir }),
      ).toBe(1);
      expect(stderr.text).toMatch(
        new RegExp(`^modbus-sim: cannot serve on 127\\.0\\.0\\.1:${busy}: [^\\n]+\\n$`),
      );
    } finally {
      taken.close();
    }
  });

  it("a serial device that cannot be opened is a failure (status 1, one line)", async () => {
    const stderr = new Sink();
    const device = join(workDir, "no-such-dir", "ttyUSB9");
    expect(await main(["-a", device, "40001"], { stdout: new Sink(), stderr, cwd: workDir })).toBe(1);
    expect(stderr.text).toMatch(/^modbus-sim: [^\n]*ttyUSB9[^\n]*\n$/);
  });

  it("-l logs to a file: -v connections, -vv each request", async () => {
    const log = join(workDir, "sim.log");
    const r = run(["-vv", "-l", "sim.log", "-a", "127.0.0.1:0", "40001-40002=1,2"]);
    const port = await started(r);
    const client = new MbapClient(connect(port, "127.0.0.1"));
    await client.request({ fc: 3, address: 0, quantity: 2 });
    await client.request({ fc: 3, address: 5, quantity: 1 });
    client.close();
    r.signals.emit("SIGINT");
    expect(await r.exit).toBe(0);
    expect(r.stderr.text).toBe("");
    const text = await readFile(log, "utf8");
    expect(text).toMatch(/NORMAL +Modbus\/TCP on 127\.0\.0\.1:\d+/);
    expect(text).toMatch(/NORMAL +connection from 127\.0\.0\.1:\d+/);
    expect(text).toMatch(/DETAIL +.*read holdingRegisters 0\+2/);
    expect(text).toMatch(/NORMAL +stopped/);
  });

  it("SIGHUP reopens the -l file (after logrotate moved it)", async () => {
    const r = run(["-v", "-l", "sim.log", "-a", "127.0.0.1:0", "40001"]);
    await started(r);
    await rename(join(workDir, "sim.log"), join(workDir, "sim.log.1"));
    r.signals.emit("SIGHUP");
    r.signals.emit("SIGINT");
    expect(await r.exit).toBe(0);
    expect(await readFile(join(workDir, "sim.log.1"), "utf8")).toMatch(/Modbus\/TCP on/);
    const fresh = await readFile(join(workDir, "sim.log"), "utf8");
    expect(fresh).toMatch(/log .*sim\.log reopened/);
    expect(fresh).toMatch(/stopped/);
  });

  it("without -v it logs nothing", async () => {
    const r = run(["-a", "127.0.0.1:0", "40001"]);
    const port = await started(r);
    const client = new MbapClient(connect(port, "127.0.0.1"));
    await client.request({ fc: 3, address: 0, quantity: 1 });
    client.close();
    r.signals.emit("SIGTERM");
    expect(await r.exit).toBe(0);
    expect(r.stderr.text).toBe("");
  });

  it("-c slaves limits the unit ids on TCP too: another unit gets no reply", async () => {
    const r = run(["-a", "127.0.0.1:0", "-c", '{"slaves":[3]}', "40001=42"]);
    const port = await started(r);
    const socket = connect(port, "127.0.0.1");
    const client = new MbapClient(socket);
    // Unit 4's request first, unit 3's next: the first reply is unit 3's, so unit 4's got none.
    socket.write(encodeTcpAdu(1, 4, encodeRequestPdu({ fc: 3, address: 0, quantity: 1 })));
    socket.write(encodeTcpAdu(2, 3, encodeRequestPdu({ fc: 3, address: 0, quantity: 1 })));
    const reply = decodeTcpAdu(await client.next());
    expect([reply.transactionId, reply.unitId, decodeResponsePdu(reply.pdu)]).toEqual([
      2,
      3,
      { fc: 3, registers: [42] },
    ]);
    client.close();
  });

  it("-e corrupt:transaction flips the transaction id of each reply", async () => {
    const r = run(["-a", "127.0.0.1:0", "-e", "corrupt:transaction", "40001=42"]);
    const port = await started(r);
    const client = new MbapClient(connect(port, "127.0.0.1"));
    const { transactionId, reply } = await client.request({ fc: 3, address: 0, quantity: 1 });
    expect(transactionId).toBe(1 ^ 0xffff);
    expect(reply).toEqual({ fc: 3, registers: [42] });
    client.close();
  });

  it("-e truncate sends only a part of each reply", async () => {
    const r = run(["-a", "127.0.0.1:0", "-e", "truncate", "40001-40010=42"]);
    const port = await started(r);
    const socket = connect(port, "127.0.0.1");
    await once(socket, "connect");
    const chunk = once(socket, "data");
    socket.write(encodeTcpAdu(1, 1, encodeRequestPdu({ fc: 3, address: 0, quantity: 10 })));
    const [bytes] = (await chunk) as [Buffer];
    // The whole reply would be 7 + 2 + 20 bytes.
    expect(bytes.length).toBeGreaterThan(0);
    expect(bytes.length).toBeLessThan(29);
    socket.destroy();
  });
});

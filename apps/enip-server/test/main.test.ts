import { createSocket } from "node:dgram";
import { EventEmitter } from "node:events";
import { mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import {
  encodeSendRRData,
  encodeValues,
  INT,
  parseEPath,
  readTagRequest,
  SSTRING,
  unconnectedSend,
  writeTagRequest,
} from "@cpppo/cip-codec";
import { formatAccess, main, parseAddress, parseDelay } from "../src/main.js";
import { killExecutables, startExecutable } from "./support/executable.js";
import { DEADLINE_MS, Sink } from "./support/sink.js";
import { TestClient } from "./support/test-client.js";

interface Run {
  stdout: Sink;
  stderr: Sink;
  signals: EventEmitter;
  exit: Promise<number>;
}

let workDir: string;
const runs: Run[] = [];
beforeEach(async () => {
  workDir = await mkdtemp(join(tmpdir(), "enip-server-cli-"));
});
afterEach(async () => {
  // A failed test may leave its simulator running: stop every one (a stopped one ignores the signal).
  for (const r of runs.splice(0)) {
    r.signals.emit("SIGINT");
    await r.exit;
  }
  await rm(workDir, { recursive: true, force: true });
});

function run(argv: string[], env: Record<string, string> = {}): Run {
  const stdout = new Sink();
  const stderr = new Sink();
  const signals = new EventEmitter();
  // The empty work dir as home, /etc and cwd keeps the machine's own cpppo.cfg files out of the tests.
  const exit = main(argv, { stdout, stderr, env, cwd: workDir, home: workDir, systemDir: workDir, signals });
  const r = { stdout, stderr, signals, exit };
  runs.push(r);
  return r;
}

async function started(r: Run): Promise<{ tcp?: number; udp?: number; web?: number }> {
  const tcp = await Promise.race([
    r.stdout.waitFor(/Network (TCP|UDP) Server address = \('127\.0\.0\.1', (\d+)\)/),
    r.exit.then((code) => {
      throw new Error(`exited ${code}: ${r.stderr.text}`);
    }),
  ]);
  const port = (re: RegExp) => {
    const m = re.exec(r.stdout.text);
    return m ? Number(m[1]) : undefined;
  };
  expect(tcp).toBeTruthy();
  return {
    tcp: port(/Network TCP Server address = \('127\.0\.0\.1', (\d+)\)/),
    udp: port(/Network UDP Server address = \('127\.0\.0\.1', (\d+)\)/),
    web: port(/Web API address = \('127\.0\.0\.1', (\d+)\)/),
  };
}

async function stop(r: Run, signal = "SIGINT"): Promise<number> {
  r.signals.emit(signal);
  return r.exit;
}

const scadaWrite = (index: number, value: number) =>
  writeTagRequest(
    parseEPath(`SCADA[${index}]`),
    { type: INT.code },
    1,
    Uint8Array.from([value & 0xff, value >> 8]),
  );

describe("argument helpers", () => {
  it("parseAddress fills the missing parts with the defaults", () => {
    const d = { host: "0.0.0.0", port: 44818 };
    expect(parseAddress("", d, "-a")).toEqual(d);
    expect(parseAddress(":1234", d, "-a")).toEqual({ host: "0.0.0.0", port: 1234 });
    expect(parseAddress("localhost", d, "-a")).toEqual({ host: "localhost", port: 44818 });
    expect(parseAddress("127.0.0.1:0", d, "-a")).toEqual({ host: "127.0.0.1", port: 0 });
    expect(parseAddress("8080", d, "-w")).toEqual({ host: "0.0.0.0", port: 8080 });
    expect(parseAddress("[::1]:5", d, "-a")).toEqual({ host: "::1", port: 5 });
    expect(parseAddress("::1", d, "-a")).toEqual({ host: "::1", port: 44818 });
    expect(() => parseAddress("h:70000", d, "-a/--address")).toThrow(
      '-a/--address "h:70000": port "70000" must be a number 0..65535',
    );
    expect(() => parseAddress("a b:1", d, "-a")).toThrow(/is not a host name/);
  });

  it("parseDelay reads seconds and LO-HI ranges", () => {
    expect(parseDelay("0.5")).toBe(0.5);
    expect(parseDelay(".25")).toBe(0.25);
    expect(parseDelay("0.1-1.5")).toEqual({ min: 0.1, max: 1.5 });
    for (const bad of ["", "-1", "2-1", "x"]) expect(() => parseDelay(bad)).toThrow(/-d\/--delay/);
    // Issue 10 (item 4): past Node's timer limit a delay would silently become 1 ms.
    for (const long of ["2147484", "0-1e9", "0-99999999"])
      expect(() => parseDelay(long)).toThrow(/-d\/--delay|timer limit/);
    expect(() => parseDelay("0-99999999")).toThrow(/longer than 2147483 seconds \(Node's timer limit/);
    expect(parseDelay("2147483")).toBe(2_147_483);
  });

  it("formatAccess prints cpppo's -p lines", () => {
    expect(formatAccess("SCADA", 1, 2, [3, 4], false)).toBe("               SCADA[    1-2    ] == [3, 4]");
    expect(formatAccess("TEXT", 0, 1, ["it's"], true)).toBe(
      "                TEXT[    0-0    ] <= ['it\\'s']",
    );
    expect(formatAccess("Flag", 10, 1, [true], true)).toBe("                Flag[   10-10   ] <= [True]");
  });
});

describe("enip-server main()", () => {
  it("--help and --version print and exit 0", async () => {
    let r = run(["--help"]);
    expect(await r.exit).toBe(0);
    expect(r.stdout.text).toMatch(/^usage: enip-server \[options\] \[TAG \.\.\.\]/);
    expect(r.stdout.text).toContain("-A, --address-output");
    r = run(["--version"]);
    expect(await r.exit).toBe(0);
    expect(r.stdout.text).toMatch(/^enip-server \d+\.\d+\.\d+\n$/);
  });

  it.each([
    [["--bogus"], /^enip-server: Unknown option '--bogus'.*\(see --help\)$/],
    [
      ["-a", "127.0.0.1:99999"],
      /^enip-server: -a\/--address "127\.0\.0\.1:99999": port "99999" must be a number/,
    ],
    [["-d", "2-1"], /^enip-server: -d\/--delay "2-1" must be seconds/],
    [["-s", "0"], /^enip-server: -s\/--size "0" must be a positive number of bytes$/],
    [["--idle-timeout", "2m"], /^enip-server: --idle-timeout "2m" must be a number of seconds >= 0/],
    [
      ["--partial-frame-timeout", "x"],
      /^enip-server: --partial-frame-timeout "x" must be a number of seconds/,
    ],
    [["--max-connections", "0"], /^enip-server: --max-connections "0" must be a whole number from 1 to/],
    [["--max-buffered", "10"], /^enip-server: --max-buffered "10" must be a whole number from 24 to/],
    [["-S", "--route-path", "1/0"], /^enip-server: -S\/--simple and --route-path contradict/],
    [
      ["--route-path", "1/0/2/1"],
      /^enip-server: --route-path "1\/0\/2\/1" must be exactly one port\/link segment/,
    ],
    [["--route-path", "x/y"], /^enip-server: --route-path: route path "x\/y" has port "x"/],
    [["-w", ":http"], /^enip-server: -w\/--web ":http": port "http" must be a number/],
    [
      ["-a", "127.0.0.1:0", "9lives=INT"],
      /^enip-server: tag definition "9lives=INT": "9lives" is not a valid name part/,
    ],
    [["-a", "127.0.0.1:0", "A=NOSUCHTYPE"], /^enip-server: .*NOSUCHTYPE/],
    [
      ["-a", "127.0.0.1:0", "A=INT[0]"],
      /^enip-server: tag definition "A=INT\[0\]": size "0" must be a number in 1\.\./,
    ],
    [["-c", "missing.cfg"], /^enip-server: config file .*missing\.cfg does not exist; fix the -c path/],
    [["-D", "missing.json"], /^enip-server: -D\/--defined-tags .*missing\.json: ENOENT/],
    [["--web-token", ""], /^enip-server: --web-token must not be empty$/],
  ])("%j → exit 2 with one line", async (argv, message) => {
    const r = run(argv);
    expect(await r.exit).toBe(2);
    expect(r.stderr.lines()).toHaveLength(1);
    expect(r.stderr.lines()[0]).toMatch(message);
    expect(r.stdout.text).toBe("");
  });

  it("a bad config value → exit 2 naming the file, section and key", async () => {
    await writeFile(join(workDir, "cpppo.cfg"), "[Identity]\nVendor Number = many\n");
    const r = run(["-a", "127.0.0.1:0"]);
    expect(await r.exit).toBe(2);
    expect(r.stderr.lines()).toEqual([
      expect.stringMatching(
        /^enip-server: .*cpppo\.cfg:2: \[Identity\] Vendor Number = "many": must be an integer/,
      ),
    ]);
  });

  it("-a 127.0.0.1:0 -A prints cpppo's address lines, serves tags, and SIGINT stops it gracefully with 0", async () => {
    const r = run(["-a", "127.0.0.1:0", "-A", "SCADA=INT[10]"]);
    const { tcp, udp } = await started(r);
    expect(r.stdout.lines()).toEqual([
      `Network TCP Server address = ('127.0.0.1', ${tcp})`,
      `Network UDP Server address = ('127.0.0.1', ${udp})`,
    ]);
    expect(udp).toBe(tcp);
    const client = await TestClient.open(tcp as number);
    expect((await client.request(scadaWrite(1, 99))).cip).toMatchObject({
      kind: "writeTag",
      generalStatus: 0,
    });
    const read = await client.request(readTagRequest(parseEPath("SCADA[1]")));
    expect(read.cip).toMatchObject({
      kind: "readTag",
      generalStatus: 0,
      type: INT.code,
      data: Uint8Array.from([99, 0]),
    });
    const closed = new Promise<void>((ok) => client.socket.once("close", () => ok()));
    expect(await stop(r)).toBe(0);
    await closed;
    expect(r.stderr.text).toBe("");
    await expect(TestClient.open(tcp as number)).rejects.toThrow(/ECONNREFUSED/);
  });

  it("SIGTERM also exits 0; -U serves no UDP; -T -u serves only UDP", async () => {
    let r = run(["-a", "127.0.0.1:0", "-A", "-U"]);
    let ports = await started(r);
    expect(ports.udp).toBeUndefined();
    expect(await stop(r, "SIGTERM")).toBe(0);

    r = run(["-a", "127.0.0.1:0", "-A", "-T", "-U", "-u"]);
    ports = await started(r);
    expect(ports.tcp).toBeUndefined();
    expect(ports.udp).toBeGreaterThan(0);
    // ListIdentity over UDP answers.
    const udp = createSocket("udp4");
    const reply = new Promise<Buffer>((ok) => udp.once("message", ok));
    udp.send(
      Buffer.from([0x63, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
      ports.udp,
      "127.0.0.1",
    );
    expect((await reply)[0]).toBe(0x63);
    udp.close();
    expect(await stop(r)).toBe(0);
  });

  it("-p prints each write, and each read too with -v", async () => {
    let r = run(["-a", "127.0.0.1:0", "-A", "-p", "SCADA=INT[10]"]);
    let { tcp } = await started(r);
    let client = await TestClient.open(tcp as number);
    await client.request(scadaWrite(3, 7));
    await client.request(readTagRequest(parseEPath("SCADA[3]")));
    await r.stdout.waitFor(/SCADA\[ {4}3-3 {4}\] <= \[7\]/);
    client.close();
    expect(await stop(r)).toBe(0);
    expect(r.stdout.lines().slice(2)).toEqual(["               SCADA[    3-3    ] <= [7]"]);

    r = run(["-a", "127.0.0.1:0", "-A", "-p", "-v", "--no-print", "-p", "SCADA=INT[10]"]);
    ({ tcp } = await started(r));
    client = await TestClient.open(tcp as number);
    await client.request(readTagRequest(parseEPath("SCADA[2]"), 3));
    await r.stdout.waitFor(/SCADA\[ {4}2-4 {4}\] == \[0, 0, 0\]/);
    client.close();
    expect(await stop(r)).toBe(0);
    // -v logs to stderr (no -l).
    expect(r.stderr.text).toMatch(
      /NORMAL +EtherNet\/IP simulator serving 1 tag names on TCP 127\.0\.0\.1:\d+/,
    );
  });

  it("-p prints a client's string escaped on one line: no forged log line, no terminal escape codes", async () => {
    const r = run(["-a", "127.0.0.1:0", "-A", "-p", "TEXT=SSTRING[2]"]);
    const { tcp } = await started(r);
    const client = await TestClient.open(tcp as number);
    // A newline that would forge a log line, ANSI CSI colour codes (7-bit ESC [ and 8-bit C1 0x9B), NEL, a tab.
    const forged = "ok\n2026-01-01T00:00:00.000Z NORMAL  forged\x1b[31mred\x9b0m\x85\t\x7f";
    const reply = await client.request(
      writeTagRequest(parseEPath("TEXT"), { type: SSTRING.code }, 2, encodeValues(SSTRING, [forged, "it's"])),
    );
    expect(reply.cip).toMatchObject({ generalStatus: 0 });
    await r.stdout.waitFor(/TEXT\[ {4}0-1 {4}\] <= /);
    client.close();
    expect(await stop(r)).toBe(0);
    const printed = r.stdout.lines().slice(2);
    expect(printed).toEqual([
      "                TEXT[    0-1    ] <= ['ok\\n2026-01-01T00:00:00.000Z NORMAL  forged\\x1b[31mred\\x9b0m\\x85\\t\\x7f', 'it\\'s']",
    ]);
    // Nothing but printable ASCII and the line ends reaches the terminal.
    expect([...r.stdout.text].filter((ch) => ch !== "\n" && (ch < " " || ch > "~"))).toEqual([]);
  });

  it("-w with a token serves the web API; -d sets the delay; web done stops main() with 0", async () => {
    const r = run(["-a", "127.0.0.1:0", "-A", "-w", "127.0.0.1:0", "-d", "0.05", "SCADA=INT[10]"], {
      CPPPO_WEB_TOKEN: "t0ken",
    });
    await started(r);
    const web = Number((await r.stdout.waitFor(/Web API address = \('127\.0\.0\.1', (\d+)\)/))[1]);
    const base = `http://127.0.0.1:${web}`;
    const opts = { signal: AbortSignal.timeout(DEADLINE_MS) };
    expect((await fetch(`${base}/api/options/delay`, opts)).status).toBe(401);
    const auth = { ...opts, headers: { Authorization: "Bearer t0ken" } };
    const body = (await (await fetch(`${base}/api/options/delay`, auth)).json()) as {
      data: { options: { delay: { value: number } } };
    };
    expect(body.data.options.delay.value).toBe(0.05);
    expect((await fetch(`${base}/api/server/control/done/true`, opts)).status).toBe(401);
    const done = await fetch(`${base}/api/server/control/done/true`, {
      ...opts,
      headers: { Authorization: "Bearer t0ken" },
    });
    expect(done.status).toBe(200);
    expect(await r.exit).toBe(0);
    await expect(fetch(`${base}/api`, opts)).rejects.toThrow();
  });

  it("-s refuses larger requests with status 0x65; -S refuses routed requests; --route-path accepts its own", async () => {
    let r = run(["-a", "127.0.0.1:0", "-A", "-s", "30", "SCADA=INT[10]"]);
    let { tcp } = await started(r);
    let client = await TestClient.open(tcp as number);
    const big = await client.send(encodeSendRRData({ session: client.session, message: scadaWrite(1, 1) }));
    expect(new DataView(big.buffer, big.byteOffset).getUint32(8, true)).toBe(0x65);
    client.close();
    expect(await stop(r)).toBe(0);

    const routed = unconnectedSend(readTagRequest(parseEPath("SCADA[0]")), [{ port: 1, link: 0 }]);
    const routedStatus = async (argv: string[]) => {
      r = run(["-a", "127.0.0.1:0", "-A", ...argv, "SCADA=INT[10]"]);
      ({ tcp } = await started(r));
      client = await TestClient.open(tcp as number);
      const reply = await client.request(routed);
      client.close();
      expect(await stop(r)).toBe(0);
      return (reply.cip as unknown as { generalStatus: number }).generalStatus;
    };
    expect(await routedStatus([])).toBe(0);
    expect(await routedStatus(["-S"])).not.toBe(0);
    expect(await routedStatus(["--route-path", "1/0"])).toBe(0);
    expect(await routedStatus(["--route-path", "1/3"])).not.toBe(0);
  });

  it("--idle-timeout, --partial-frame-timeout and --max-connections reach the server", async () => {
    const r = run([
      "-a",
      "127.0.0.1:0",
      "-A",
      "--idle-timeout",
      "0.2",
      "--partial-frame-timeout",
      "0.1",
      "--max-connections",
      "2",
      "--max-buffered",
      "100000",
      "SCADA=INT[10]",
    ]);
    const { tcp } = await started(r);
    const first = await TestClient.open(tcp as number);
    const second = await TestClient.open(tcp as number);
    // Both registered: a third connection finds none to evict and is closed; idle, all go by the timeout.
    const third = connect({ port: tcp as number, host: "127.0.0.1" });
    third.on("error", () => undefined);
    third.resume();
    const closed = (s: Socket) =>
      new Promise<void>((done, fail) => {
        const timer = setTimeout(() => fail(new Error("the server did not close the socket")), DEADLINE_MS);
        s.once("close", () => {
          clearTimeout(timer);
          done();
        });
      });
    await Promise.all([closed(third), closed(first.socket), closed(second.socket)]);
    expect(await stop(r)).toBe(0);
  });

  it("loads cpppo.cfg from the working directory, -c files over it, and ignores the search path with --no-config", async () => {
    await writeFile(join(workDir, "cpppo.cfg"), "[Simulator]\nFromCwd = DINT = 5\nShared = INT\n");
    await writeFile(join(workDir, "extra.cfg"), "[Simulator]\nFromExtra = REAL[2] = 1.5, 2.5\n");
    const tagsOf = async (argv: string[]) => {
      const r = run(["-a", "127.0.0.1:0", "-A", "-w", "127.0.0.1:0", ...argv]);
      await started(r);
      const web = Number((await r.stdout.waitFor(/Web API address = \('127\.0\.0\.1', (\d+)\)/))[1]);
      const reply = (await (
        await fetch(`http://127.0.0.1:${web}/api/tags/*/attribute`, {
          signal: AbortSignal.timeout(DEADLINE_MS),
        })
      ).json()) as { data: { tags?: Record<string, { attribute: string }> } };
      expect(await stop(r)).toBe(0);
      return Object.fromEntries(Object.entries(reply.data.tags ?? {}).map(([k, v]) => [k, v.attribute]));
    };
    const all = await tagsOf(["-c", "extra.cfg", "Shared=DINT[3]"]);
    expect(Object.keys(all)).toEqual(["FromCwd", "FromExtra", "Shared"]);
    expect(all.FromCwd).toMatch(/DINT == 5$/);
    expect(all.FromExtra).toMatch(/REAL\[2\] == \[1\.5, 2\.5\]$/);
    expect(all.Shared).toMatch(/DINT\[3\] == \[0, 0, 0\]$/);
    expect(Object.keys(await tagsOf(["--no-config", "-c", "extra.cfg"]))).toEqual(["FromExtra"]);
    expect(Object.keys(await tagsOf(["--no-config"]))).toEqual([]);
    await writeFile(join(workDir, "plant.cfg"), "[Simulator]\nFromPlant = SINT\n");
    expect(Object.keys(await tagsOf(["-b", "plant"]))).toEqual(["FromPlant"]);
  });

  it("-l FILE logs there at -v, and SIGHUP reopens it after logrotate moved it", async () => {
    const log = join(workDir, "sim.log");
    const r = run(["-a", "127.0.0.1:0", "-A", "-vv", "-l", "sim.log", "SCADA=INT"]);
    const { tcp } = await started(r);
    await rename(log, `${log}.1`);
    r.signals.emit("SIGHUP");
    const client = await TestClient.open(tcp as number);
    client.close();
    const end = Date.now() + DEADLINE_MS;
    while (!(await readFile(log, "utf8")).includes(" done; processed ")) {
      if (Date.now() > end) throw new Error("no disconnection in the reopened log");
      await new Promise((ok) => setTimeout(ok, 20));
    }
    expect(await stop(r)).toBe(0);
    expect(await readFile(`${log}.1`, "utf8")).toMatch(/NORMAL +EtherNet\/IP simulator serving/);
    const reopened = await readFile(log, "utf8");
    expect(reopened).toMatch(/log .*sim\.log reopened/);
    expect(reopened).toMatch(
      /NORMAL +EtherNet\/IP Server enip_\d+ begins serving peer \('127\.0\.0\.1', \d+\)/,
    );
    expect(reopened).toMatch(/NORMAL +stopped\n$/);
    expect(r.stderr.text).toBe("");
  });

  it("-v logs each connection, disconnection and error reply in cpppo's forms; -vv each request too", async () => {
    const session = async (verbosity: string) => {
      const r = run(["-a", "127.0.0.1:0", "-A", "-U", verbosity, "SCADA=INT[10]"]);
      const { tcp } = await started(r);
      const client = await TestClient.open(tcp as number);
      const peer = client.socket.localPort as number;
      const good = await client.request(readTagRequest(parseEPath("SCADA[1]")));
      expect(good.cip).toMatchObject({ generalStatus: 0 });
      const bad = await client.request(readTagRequest(parseEPath("NOPE")));
      expect(bad.cip).toMatchObject({ generalStatus: 0x04 });
      client.close();
      await r.stderr.waitFor(/ done; processed /);
      expect(await stop(r)).toBe(0);
      return { text: r.stderr.text, peer };
    };
    const normal = await session("-v");
    let p = normal.peer;
    expect(normal.text).toMatch(
      new RegExp(`NORMAL +EtherNet/IP Server enip_${p} begins serving peer \\('127\\.0\\.0\\.1', ${p}\\)\n`),
    );
    expect(normal.text).toMatch(
      new RegExp(
        `NORMAL +enip_${p} error reply to SendRRData Read Tag NOPE: .*\\(0x04\\), extended 0x0000\n`,
      ),
    );
    // RegisterSession (28 bytes) and two reads: cpppo's counts, plural and padding.
    expect(normal.text).toMatch(
      new RegExp(
        `NORMAL +enip_${p} done; processed   3 requests over +\\d+ bytes/ +\\d+ received \\(0 connections remain\\)\n`,
      ),
    );
    // Only the failed read is an error reply, and -v logs no request lines.
    expect(normal.text.match(/error reply/g)).toHaveLength(1);
    expect(normal.text).not.toMatch(/ recv: | send: /);

    const detail = await session("-vv");
    p = detail.peer;
    for (const line of [
      `DETAIL +enip_${p} recv: +28: RegisterSession`,
      `DETAIL +enip_${p} send: +28: RegisterSession, status 0x0000`,
      `DETAIL +enip_${p} recv: +\\d+: SendRRData Read Tag SCADA\\[1\\]`,
      `DETAIL +enip_${p} send: +\\d+: Read Tag reply: .*\\(0x00\\)`,
      `DETAIL +enip_${p} recv: +\\d+: SendRRData Read Tag NOPE`,
      `NORMAL +enip_${p} error reply to SendRRData Read Tag NOPE: `,
    ])
      expect(detail.text).toMatch(new RegExp(line));
  });

  it("-v logs an encapsulation error reply with its EtherNet/IP status", async () => {
    const r = run(["-a", "127.0.0.1:0", "-A", "-U", "-v", "-s", "30", "SCADA=INT[10]"]);
    const { tcp } = await started(r);
    const client = await TestClient.open(tcp as number);
    const big = await client.send(encodeSendRRData({ session: client.session, message: scadaWrite(1, 1) }));
    expect(new DataView(big.buffer, big.byteOffset).getUint32(8, true)).toBe(0x65);
    const line = await r.stderr.waitFor(
      /NORMAL +enip_\d+ error reply to SendRRData Write Tag SCADA\[1\]: (.*)\n/,
    );
    expect(line[1]).toMatch(/^EtherNet\/IP status 0x0065 \(/);
    client.close();
    expect(await stop(r)).toBe(0);
  });

  it("-D loads structure definitions that tags may then use", async () => {
    const fixture = resolve(__dirname, "../../../packages/cip-codec/fixtures/ExampleSensor-tags.json");
    const r = run(["-a", "127.0.0.1:0", "-A", "-D", fixture, "Sensors=Example_SENSOR[2]"]);
    const { tcp } = await started(r);
    const client = await TestClient.open(tcp as number);
    const read = await client.request(readTagRequest(parseEPath("Sensors[1]")));
    // One Example_SENSOR is larger than a reply's 488 data bytes: a 0x06 partial reply (a success) of a structure.
    expect(read.cip).toMatchObject({ kind: "readTag", generalStatus: 0x06, type: 0x02a0 });
    expect((read.cip as unknown as { data: Uint8Array }).data.length).toBeGreaterThan(0);
    client.close();
    expect(await stop(r)).toBe(0);
  });
});

describe("the enip-server executable", () => {
  afterEach(killExecutables);

  it("runs from source with tsx and exits 0 on SIGTERM", async () => {
    const cli = await startExecutable(["--no-config", "X=DINT"]);
    const client = await TestClient.open(cli.port);
    client.close();
    cli.child.kill("SIGTERM");
    expect((await cli.exited).code).toBe(0);
    expect(cli.stderr()).toBe("");
  }, 30_000);
});

/**
 * modbus-sim against Debian's mbpoll (a C Modbus master on libmodbus): every data type mbpoll has, reads and
 * writes (single and multiple), 32-bit integers and floats in its default word order (low word first), and the
 * Modbus exceptions it prints. Each mbpoll run is one connection polled once (`-1`).
 */
import { type Cli, killExecutables, startExecutable } from "./support/executable.js";
import { describeWithPeers, mbpollValues, runPeer, runs } from "./support/peers.js";

const RANGES = [
  "1-16=0",
  "10001-10008=1,0,1,1,0,0,1,0",
  "30001-30004=11,22,33,44",
  "40001-40020=0",
  "40101=0x4049,0x0fdb",
];

let cli: Cli;
beforeAll(async () => {
  if (runs("mbpoll", ["-V"])) cli = await startExecutable(["-a", "127.0.0.1:0", ...RANGES]);
}, 30_000);
afterAll(() => killExecutables());

/** `mbpoll -p PORT -a 1 -1 ...args 127.0.0.1 ...values` (`--` before the values, which may be negative). */
function mbpoll(args: string[], values: string[] = []) {
  const tail = values.length > 0 ? ["--", ...values] : [];
  return runPeer("mbpoll", [
    "-p",
    String(cli.port),
    "-a",
    "1",
    "-1",
    "-o",
    "5",
    ...args,
    "127.0.0.1",
    ...tail,
  ]);
}

describeWithPeers(
  "modbus-sim with mbpoll",
  () => (runs("mbpoll", ["-V"]) ? undefined : "mbpoll"),
  () => {
    it("reads coils (-t 0), writes one (FC5) and several (FC15)", async () => {
      expect(mbpollValues((await mbpoll(["-t", "0", "-r", "1", "-c", "4"])).stdout)).toEqual([
        [1, "0"],
        [2, "0"],
        [3, "0"],
        [4, "0"],
      ]);
      expect((await mbpoll(["-t", "0", "-r", "2"], ["1"])).code).toBe(0);
      expect((await mbpoll(["-t", "0", "-r", "9"], ["1", "0", "1", "1"])).code).toBe(0);
      const read = await mbpoll(["-t", "0", "-r", "1", "-c", "12"]);
      expect(read.code).toBe(0);
      expect(mbpollValues(read.stdout).map(([, v]) => v)).toEqual([
        "0",
        "1",
        "0",
        "0",
        "0",
        "0",
        "0",
        "0",
        "1",
        "0",
        "1",
        "1",
      ]);
    });

    it("reads discrete inputs (-t 1)", async () => {
      const read = await mbpoll(["-t", "1", "-r", "1", "-c", "8"]);
      expect(read.code).toBe(0);
      expect(mbpollValues(read.stdout).map(([, v]) => v)).toEqual(["1", "0", "1", "1", "0", "0", "1", "0"]);
    });

    it("reads input registers (-t 3)", async () => {
      const read = await mbpoll(["-t", "3", "-r", "1", "-c", "4"]);
      expect(read.code).toBe(0);
      expect(mbpollValues(read.stdout)).toEqual([
        [1, "11"],
        [2, "22"],
        [3, "33"],
        [4, "44"],
      ]);
    });

    it("writes holding registers, one (FC6) and several (FC16), and reads them back (-t 4)", async () => {
      expect((await mbpoll(["-t", "4", "-r", "1"], ["1234"])).code).toBe(0);
      expect((await mbpoll(["-t", "4", "-r", "2"], ["5678", "65535", "0"])).code).toBe(0);
      const read = await mbpoll(["-t", "4", "-r", "1", "-c", "4"]);
      expect(read.code).toBe(0);
      expect(mbpollValues(read.stdout)).toEqual([
        [1, "1234"],
        [2, "5678"],
        [3, "65535"],
        [4, "0"],
      ]);
      const hex = await mbpoll(["-t", "4:hex", "-r", "3", "-c", "1"]);
      expect(mbpollValues(hex.stdout)).toEqual([[3, "0xFFFF"]]);
    });

    it("writes and reads 32-bit integers (-t 4:int), low word first as mbpoll sends them", async () => {
      expect((await mbpoll(["-t", "4:int", "-r", "11"], ["-100000", "2000000000"])).code).toBe(0);
      const read = await mbpoll(["-t", "4:int", "-r", "11", "-c", "2"]);
      expect(mbpollValues(read.stdout)).toEqual([
        [11, "-100000"],
        [13, "2000000000"],
      ]);
      // -100000 is 0xfffe7960: mbpoll's default word order puts the low word first.
      const hex = await mbpoll(["-t", "4:hex", "-r", "11", "-c", "2"]);
      expect(mbpollValues(hex.stdout)).toEqual([
        [11, "0x7960"],
        [12, "0xFFFE"],
      ]);
    });

    it("writes and reads 32-bit floats (-t 4:float), and reads one defined big-endian with -B", async () => {
      expect((await mbpoll(["-t", "4:float", "-r", "15"], ["3.5", "-0.25"])).code).toBe(0);
      const read = await mbpoll(["-t", "4:float", "-r", "15", "-c", "2"]);
      expect(mbpollValues(read.stdout)).toEqual([
        [15, "3.5"],
        [17, "-0.25"],
      ]);
      // 40101=0x4049,0x0fdb is pi, high word first.
      const pi = await mbpoll(["-t", "4:float", "-B", "-r", "101", "-c", "1"]);
      expect(pi.code).toBe(0);
      expect(Number(mbpollValues(pi.stdout)[0]?.[1])).toBeCloseTo(Math.PI, 5);
    });

    it("prints the Modbus exception for an undefined address (02) and exits 1", async () => {
      const holding = await mbpoll(["-t", "4", "-r", "21", "-c", "1"]);
      expect(holding.code).toBe(1);
      expect(holding.stdout + holding.stderr).toMatch(/Illegal data address/);
      const straddling = await mbpoll(["-t", "3", "-r", "3", "-c", "3"]);
      expect(straddling.code).toBe(1);
      expect(straddling.stdout + straddling.stderr).toMatch(/Illegal data address/);
      const write = await mbpoll(["-t", "0", "-r", "17"], ["1"]);
      expect(write.code).toBe(1);
      expect(write.stdout + write.stderr).toMatch(/Illegal data address/);
    });

    it("answers any unit id on TCP (cpppo's single store)", async () => {
      for (const unit of ["0", "17", "255"]) {
        const read = await runPeer("mbpoll", [
          "-p",
          String(cli.port),
          "-a",
          unit,
          "-1",
          "-t",
          "3",
          "-r",
          "1",
          "127.0.0.1",
        ]);
        expect(read.code).toBe(0);
        expect(mbpollValues(read.stdout)).toEqual([[1, "11"]]);
      }
    });
  },
);

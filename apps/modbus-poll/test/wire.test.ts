/**
 * modbus-poll's wire under tshark (live loopback capture; modbus-sim's capture helper, imported): the writes given
 * on the command line go out as one FC16 per contiguous block of up to 123 registers, and every poll cycle reads
 * exactly the merged blocks, nothing else.
 */
import { execFileSync } from "node:child_process";
import { EventEmitter } from "node:events";
import { ModbusServer, ModbusStore, parseRegisterRanges } from "@cpppo/modbus-server";
import { LoopbackCapture } from "../../modbus-sim/test/support/capture.js";
import { describeWithPeers, runs } from "../../modbus-sim/test/support/peers.js";
import { main } from "../src/main.js";

jest.setTimeout(90_000);

let capture: LoopbackCapture | undefined;
let server: ModbusServer | undefined;
afterEach(async () => {
  capture?.remove();
  capture = undefined;
  await server?.close({ deadlineMs: 0 });
});

/** The request frames of the capture as `fc@offset×count` (tshark's own fields). */
function requests(cap: LoopbackCapture, port: number): string[] {
  // The helper keeps its file private; the path is read here only to ask tshark for fields.
  const file = (cap as unknown as { file: string }).file;
  const out = execFileSync(
    "tshark",
    [
      "-r",
      file,
      "-o",
      `mbtcp.tcp.port:${port}`,
      "-Y",
      `mbtcp && tcp.dstport == ${port}`,
      "-T",
      "fields",
      "-e",
      "modbus.func_code",
      "-e",
      "modbus.reference_num",
      "-e",
      "modbus.word_cnt",
      "-e",
      "modbus.bit_cnt",
    ],
    { encoding: "utf8", timeout: 60_000 },
  );
  return out
    .split("\n")
    .filter(Boolean)
    .map((l) => {
      const [fc, ref, words, bits] = l.split("\t");
      return `${fc}@${ref}×${words || bits}`;
    });
}

describeWithPeers(
  "modbus-poll's wire under tshark",
  () => (runs("tshark", ["--version"]) ? undefined : "tshark"),
  () => {
    it("writes one FC16 per contiguous block, then polls exactly the merged blocks", async () => {
      let reads = 0;
      server = new ModbusServer({
        store: ModbusStore.fromRanges(parseRegisterRanges(["40001-40200=0", "1-8=0"])),
        hooks: {
          onRead: () => {
            reads++;
            return undefined;
          },
        },
      });
      const { port } = await server.listenTcp({ host: "127.0.0.1", port: 0 });
      capture = await LoopbackCapture.start(port);
      const stderr = {
        text: "",
        write(c: string): boolean {
          this.text += c;
          return true;
        },
      };
      const signals = new EventEmitter();
      const exit = main(["-a", `127.0.0.1:${port}`, "-R", "0.05", "-v", "40001-40130=5", "40200", "1-3"], {
        stdout: { write: () => true },
        stderr,
        signals,
      });
      // Two whole cycles (4 reads each) seen by the server, then stop.
      const end = Date.now() + 20_000;
      while (reads < 9) {
        if (Date.now() > end) throw new Error(`only ${reads} reads: ${stderr.text}`);
        await new Promise((ok) => setTimeout(ok, 50));
      }
      signals.emit("SIGINT");
      expect(await exit).toBe(0);
      await capture.stop(2 * (2 + reads));
      const seen = requests(capture, port);
      expect(seen.slice(0, 2)).toEqual(["16@0×123", "16@123×7"]);
      const cycle = ["1@0×3", "3@0×123", "3@123×7", "3@199×1"];
      const polls = seen.slice(2);
      expect(polls.length).toBeGreaterThanOrEqual(8);
      for (let i = 0; i < polls.length; i++) expect(polls[i]).toBe(cycle[i % cycle.length]);
    });
  },
);

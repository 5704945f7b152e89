/**
 * RTU over a socat pty pair: two pollers (units 1 and 2) share one RtuTransport on one line against our
 * simulator, while the test writes random noise onto the line towards them. Every value read is right (noise
 * makes a request fail, never a wrong value), both keep polling, and one transaction is in flight at a time.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import { rng } from "@cpppo/bench-kit";
import { ModbusServer, ModbusStore, parseRegisterRanges } from "@cpppo/modbus-server";
import { describeWithPeers, runs } from "../../../apps/modbus-sim/test/support/peers.js";
import { type PtyPair, ptyPair } from "../../../apps/modbus-sim/test/support/pty.js";
import { type FailureEvent, ModbusPoller, RtuTransport, type ValueEvent } from "../src/index.js";

jest.setTimeout(60_000);
const WAIT_MS = 30_000;

describeWithPeers(
  "RTU on a socat pty pair",
  () => (runs("socat", ["-V"]) ? undefined : "socat"),
  () => {
    let pair: PtyPair;
    let server: ModbusServer;
    beforeAll(async () => {
      pair = await ptyPair();
      server = new ModbusServer({
        units: new Map([
          [1, ModbusStore.fromRanges(parseRegisterRanges(["40001-40010=11", "1-8=1"]))],
          [2, ModbusStore.fromRanges(parseRegisterRanges(["40001-40010=22"]))],
        ]),
      });
      await server.openRtu({ path: pair.a, baudRate: 19200, units: [1, 2] });
    });
    afterAll(async () => {
      await server?.close({ deadlineMs: 0 });
      await pair?.close();
    });

    it("two pollers share one line through noise: every value right, both keep polling", async () => {
      const line = new RtuTransport({ path: pair.b, baudRate: 19200, timeout: 500 });
      const one = new ModbusPoller({ transport: line, unit: 1, period: 20 });
      const two = new ModbusPoller({ transport: line, unit: 2, period: 20 });
      const values: ValueEvent[] = [];
      const failures: FailureEvent[] = [];
      for (const p of [one, two]) {
        p.on("value", (e: ValueEvent) => values.push(e));
        p.on("failure", (e: FailureEvent) => failures.push(e));
      }
      one.poll(40001, 10);
      one.poll(1, 8);
      two.poll(40001, 10);
      let reads = [0, 0];
      one.on("load", () => {
        if (one.polling.length === 2) reads = [(reads[0] as number) + 1, reads[1] as number];
      });
      two.on("load", () => {
        if (two.polling.length === 1) reads = [reads[0] as number, (reads[1] as number) + 1];
      });
      const noise = openSync(pair.a, "w");
      const random = rng(42);
      const timer = setInterval(() => {
        const bytes = Uint8Array.from({ length: 1 + Math.floor(random() * 12) }, () =>
          Math.floor(random() * 256),
        );
        // Every other burst looks like the start of a reply (unit, FC3, byte count) to a framer that trusts it.
        if (random() < 0.5) bytes.set([1 + Math.floor(random() * 2), 3, 20].slice(0, bytes.length));
        writeSync(noise, bytes);
      }, 5);
      try {
        const end = Date.now() + WAIT_MS;
        while ((reads[0] as number) < 40 || (reads[1] as number) < 40) {
          if (Date.now() > end) throw new Error(`only ${reads} good cycles; ${failures.length} failures`);
          await new Promise((ok) => setTimeout(ok, 50));
        }
      } finally {
        clearInterval(timer);
        closeSync(noise);
        await one.close();
        await two.close();
        await line.close();
      }
      const wrong = values.filter((e) =>
        e.address >= 40001 ? e.value !== (e.unit === 1 ? 11 : 22) : e.value !== 1,
      );
      expect(wrong).toEqual([]);
      // The noise did bite: requests failed, and the port was reopened after them.
      expect(failures.length).toBeGreaterThan(0);
      expect(line.connects).toBeGreaterThan(1);
      expect(values.filter((e) => e.unit === 2)).toHaveLength(10);
      expect(values.filter((e) => e.unit === 1)).toHaveLength(18);
    });
  },
);

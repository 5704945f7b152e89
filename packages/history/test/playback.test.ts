import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { EnipClient } from "../../enip-client/src/index.js";
// The simulator comes from source by path: @cpppo/enip-server will depend on @cpppo/history (historize), so
// history cannot list it as a dependency without a cycle.
import { Controller, EnipServer } from "../../enip-server/src/index.js";
import { HistoryExhaustedError, HistoryWriter } from "../src/files/index.js";
import {
  driveTags,
  HistoryLoader,
  HistoryReader,
  IframeError,
  LoaderState,
  type PlaybackEvent,
  playback,
  wallClock,
} from "../src/playback/index.js";
import { formatRecord } from "../src/records/index.js";
import { collect, tempDir } from "./support/tmp.js";

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

const T0 = 1405461824.186;

/** Writes `frames` (historical offset from T0, data) to `path`, rotating to a new file every `perFile` records. */
async function history(path: string, frames: [number, unknown, unknown?][], perFile = 1000): Promise<void> {
  let n = 0;
  let writer = new HistoryWriter(path);
  for (const [dt, data, serial] of frames) {
    await writer.write(data, { now: T0 + dt, serial });
    if (++n % perFile === 0) {
      await writer.close();
      // Rotate by hand: the writer's rotation is tested in files.test.ts.
      writer = new HistoryWriter(path, { rotateBytes: 1 });
      await writer.write(null, { now: 0 }).catch(() => {});
      await writer.close();
      writer = new HistoryWriter(path);
    }
  }
  await writer.close();
}

describe("playback", () => {
  it("hands each record out at or after its due time, due times spaced by the speed", async () => {
    const path = join(tmp.dir, "hist.gz");
    await history(path, [
      [0, { a: 0 }],
      [0.2, { a: 1 }],
      [0.4, { a: 2 }],
      [0.6, { a: 3 }],
    ]);
    const seen: [PlaybackEvent, number][] = [];
    for await (const event of playback(path, { speed: 2 })) seen.push([event, wallClock()]);
    expect(seen.map(([e]) => e.data)).toEqual([{ a: 0 }, { a: 1 }, { a: 2 }, { a: 3 }]);
    const start = seen[0]?.[0].due as number;
    seen.forEach(([event, at], i) => {
      expect(event.due - start).toBeCloseTo(i * 0.1, 6);
      expect(at).toBeGreaterThanOrEqual(event.due);
      expect(event.pass).toBe(0);
      expect(event.primed).toBe(false);
    });
  });

  it("starts at `since`, priming with the earlier records of its file, and stops after `until`", async () => {
    const path = join(tmp.dir, "hist");
    await history(path, [
      [0, { a: 0 }],
      [1, { a: 1 }],
      [2, { a: 2 }],
      [2.05, { a: 3 }],
      [2.1, { a: 4 }],
      [9, { a: 5 }],
    ]);
    const events = await collect(playback(path, { since: T0 + 2, until: T0 + 2.1 }));
    expect(events.map((e) => [e.data, e.primed])).toEqual([
      [{ a: 0 }, true],
      [{ a: 1 }, true],
      [{ a: 2 }, false],
      [{ a: 3 }, false],
      [{ a: 4 }, false],
    ]);
    const unprimed = await collect(playback(path, { since: T0 + 2, until: T0 + 2.06, prime: false }));
    expect(unprimed.map((e) => e.data)).toEqual([{ a: 2 }, { a: 3 }]);
  });

  it("plays across the files of a rotated set of mixed compression", async () => {
    const path = join(tmp.dir, "hist");
    const writer = new HistoryWriter(path, { rotateBytes: 30 });
    for (let i = 0; i < 6; i++) await writer.write({ a: i }, { now: T0 + i * 0.01 });
    await writer.close();
    const { execFileSync } = await import("node:child_process");
    execFileSync("gzip", [join(tmp.dir, "hist.1")]);
    execFileSync("xz", [join(tmp.dir, "hist.2")]);
    execFileSync("bzip2", [join(tmp.dir, "hist.3")]);
    const events = await collect(playback(path, { speed: 10 }));
    expect(events.map((e) => e.data)).toEqual([0, 1, 2, 3, 4, 5].map((a) => ({ a })));
  });

  it("loops: each pass follows the last record by the mean interval, until aborted", async () => {
    const path = join(tmp.dir, "hist");
    await history(path, [
      [0, { a: 0 }],
      [0.02, { a: 1 }],
      [0.04, { a: 2 }],
    ]);
    const controller = new AbortController();
    const events: PlaybackEvent[] = [];
    for await (const event of playback(path, { loop: true, signal: controller.signal })) {
      events.push(event);
      if (events.length === 8) controller.abort();
    }
    expect(events.map((e) => [e.pass, (e.data as { a: number }).a])).toEqual([
      [0, 0],
      [0, 1],
      [0, 2],
      [1, 0],
      [1, 1],
      [1, 2],
      [2, 0],
      [2, 1],
    ]);
    const start = events[0]?.due as number;
    events.forEach((e, i) => {
      expect(e.due - start).toBeCloseTo(i * 0.02, 6);
    });
  });

  it("throws HistoryExhaustedError for a path with no files, and refuses a speed that is not positive", async () => {
    await expect(collect(playback(join(tmp.dir, "none")))).rejects.toThrow(HistoryExhaustedError);
    await expect(collect(playback(join(tmp.dir, "none"), { speed: 0 }))).rejects.toThrow(/speed/);
  });
});

describe("HistoryReader (cpppo's reader)", () => {
  it("opens the file for a time by cpppo's rules and hands records out as the clock reaches them", async () => {
    // Ten files of one record each, newest (no suffix) first, one second apart, mixed compression.
    const now = wallClock();
    const { execFileSync } = await import("node:child_process");
    const path = join(tmp.dir, "seq");
    for (let e = 0; e < 10; e++) {
      const file = e === 0 ? path : `${path}.${e}`;
      writeFileSync(file, formatRecord(now - e, null, { "40001": 10 - e }));
      if (e > 0) {
        const tool = ["gzip", "xz", "bzip2", ""][e % 4] as string;
        if (tool !== "") execFileSync(tool, [file]);
      }
    }
    // Start about 6 s back at 3x: the whole history plays in about 2 s.
    const reader = new HistoryReader(path, { historical: now - 6.5, factor: 3 });
    expect(reader.realtime(reader.advance(now + 1))).toBeCloseTo(now + 1, 6);
    let last: number | undefined = now - 6.5;
    let after = false;
    let strict = false;
    const seen: number[] = [];
    const deadline = wallClock() + 20;
    try {
      while (wallClock() < deadline) {
        const open = reader.open({ target: last, after, strict });
        after = true;
        strict = true;
        for await (const item of open) {
          if (seen.length > 0) expect(item.timestamp).toBeGreaterThanOrEqual(last as number);
          last = item.timestamp;
          if (item.record === undefined) {
            expect(item.timestamp).toBeGreaterThan(item.current);
            await new Promise((r) => setTimeout(r, 20));
          } else {
            expect(item.timestamp).toBeLessThanOrEqual(item.current);
            seen.push((item.record.data as Record<string, number>)["40001"] as number);
          }
        }
      }
      throw new Error("the reader should have run out of files");
    } catch (error) {
      expect(error).toBeInstanceOf(HistoryExhaustedError);
    }
    // The first open picks the newest file starting at or before 6.5 s ago (7 s ago, value 3), then each next one.
    expect(seen).toEqual([3, 4, 5, 6, 7, 8, 9, 10]);
  }, 30_000);
});

describe("HistoryLoader (cpppo's loader)", () => {
  /** Two files of register frames a tenth of a second apart; `corrupt` lines are cut short. */
  function frames(path: string, corrupt: (file: number, line: number) => boolean): number {
    const now = wallClock();
    for (let e = 0; e < 2; e++) {
      let text = "";
      for (let i = 0; i < 10; i++) {
        const line = formatRecord(now - 2 * (e + 1) + i / 10, null, { "40001": 100 * e + i, "40002": i });
        text += corrupt(e, i) ? `${line.slice(0, line.length - 8)}\n` : line;
      }
      writeFileSync(e === 0 ? path : `${path}.${e - 1}`, text);
    }
    return now;
  }

  async function run(
    loader: HistoryLoader,
    options: Parameters<HistoryLoader["load"]>[0] = {},
  ): Promise<number> {
    let events = 0;
    const deadline = wallClock() + 20;
    while (loader.active) {
      if (wallClock() > deadline) throw new Error("the loader should have ended");
      events += (await loader.load(options)).events.length;
      await new Promise((r) => setTimeout(r, 10));
    }
    return events;
  }

  it("loads every frame into values, at 4x, and completes", async () => {
    const path = join(tmp.dir, "regs");
    const now = frames(path, () => false);
    const loader = new HistoryLoader(path, { historical: now - 4, factor: 4, lookahead: 0.5 });
    expect(await run(loader)).toBe(20);
    expect(loader.state).toBe(LoaderState.COMPLETE);
    expect(loader.values.get(40001)?.[1]).toBe(9);
    expect(loader.values.get(40002)?.[1]).toBe(9);
  }, 30_000);

  it("fails, raises or suppresses on a corrupt initial frame, and powers through later bad records", async () => {
    const path = join(tmp.dir, "regs");
    const now = frames(path, (file, line) => (file === 1 && line === 0) || line === 5);
    const failing = new HistoryLoader(path, { historical: now - 4, factor: 4 });
    await run(failing);
    expect(failing.state).toBe(LoaderState.FAILED);
    expect(failing.error).toBeInstanceOf(IframeError);
    const raising = new HistoryLoader(path, { historical: now - 4, factor: 4 });
    await expect(raising.load({ onBadIframe: "raise" })).rejects.toThrow(IframeError);
    const warnings: string[] = [];
    const suppressing = new HistoryLoader(path, {
      historical: now - 4,
      factor: 4,
      onWarning: (m) => warnings.push(m),
    });
    expect(await run(suppressing, { onBadIframe: "suppress" })).toBe(17);
    expect(suppressing.state).toBe(LoaderState.COMPLETE);
    expect(warnings.filter((w) => w.startsWith("FAIL"))).toHaveLength(3);
    const strictData = new HistoryLoader(path, { historical: now - 4, factor: 4 });
    await run(strictData, { onBadIframe: "suppress", onBadData: "fail" });
    expect(strictData.state).toBe(LoaderState.FAILED);
  }, 30_000);

  it("stops after `duration` historical seconds, and loops when asked", async () => {
    const path = join(tmp.dir, "regs");
    const now = frames(path, () => false);
    const short = new HistoryLoader(path, { historical: now - 4, factor: 8, duration: 0.55 });
    expect(await run(short)).toBe(6);
    const looping = new HistoryLoader(path, { historical: now - 4, factor: 20, loop: true });
    const deadline = wallClock() + 20;
    let events = 0;
    while (looping.passes < 2 && wallClock() < deadline) {
      events += (await looping.load()).events.length;
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(looping.passes).toBe(2);
    expect(events).toBeGreaterThanOrEqual(40);
    expect(looping.active).toBe(true);
  }, 30_000);
});

describe("driveTags into a real EtherNet/IP simulator", () => {
  it("changes the simulator's tags as the records say, seen by a client over TCP", async () => {
    const path = join(tmp.dir, "plant.gz");
    await history(path, [
      [0, { write: [1, 2, 3] }, ["SCADA", [0, 2]]],
      [0.05, { read: [7] }, ["SCADA", [5, 5]]],
      [0.1, "a note"],
      [0.15, { write: [42] }, ["Motor", [0, 0]]],
      [0.2, { write: [9, 9] }, ["SCADA", [1, 2]]],
    ]);
    const controller = new Controller({ tags: ["SCADA=INT[10]", "Motor=DINT"] });
    const server = await EnipServer.start({ controller, host: "127.0.0.1", port: 0 });
    const client = await EnipClient.connect({
      host: "127.0.0.1",
      port: server.tcpAddress?.port as number,
      timeout: 5000,
    });
    try {
      const sink = {
        write(name: string, index: number, values: unknown[]) {
          controller.tags.get(name)?.setValues(index, values);
        },
      };
      const seenDuring: unknown[] = [];
      const events = (async function* () {
        for await (const event of playback(path, { speed: 1 })) {
          yield event;
          if (event.timestamp === T0) seenDuring.push((await client.read("SCADA[0]", { elements: 3 })).value);
        }
      })();
      const result = await driveTags(events, sink);
      expect(result).toEqual({ applied: 4, skipped: 1 });
      expect(seenDuring).toEqual([[1, 2, 3]]);
      expect((await client.read("SCADA[0]", { elements: 6 })).value).toEqual([1, 9, 9, 0, 0, 7]);
      expect((await client.read("Motor")).value).toEqual([42]);
    } finally {
      await client.close();
      await server.close();
    }
  }, 30_000);
});

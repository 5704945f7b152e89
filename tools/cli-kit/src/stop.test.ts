import { EventEmitter } from "node:events";
import { watchStopSignals, within } from "./stop.js";

describe("watchStopSignals", () => {
  it("stops on the first SIGINT, forces on a second signal, reopens on SIGHUP", async () => {
    const signals = new EventEmitter();
    let hangups = 0;
    const watch = watchStopSignals(signals, () => hangups++);
    signals.emit("SIGHUP");
    expect(hangups).toBe(1);
    let forced = false;
    void watch.forced.then(() => {
      forced = true;
    });
    signals.emit("SIGINT");
    await expect(watch.stopped).resolves.toBe("SIGINT");
    await Promise.resolve();
    expect(forced).toBe(false);
    signals.emit("SIGTERM");
    await expect(within(watch.forced, 1000)).resolves.toBe(true);
  });

  it("a stop from elsewhere keeps its reason, and a signal after it forces", async () => {
    const signals = new EventEmitter();
    const watch = watchStopSignals(signals, () => {});
    watch.stop("web API done");
    signals.emit("SIGTERM");
    await expect(watch.stopped).resolves.toBe("web API done");
    await expect(within(watch.forced, 1000)).resolves.toBe(true);
  });

  it("releases every listener", () => {
    const signals = new EventEmitter();
    const watch = watchStopSignals(signals, () => {});
    watch.releaseHangup();
    expect(signals.listenerCount("SIGHUP")).toBe(0);
    expect(signals.listenerCount("SIGINT")).toBe(1);
    watch.release();
    for (const name of ["SIGINT", "SIGTERM", "SIGHUP"]) expect(signals.listenerCount(name)).toBe(0);
  });
});

describe("within", () => {
  it("is true when the promise settles in time, false at the deadline", async () => {
    await expect(within(Promise.resolve(1), 1000)).resolves.toBe(true);
    await expect(within(new Promise(() => {}), 20)).resolves.toBe(false);
  });
});

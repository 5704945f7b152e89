/**
 * A smaller run of the fuzz script (bench/fuzz.ts): 20,000 mutated real frames over four TCP connections
 * and some UDP datagrams against an in-process EnipServer, while a watcher writes and reads a tag on its
 * own connection. The server must not throw, the watcher must see every value right and no error, and
 * the server must still serve a new client afterwards with no fuzz connection left behind.
 */

import { exampleSensorUdt, FUZZ_TAGS, fuzzServer, WATCH_TAG } from "../bench/fuzz-engine.js";
import { Controller } from "../src/controller/controller.js";
import { EnipServer } from "../src/server.js";
import { readTag, TestClient, withDeadline } from "./support/server-client.js";

const FRAMES = 20_000;

test(`${FRAMES} mutated frames: no crash, the watcher reads every value right, the server still serves`, async () => {
  const controller = new Controller({ udts: [exampleSensorUdt()], tags: [...FUZZ_TAGS] });
  const server = await EnipServer.start({ controller, host: "127.0.0.1", port: 0, closeTimeout: 0.5 });
  try {
    const report = await fuzzServer(
      { host: "127.0.0.1", tcpPort: server.tcpAddress?.port ?? 0, udpPort: server.udpAddress?.port },
      { frames: FRAMES, seed: 20_240_601 },
    );
    expect(report.failures).toEqual([]);
    expect(report.watcherErrors).toEqual([]);
    expect(report.frames).toBe(FRAMES);
    expect(report.tcpFrames + report.udpFrames).toBe(FRAMES);
    expect(report.udpFrames).toBeGreaterThan(0);
    expect(report.tcpReplies).toBeGreaterThan(FRAMES / 2);
    expect(report.watcherReads).toBeGreaterThan(10);
    // Most connections carried many frames before a hostile one ended them (or the server closed them).
    expect(report.connections).toBeLessThan(FRAMES / 10);

    const client = await TestClient.connect(server.tcpAddress?.port ?? 0);
    try {
      await client.register();
      const reply = await client.request(readTag(WATCH_TAG, 0));
      expect(reply.generalStatus).toBe(0);
    } finally {
      client.close();
    }
    await withDeadline(
      (async () => {
        while (server.connections().length > 0) await new Promise((r) => setTimeout(r, 20));
      })(),
      "every fuzz connection to close",
    );
  } finally {
    await withDeadline(server.close(), "the server to close", 5000);
  }
}, 120_000);

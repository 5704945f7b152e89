// UDP (issue 9, item 7): with `udp: true` tag operations go in SendRRData datagrams, as cpppo's client sends them
// and cpppo's server answers them: no RegisterSession (session handle 0), each request timed by its own deadline,
// a lost datagram a clean timeout. Our simulator answers SendRRData over UDP.
import { createSocket, type Socket } from "node:dgram";
import { Controller, EnipServer } from "@cpppo/enip-server";
import { EnipClient } from "../src/client.js";
import { InvalidArgumentError, RequestTimeoutError } from "../src/core/errors.js";
import { parseOperation } from "../src/parse-operations.js";
import { dintReply, frameOf, headerOf, rrData } from "./support/raw-server.js";

describe("UDP against our simulator", () => {
  let server: EnipServer;
  let port: number;
  let client: EnipClient;
  beforeAll(async () => {
    // UDP only: nothing can go over TCP.
    const controller = new Controller({ tags: ["SCADA=INT[1000]", "TEXT=SSTRING", "R=REAL[4]"] });
    server = await EnipServer.start({ controller, host: "127.0.0.1", port: 0, tcp: false });
    port = server.udpAddress?.port as number;
    client = await EnipClient.connect({ host: "127.0.0.1", port, udp: true, timeout: 5000 });
  });
  afterAll(async () => {
    await client.close();
    await server.close();
  });

  test("reads and writes tags with no session", async () => {
    expect(client.sessionHandle).toBe(0);
    expect((await client.write("SCADA[1]", [99], { type: "INT" })).ok).toBe(true);
    expect((await client.read("SCADA[0]", { elements: 3 })).value).toEqual([0, 99, 0]);
    expect((await client.write("TEXT", ["héllo"], { type: "SSTRING" })).ok).toBe(true);
    expect((await client.read("TEXT")).value).toEqual(["héllo"]);
  });

  test("a read larger than one reply is continued over several datagrams", async () => {
    const values = Array.from({ length: 1000 }, (_, i) => i - 500);
    expect((await client.write("SCADA[0]", values, { type: "INT" })).ok).toBe(true);
    const r = await client.read("SCADA[0]", { elements: 1000 });
    expect(r.ok).toBe(true);
    expect(r.value).toEqual(values);
  });

  test("a pipeline with packets and depth, as `enip-client -u -m -d 4` runs it", async () => {
    const ops = ["R[0-3]=(REAL)1.5,2.5,3.5,4.5", "R[0-3]", "SCADA[2]=7", "SCADA[2]"].map((t) =>
      parseOperation(t),
    );
    const results = [];
    for await (const r of client.pipeline(ops, { multiple: true, depth: 4 })) results.push(r);
    expect(results.map((r) => r.value)).toEqual([true, [1.5, 2.5, 3.5, 4.5], true, [7]]);
  });

  test("udp with connected is refused: a class 3 connection needs TCP", async () => {
    await expect(
      EnipClient.connect({ host: "127.0.0.1", port, udp: true, connected: true }),
    ).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});

describe("UDP datagrams", () => {
  let device: Socket;
  let port: number;
  const seen: Uint8Array[] = [];
  let drop = 0;
  let garbage = false;
  let client: EnipClient | undefined;
  beforeAll(async () => {
    device = createSocket("udp4");
    device.on("message", (datagram, remote) => {
      const frame = new Uint8Array(datagram);
      seen.push(frame);
      if (drop > 0) {
        drop--;
        return;
      }
      const h = headerOf(frame);
      if (garbage) {
        // Not a frame, then a frame whose length field disagrees with the datagram: both dropped.
        device.send(Uint8Array.of(0x6f, 0, 0), remote.port, remote.address);
        device.send(
          frameOf(0x6f, h.session, 0, h.context, new Uint8Array(2)).subarray(0, 25),
          remote.port,
          remote.address,
        );
      }
      device.send(
        frameOf(0x6f, h.session, 0, h.context, rrData(dintReply(seen.length))),
        remote.port,
        remote.address,
      );
    });
    await new Promise<void>((resolve) => device.bind(0, "127.0.0.1", resolve));
    port = device.address().port;
  });
  afterEach(async () => {
    await client?.close();
    client = undefined;
    drop = 0;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => device.close(() => resolve()));
  });

  test("no RegisterSession: the first datagram is the SendRRData, with session 0", async () => {
    seen.length = 0;
    client = await EnipClient.connect({ host: "127.0.0.1", port, udp: true, timeout: 5000 });
    expect(seen).toEqual([]);
    expect((await client.read("X")).value).toEqual([1]);
    expect(seen.length).toBe(1);
    const h = headerOf(seen[0] as Uint8Array);
    expect(h.command).toBe(0x6f);
    expect(h.session).toBe(0);
  });

  test("a lost datagram times out by its own deadline, and the next request goes on", async () => {
    seen.length = 0;
    client = await EnipClient.connect({ host: "127.0.0.1", port, udp: true, timeout: 5000 });
    drop = 1;
    const started = performance.now();
    const lost = await client.read("X", { timeout: 300 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(lost).toBeInstanceOf(RequestTimeoutError);
    expect(performance.now() - started).toBeLessThan(3000);
    expect((await client.read("X")).value).toEqual([2]);
  });

  test("datagrams that are not one whole frame are dropped; the reply after them is taken", async () => {
    seen.length = 0;
    client = await EnipClient.connect({ host: "127.0.0.1", port, udp: true, timeout: 5000 });
    garbage = true;
    try {
      expect((await client.read("X")).value).toEqual([1]);
    } finally {
      garbage = false;
    }
  });

  test("a pending request fails at once when the client closes", async () => {
    client = await EnipClient.connect({ host: "127.0.0.1", port, udp: true, timeout: 5000 });
    drop = 1;
    const pending = client.read("X").then(
      () => undefined,
      (e: unknown) => e,
    );
    await client.close();
    expect(await pending).toMatchObject({ code: "ERR_ENIP_SESSION_CLOSED" });
  });
});

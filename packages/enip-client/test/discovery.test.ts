// Discovery over UDP against the real simulator's UDP listener: unicast and broadcast ListIdentity, ListServices,
// every reply collected until the timeout, garbage datagrams skipped.
import { createSocket, type Socket } from "node:dgram";
import { decodeEncapsulation, encodeEncapsulation } from "@cpppo/cip-codec";
import { Controller, EnipServer } from "@cpppo/enip-server";
import { AbortError, InvalidArgumentError } from "../src/core/errors.js";
import { discover } from "../src/discovery.js";

let server: EnipServer;
let udpPort: number;

beforeAll(async () => {
  server = await EnipServer.start({ controller: new Controller(), host: "127.0.0.1", port: 0 });
  udpPort = server.udpAddress?.port as number;
});

afterAll(async () => {
  await server.close();
});

/** A UDP responder that answers each ListIdentity with `replies` datagrams (garbage first when asked). */
async function responder(
  replies: (request: Uint8Array) => Uint8Array[],
): Promise<{ port: number; socket: Socket }> {
  const socket = createSocket("udp4");
  socket.on("message", (msg, rinfo) => {
    for (const r of replies(new Uint8Array(msg))) socket.send(r, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  return { port: socket.address().port, socket };
}

describe("discover", () => {
  test("unicast ListIdentity: the simulator's identity, tagged with who sent it", async () => {
    const started = performance.now();
    const found = await discover({ host: "127.0.0.1", port: udpPort, timeout: 300 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(295);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      address: "127.0.0.1",
      port: udpPort,
      identity: { productName: "1756-L61/B LOGIX5561", vendorId: 1, deviceType: 14, productCode: 54 },
    });
  });

  test("`limit` stops at the first reply instead of waiting for the timeout", async () => {
    const started = performance.now();
    const found = await discover({ host: "127.0.0.1", port: udpPort, timeout: 5000, limit: 1 });
    expect(found).toHaveLength(1);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  test("ListServices over UDP", async () => {
    const found = await discover({ host: "127.0.0.1", port: udpPort, timeout: 200, command: "listServices" });
    expect(found[0]?.services?.[0]).toMatchObject({ name: "Communications" });
    expect(found[0]?.identity).toBeUndefined();
  });

  test("broadcast reaches a listener on the subnet (loopback broadcast), and every reply is collected", async () => {
    const wide = await EnipServer.start({ controller: new Controller(), host: "0.0.0.0", port: 0 });
    try {
      const port = wide.udpAddress?.port as number;
      const found = await discover({ host: "127.255.255.255", port, timeout: 300 });
      // Linux delivers a datagram sent to the loopback broadcast address to listeners bound to 0.0.0.0.
      expect(found.length).toBeGreaterThanOrEqual(1);
      for (const d of found) expect(d.identity?.productName).toBe("1756-L61/B LOGIX5561");
      const unicast = await discover({ host: "127.0.0.1", port, timeout: 200 });
      expect(unicast).toHaveLength(1);
    } finally {
      await wide.close();
    }
  });

  test("several replies to one request are all kept; garbage and foreign contexts are skipped", async () => {
    const { port, socket } = await responder((request) => {
      const req = decodeEncapsulation(request);
      const reply = (name: string, context = req.header.senderContext): Uint8Array =>
        encodeEncapsulation({
          header: { senderContext: context },
          body: {
            command: "listIdentity",
            cpf: [
              {
                kind: "listIdentity",
                protocolVersion: 1,
                socketAddress: { family: 2, port: 44818, address: "127.0.0.1" },
                vendorId: 1,
                deviceType: 12,
                productCode: 2,
                revisionMajor: 1,
                revisionMinor: 2,
                status: 0,
                serialNumber: 7,
                productName: name,
                state: 3,
              },
            ],
          },
        });
      return [
        Uint8Array.of(1, 2, 3),
        reply("first"),
        reply("foreign", new Uint8Array(8).fill(9)),
        reply("second"),
      ];
    });
    try {
      const found = await discover({ host: "127.0.0.1", port, timeout: 250 });
      expect(found.map((d) => d.identity?.productName)).toEqual(["first", "second"]);
    } finally {
      socket.close();
    }
  });

  test("arguments are checked; an aborted signal rejects, a later abort resolves with what came", async () => {
    expect(() => discover({ timeout: 0 })).toThrow(InvalidArgumentError);
    expect(() => discover({ limit: 0 })).toThrow(/"limit"/);
    await expect(
      discover({ host: "127.0.0.1", port: udpPort, signal: AbortSignal.abort() }),
    ).rejects.toBeInstanceOf(AbortError);
    const controller = new AbortController();
    const pending = discover({ host: "127.0.0.1", port: udpPort, timeout: 5000, signal: controller.signal });
    setTimeout(() => controller.abort(), 150);
    const started = performance.now();
    const found = await pending;
    expect(performance.now() - started).toBeLessThan(1000);
    expect(found.length).toBeLessThanOrEqual(1);
  });
});

// enip-client over UDP (`-u` with tag operations, as cpppo's client sends them: SendRRData datagrams, no session),
// and a reply carrying another session handle: a protocol error, so the command exits non-zero (issue 9, items 3, 7).
import { createServer, type Server, type Socket } from "node:net";
import { Controller, EnipServer } from "@cpppo/enip-server";
import { main } from "../src/enip-client.js";
import { run } from "./support/run.js";

describe("enip-client -u", () => {
  let server: EnipServer;
  let address: string;
  beforeAll(async () => {
    // UDP only: were anything sent over TCP, it would fail.
    const controller = new Controller({ tags: ["SCADA=INT[1000]"] });
    server = await EnipServer.start({ controller, host: "127.0.0.1", port: 0, tcp: false });
    address = `127.0.0.1:${server.udpAddress?.port}`;
  });
  afterAll(async () => {
    await server.close();
  });

  test("tag operations go over UDP and print cpppo's lines", async () => {
    const r = await run(main, ["-a", address, "-u", "-p", "SCADA[1]=99", "SCADA[0-2]"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    // The line's tag column is the CLI's own business (cpppo's form); the values and statuses are this test's.
    expect(r.lines).toHaveLength(2);
    expect(r.lines[0]).toMatch(/^\s*SCADA\S*\s.*<= \[99\]: 'OK'$/);
    expect(r.lines[1]).toMatch(/^\s*SCADA\S*\s.*== \[0, 99, 0\]: 'OK'$/);
  });

  test("-b with operations is a usage error", async () => {
    const r = await run(main, ["-a", address, "-b", "SCADA[1]"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/-b applies only to -i, -s and -L/);
  });
});

describe("enip-client and a reply with another session handle", () => {
  let server: Server;
  const sockets = new Set<Socket>();
  let address: string;
  beforeAll(async () => {
    // RegisterSession gets session 0x10; every SendRRData an otherwise good DINT reply with session 0x11.
    server = createServer((socket) => {
      sockets.add(socket);
      socket.on("error", () => undefined);
      let pending = Buffer.alloc(0);
      socket.on("data", (chunk) => {
        pending = Buffer.concat([pending, chunk]);
        while (pending.length >= 24 && pending.length >= 24 + pending.readUInt16LE(2)) {
          const frame = pending.subarray(0, 24 + pending.readUInt16LE(2));
          pending = pending.subarray(frame.length);
          const command = frame.readUInt16LE(0);
          const reply = Buffer.alloc(command === 0x65 ? 28 : 50);
          reply.writeUInt16LE(command, 0);
          reply.writeUInt16LE(reply.length - 24, 2);
          reply.writeUInt32LE(command === 0x65 ? 0x10 : 0x11, 4);
          frame.copy(reply, 12, 12, 20);
          if (command === 0x65) reply.writeUInt16LE(1, 24);
          else if (command === 0x6f) {
            // interface, timeout, 2 items: null address, unconnected data (Read Tag reply of DINT 5)
            Buffer.from(
              "0000000000000200000000 00b2000a00cc000000c40005000000".replace(/ /g, ""),
              "hex",
            ).copy(reply, 24);
          } else continue;
          socket.write(reply);
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    address = `127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  test("exits non-zero and says why", async () => {
    const r = await run(main, ["-a", address, "-p", "X"]);
    expect(r.code).not.toBe(0);
    expect(r.stdout).not.toMatch(/'OK'/);
    expect(r.stderr).toMatch(/session handle 0x00000011, not this session's 0x00000010/);
  });
});

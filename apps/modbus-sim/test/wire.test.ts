/**
 * The simulator's wire under Wireshark: tshark captures loopback while mbpoll and a codec-built client send every
 * function code and requests that earn exceptions 01, 02 and 03, and its Modbus/TCP dissector must find every
 * frame, none malformed and no expert error.
 */
import { once } from "node:events";
import { connect } from "node:net";
import type { ModbusRequest } from "@cpppo/modbus-codec";
import { LoopbackCapture } from "./support/capture.js";
import { killExecutables, startExecutable } from "./support/executable.js";
import { MbapClient } from "./support/mbap-client.js";
import { describeWithPeers, runPeer, runs } from "./support/peers.js";

let capture: LoopbackCapture | undefined;
afterEach(() => {
  capture?.remove();
  capture = undefined;
  killExecutables();
});

function missing(): string | undefined {
  if (!runs("tshark", ["--version"])) return "tshark";
  if (!runs("mbpoll", ["-V"])) return "mbpoll";
  return undefined;
}

describeWithPeers("modbus-sim's wire under tshark", missing, () => {
  it("every reply to every function code, exceptions included, dissects clean", async () => {
    const cli = await startExecutable([
      "-a",
      "127.0.0.1:0",
      "1-16=0",
      "10001-10008=1",
      "30001-30004=7",
      "40001-40010=0",
    ]);
    capture = await LoopbackCapture.start(cli.port);

    const requests: ModbusRequest[] = [
      { fc: 1, address: 0, quantity: 16 },
      { fc: 2, address: 0, quantity: 8 },
      { fc: 3, address: 0, quantity: 10 },
      { fc: 4, address: 0, quantity: 4 },
      { fc: 5, address: 3, value: true },
      { fc: 6, address: 1, value: 0xbeef },
      { fc: 15, address: 8, values: [true, false, true] },
      { fc: 16, address: 2, values: [1, 2, 3] },
      { fc: 22, address: 1, andMask: 0xff00, orMask: 0x0011 },
      { fc: 23, readAddress: 0, readQuantity: 5, writeAddress: 5, values: [9, 8] },
      { fc: 43, meiType: 14, readDeviceIdCode: 1, objectId: 0 },
      // exception 02: undefined addresses
      { fc: 3, address: 10, quantity: 1 },
      { fc: 1, address: 10, quantity: 7 },
    ];
    const socket = connect(cli.port, "127.0.0.1");
    await once(socket, "connect");
    const client = new MbapClient(socket);
    const exceptions: number[] = [];
    for (const request of requests) {
      const { reply } = await client.request(request);
      if ("exception" in reply) exceptions.push(reply.exception);
    }
    // Sent raw (the codec refuses to encode them): exception 03 for quantity 0 and 126, 01 for function code 7.
    const raw: [number[], number[]][] = [
      [
        [0x12, 0x31, 0, 0, 0, 6, 1, 0x03, 0, 0, 0, 0],
        [0x12, 0x31, 0, 0, 0, 3, 1, 0x83, 0x03],
      ],
      [
        [0x12, 0x32, 0, 0, 0, 6, 1, 0x04, 0, 0, 0, 126],
        [0x12, 0x32, 0, 0, 0, 3, 1, 0x84, 0x03],
      ],
      [
        [0x12, 0x33, 0, 0, 0, 2, 1, 0x07],
        [0x12, 0x33, 0, 0, 0, 3, 1, 0x87, 0x01],
      ],
    ];
    for (const [request, reply] of raw) {
      socket.write(Uint8Array.from(request));
      expect([...(await client.next())]).toEqual(reply);
    }
    client.close();
    expect(exceptions).toEqual([2, 2]);

    // mbpoll's reads and writes (one connection each).
    const mbpoll = (args: string[]) => runPeer("mbpoll", ["-p", String(cli.port), "-1", "-o", "5", ...args]);
    expect((await mbpoll(["-t", "4", "-r", "1", "-c", "10", "127.0.0.1"])).code).toBe(0);
    expect((await mbpoll(["-t", "4", "-r", "1", "127.0.0.1", "--", "5", "6"])).code).toBe(0);
    expect((await mbpoll(["-t", "0", "-r", "1", "-c", "16", "127.0.0.1"])).code).toBe(0);
    expect((await mbpoll(["-t", "4", "-r", "20", "127.0.0.1"])).code).toBe(1);

    const frames = 2 * (requests.length + raw.length) + 2 * 4;
    const verdict = await capture.stop(frames);
    expect(verdict.lines).toHaveLength(frames);
    expect({
      malformed: verdict.malformed,
      expertErrors: verdict.expertErrors,
      detail: verdict.detail,
    }).toEqual({
      malformed: [],
      expertErrors: [],
      detail: "",
    });
  }, 90_000);
});

/**
 * The direct FC 3/4 reply's buffer serves the connection's next reply when the last one was written out at once,
 * and never while any of it may still be queued in the socket.
 */
import { Socket } from "node:net";
import { encodeResponsePdu } from "@cpppo/modbus-codec";
import { ModbusServer, ModbusStore } from "../src/index.js";
import { hex, RawClient } from "./support/client.js";

/** What the server's socket was asked to write: each buffer, and its bytes at the time. */
interface Written {
  buffer: Uint8Array;
  bytes: string;
}

it("reuses a written-out reply's buffer, and not one still queued; every reply carries its own values", async () => {
  const store = new ModbusStore();
  store.define("holdingRegisters", 0, new Array(100).fill(1));
  const server = new ModbusServer({ store });
  const listener = await server.listenTcp({ host: "127.0.0.1", port: 0 });
  const client = await RawClient.connect(listener.port);
  const read = { fc: 3 as const, address: 0, quantity: 100 };
  const expected = (v: number) => hex(encodeResponsePdu({ fc: 3, registers: new Array(100).fill(v) }));
  // Find the server's end of the connection: the socket that writes the first reply.
  const realWrite = Socket.prototype.write;
  let serverSide: Socket | undefined;
  Socket.prototype.write = function (this: Socket, ...args: Parameters<Socket["write"]>) {
    if (this.localPort === listener.port) serverSide = this;
    return realWrite.apply(this, args);
  } as Socket["write"];
  try {
    expect(hex(await client.call(read))).toBe(expected(1));
  } finally {
    Socket.prototype.write = realWrite;
  }
  if (serverSide === undefined) throw new Error("the server's socket wrote nothing");
  const socket = serverSide;
  // Record every write; `queued` makes the socket say part of it is still waiting in its buffer.
  const written: Written[] = [];
  let queued = false;
  const ownWrite = socket.write;
  socket.write = ((...args: Parameters<Socket["write"]>) => {
    const buffer = args[0] as Uint8Array;
    written.push({ buffer, bytes: hex(buffer) });
    return ownWrite.apply(socket, args);
  }) as Socket["write"];
  const lengthOf = Object.getOwnPropertyDescriptor(
    Object.getPrototypeOf(Socket.prototype) as object,
    "writableLength",
  )?.get as () => number;
  Object.defineProperty(socket, "writableLength", {
    configurable: true,
    get: () => (queued ? 1 : lengthOf.call(socket)),
  });
  try {
    // Written out at once: the second and third replies go out in the first one's buffer, each with its values.
    for (let v = 2; v <= 4; v++) {
      store.write("holdingRegisters", 0, new Array(100).fill(v));
      expect(hex(await client.call(read))).toBe(expected(v));
    }
    expect(written).toHaveLength(3);
    expect(written[1]?.buffer).toBe(written[0]?.buffer);
    expect(written[2]?.buffer).toBe(written[0]?.buffer);
    // Queued: the next reply takes a fresh buffer and leaves the queued one's bytes alone.
    queued = true;
    store.write("holdingRegisters", 0, new Array(100).fill(5));
    expect(hex(await client.call(read))).toBe(expected(5));
    store.write("holdingRegisters", 0, new Array(100).fill(6));
    expect(hex(await client.call(read))).toBe(expected(6));
    const [five, six] = written.slice(3);
    expect(six?.buffer).not.toBe(five?.buffer);
    expect(hex(five?.buffer as Uint8Array)).toBe(five?.bytes);
    // Written out at once again: the buffer serves on, past an exception reply (which has a buffer of its own).
    queued = false;
    expect(hex(await client.call(read))).toBe(expected(6));
    expect(hex(await client.call({ fc: 3, address: 0, quantity: 101 }))).toBe("8302");
    expect(hex(await client.call(read))).toBe(expected(6));
    expect(written.at(-1)?.buffer).toBe(written.at(-3)?.buffer);
    // A reply of another size takes a buffer of its own.
    expect(hex(await client.call({ fc: 3, address: 0, quantity: 3 }))).toBe("0306000600060006");
    expect(written.at(-1)?.buffer).not.toBe(written.at(-2)?.buffer);
  } finally {
    client.close();
    await server.close({ deadlineMs: 500 });
  }
});

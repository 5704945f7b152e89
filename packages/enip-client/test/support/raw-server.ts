// A raw TCP EtherNet/IP server for tests that need a device other than our simulator (a strict one, a minimal one,
// one that answers as cpppo does): it frames what the client sends and hands each frame to `answer`, which writes
// whatever bytes it likes. Frame helpers build replies byte by byte.
import { createServer, type Server, type Socket } from "node:net";
import { EnipFramer } from "@cpppo/cip-codec";
import { EnipClient } from "../../src/client.js";

/** A running raw server: its port, every frame received (in order), and how to close it. */
export interface RawServer {
  port: number;
  frames: Uint8Array[];
  close(): Promise<void>;
}

/** Answers one frame the client sent. */
export type Answer = (frame: Uint8Array, socket: Socket) => void;

/** Starts a raw server on 127.0.0.1, port 0. */
export async function rawServer(answer: Answer): Promise<RawServer> {
  const sockets = new Set<Socket>();
  const frames: Uint8Array[] = [];
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    const framer = new EnipFramer();
    socket.on("data", (chunk) => {
      for (const frame of framer.push(chunk)) {
        const copy = frame.slice();
        frames.push(copy);
        answer(copy, socket);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return {
    port: address.port,
    frames,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export function u16(bytes: Uint8Array, at: number): number {
  return (bytes[at] as number) | ((bytes[at + 1] as number) << 8);
}

export function u32(bytes: Uint8Array, at: number): number {
  return (u16(bytes, at) | (u16(bytes, at + 2) << 16)) >>> 0;
}

/** The header fields of a frame. */
export function headerOf(frame: Uint8Array): {
  command: number;
  session: number;
  status: number;
  context: Uint8Array;
} {
  return {
    command: u16(frame, 0),
    session: u32(frame, 4),
    status: u32(frame, 8),
    context: frame.slice(12, 20),
  };
}

/** An encapsulation frame: the 24-byte header (options 0) and `data`. */
export function frameOf(
  command: number,
  session: number,
  status: number,
  context: Uint8Array,
  data: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const out = new Uint8Array(24 + data.length);
  const view = new DataView(out.buffer);
  view.setUint16(0, command, true);
  view.setUint16(2, data.length, true);
  view.setUint32(4, session, true);
  view.setUint32(8, status, true);
  out.set(context.subarray(0, 8), 12);
  out.set(data, 24);
  return out;
}

/** RegisterSession's reply data: protocol version 1, options 0. */
export const REGISTER_DATA = Uint8Array.of(1, 0, 0, 0);

/** The CIP request bytes of a SendRRData frame (null address item, then the unconnected data item). */
export function rrRequest(frame: Uint8Array): Uint8Array {
  return frame.subarray(40, 40 + u16(frame, 38));
}

/** SendRRData data around the CIP reply `cip`: interface 0, timeout 0, null address item, unconnected data item. */
export function rrData(cip: Uint8Array): Uint8Array {
  const out = new Uint8Array(16 + cip.length);
  const view = new DataView(out.buffer);
  view.setUint16(6, 2, true);
  view.setUint16(12, 0xb2, true);
  view.setUint16(14, cip.length, true);
  out.set(cip, 16);
  return out;
}

/** A Read Tag reply of DINT `value`. */
export function dintReply(value: number): Uint8Array {
  const out = Uint8Array.of(0xcc, 0, 0, 0, 0xc4, 0, 0, 0, 0, 0);
  new DataView(out.buffer).setInt32(6, value, true);
  return out;
}

/** A client of a raw server on `port` that sends "simple" requests (no route, no Unconnected Send). */
export function connectSimple(port: number): Promise<EnipClient> {
  return EnipClient.connect({ host: "127.0.0.1", port, routePath: false, sendPath: "", timeout: 5000 });
}

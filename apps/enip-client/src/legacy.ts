/**
 * The undocumented legacy encapsulation command 0x0001 (`enip-client -L 0x0001`): one request, over TCP (the first
 * reply) or UDP (every reply until the timeout, so a broadcast reaches many devices). Its reply carries item 0x0001
 * with the device's socket address and IP text. The library has no API for it, so this CLI speaks it directly.
 */

import { createSocket } from "node:dgram";
import { addAbortListener } from "node:events";
import { connect } from "node:net";
import { type CpfItem, decodeEncapsulation, EnipFramer, encodeEncapsulation } from "@cpppo/cip-codec";

/** Where and how to send the legacy command. */
export interface LegacyOptions {
  host: string;
  port: number;
  /** Milliseconds to wait for replies (UDP collects until then). */
  timeout: number;
  udp: boolean;
  signal?: AbortSignal;
}

/** One reply: who sent it and its CPF items. */
export interface LegacyReply {
  address: string;
  port: number;
  items: CpfItem[];
}

const LEGACY = 0x0001;

/** Items of a legacy reply frame, or undefined when `bytes` is not one. */
function itemsOf(bytes: Uint8Array): CpfItem[] | undefined {
  try {
    const frame = decodeEncapsulation(bytes);
    if (frame.header.command !== LEGACY || frame.header.status !== 0) return undefined;
    return "cpf" in frame.body && frame.body.cpf ? frame.body.cpf : [];
  } catch {
    return undefined;
  }
}

/** Sends command 0x0001 and resolves with the replies received within `timeout` (none on timeout or error). */
export function legacyCommand(options: LegacyOptions): Promise<LegacyReply[]> {
  const request = encodeEncapsulation({ body: { command: "legacy" } });
  const replies: LegacyReply[] = [];
  return new Promise((resolve) => {
    let close = (): void => {};
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      listening?.[Symbol.dispose]();
      close();
      resolve(replies);
    };
    const timer = setTimeout(finish, options.timeout);
    const listening = options.signal ? addAbortListener(options.signal, finish) : undefined;
    if (options.udp) {
      const socket = createSocket({ type: options.host.includes(":") ? "udp6" : "udp4" });
      close = () => socket.close();
      socket.on("error", finish);
      socket.on("message", (message, rinfo) => {
        const items = itemsOf(new Uint8Array(message.buffer, message.byteOffset, message.length));
        if (items) replies.push({ address: rinfo.address, port: rinfo.port, items });
      });
      socket.bind(0, () => {
        try {
          socket.setBroadcast(true);
        } catch {
          // IPv6 sockets have no broadcast; unicast still works.
        }
        socket.send(request, options.port, options.host);
      });
      return;
    }
    const framer = new EnipFramer();
    const socket = connect({ host: options.host, port: options.port });
    close = () => socket.destroy();
    socket.on("error", finish);
    socket.on("close", finish);
    socket.on("connect", () => socket.write(request));
    socket.on("data", (chunk: Buffer) => {
      try {
        for (const frame of framer.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length))) {
          const items = itemsOf(frame);
          if (items) {
            replies.push({
              address: socket.remoteAddress ?? options.host,
              port: socket.remotePort ?? options.port,
              items,
            });
            finish();
            return;
          }
        }
      } catch {
        finish();
      }
    });
  });
}

/**
 * A recording TCP proxy for interop and wire tests: clients connect to it, it relays every byte to
 * the server and back, and it writes each direction's whole frames (split by the caller's framer, one
 * TCP segment per frame) into a PcapWriter, one TCP conversation per client connection, so tshark
 * sees the real sessions as clean PDUs.
 */
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import { PcapWriter, type TcpConversation } from "./pcap.js";

/** Splits a byte stream into whole frames (e.g. the codec's `EnipFramer`). */
export interface StreamFramer {
  push(chunk: Uint8Array): Uint8Array[];
}

/** A running recording proxy; `close()` ends it and every relayed connection. */
export class RecordingProxy {
  /** The capture of every relayed connection (server port 44818 in the file, whatever the real port). */
  readonly pcap: PcapWriter;
  /** Frames recorded, both directions. */
  frames = 0;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly listener: Server,
    /** The port clients connect to. */
    readonly port: number,
  ) {
    // The writer's own first conversation stays empty: a handshake on a port no client uses.
    this.pcap = new PcapWriter(44818, 1);
  }

  /** Starts a proxy on 127.0.0.1, port 0, relaying to 127.0.0.1:`targetPort`; `framer` makes one splitter per direction. */
  static async start(targetPort: number, framer: () => StreamFramer): Promise<RecordingProxy> {
    const listener = createServer();
    await new Promise<void>((resolve, reject) => {
      listener.once("error", reject);
      listener.listen(0, "127.0.0.1", () => resolve());
    });
    const address = listener.address();
    if (address === null || typeof address === "string") throw new Error("the proxy has no TCP address");
    const proxy = new RecordingProxy(listener, address.port);
    listener.on("connection", (client) => proxy.relay(client, targetPort, framer));
    return proxy;
  }

  private relay(client: Socket, targetPort: number, framer: () => StreamFramer): void {
    const upstream = tcpConnect(targetPort, "127.0.0.1");
    this.sockets.add(client);
    this.sockets.add(upstream);
    const conversation: TcpConversation = this.pcap.conversation(client.remotePort ?? 0);
    const toServer = framer();
    const toClient = framer();
    client.on("data", (chunk: Buffer) => {
      for (const frame of toServer.push(chunk)) {
        conversation.request(frame);
        this.frames++;
      }
      upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => {
      for (const frame of toClient.push(chunk)) {
        conversation.reply(frame);
        this.frames++;
      }
      client.write(chunk);
    });
    const finish = (): void => {
      conversation.close();
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on("close", finish);
    upstream.on("close", finish);
    client.on("error", finish);
    upstream.on("error", finish);
  }

  /** Stops listening and ends every relayed connection. */
  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.listener.close(() => resolve()));
  }
}

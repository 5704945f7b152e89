/** A minimal EtherNet/IP client over TCP for the CLI tests, independent of @cpppo/enip-client. */
import { connect, type Socket } from "node:net";
import { type CipMessage, decodeEnipMessage, EnipFramer, encodeSendRRData } from "@cpppo/cip-codec";
import { DEADLINE_MS } from "./sink.js";

/** A minimal EtherNet/IP client for the tests: RegisterSession, then SendRRData requests one at a time. */
export class TestClient {
  private framer = new EnipFramer();
  private frames: Uint8Array[] = [];
  private wake: (() => void) | undefined;
  session = 0;
  private constructor(readonly socket: Socket) {
    socket.on("data", (chunk) => {
      this.frames.push(...this.framer.push(chunk));
      this.wake?.();
    });
    socket.on("error", () => {});
  }
  static async open(port: number): Promise<TestClient> {
    const socket = connect(port, "127.0.0.1");
    await new Promise<void>((ok, fail) => {
      socket.once("connect", ok);
      socket.once("error", fail);
    });
    const client = new TestClient(socket);
    const reply = await client.send(
      Uint8Array.from([
        0x65, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
      ]),
    );
    client.session = new DataView(reply.buffer, reply.byteOffset).getUint32(4, true);
    return client;
  }
  async send(frame: Uint8Array): Promise<Uint8Array> {
    this.socket.write(frame);
    const end = Date.now() + DEADLINE_MS;
    while (this.frames.length === 0) {
      if (Date.now() > end || this.socket.destroyed) throw new Error("no reply");
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, 50);
      });
    }
    return this.frames.shift() as Uint8Array;
  }
  async request(message: CipMessage) {
    const reply = await this.send(encodeSendRRData({ session: this.session, timeout: 5, message }));
    return decodeEnipMessage(reply);
  }
  close(): void {
    this.socket.destroy();
  }
}

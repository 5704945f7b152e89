/**
 * A lock-step Modbus/TCP client for tests, over a plain or TLS socket, built on @cpppo/modbus-codec: it sends one
 * request at a time and resolves with the decoded reply (an exception reply is data), with a deadline each.
 */
import type { Socket } from "node:net";
import {
  decodeResponsePdu,
  decodeTcpAdu,
  encodeRequestPdu,
  encodeTcpAdu,
  type ModbusExceptionResponse,
  type ModbusRequest,
  type ModbusResponse,
  TcpFramer,
} from "@cpppo/modbus-codec";

/** How long one reply may take. */
const REPLY_MS = 10_000;

/** One request/reply at a time over `socket` (connected); `close()` ends it. */
export class MbapClient {
  private readonly framer = new TcpFramer();
  private readonly frames: Uint8Array[] = [];
  private wake: (() => void) | undefined;
  private ended: Error | undefined;
  private transactionId = 0;
  /** Every ADU sent and received, in order (for a capture). */
  readonly wire: { toServer: boolean; adu: Uint8Array }[] = [];

  constructor(readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.framer.push(chunk);
      for (let f = this.framer.next(); f; f = this.framer.next()) {
        const adu = f.slice();
        this.frames.push(adu);
        this.wire.push({ toServer: false, adu });
      }
      this.wake?.();
    });
    const end = (err?: Error) => {
      this.ended ??= err ?? new Error("the server closed the connection");
      this.wake?.();
    };
    socket.on("close", () => end());
    socket.on("error", end);
  }

  /** Sends `request` to `unitId` and resolves with the reply's PDU decoded. */
  async request(
    request: ModbusRequest,
    unitId = 1,
  ): Promise<{ transactionId: number; unitId: number; reply: ModbusResponse | ModbusExceptionResponse }> {
    this.transactionId = (this.transactionId + 1) & 0xffff;
    const adu = encodeTcpAdu(this.transactionId, unitId, encodeRequestPdu(request));
    this.wire.push({ toServer: true, adu });
    this.socket.write(adu);
    const frame = await this.next();
    const decoded = decodeTcpAdu(frame);
    return {
      transactionId: decoded.transactionId,
      unitId: decoded.unitId,
      reply: decodeResponsePdu(decoded.pdu),
    };
  }

  /** The next whole ADU from the server, raw. */
  async next(): Promise<Uint8Array> {
    const deadline = Date.now() + REPLY_MS;
    for (;;) {
      const frame = this.frames.shift();
      if (frame) return frame;
      if (this.ended) throw this.ended;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("no reply within the deadline");
      await new Promise<void>((ok) => {
        const timer = setTimeout(ok, left);
        this.wake = () => {
          clearTimeout(timer);
          this.wake = undefined;
          ok();
        };
      });
    }
  }

  /** Ends the connection. */
  close(): void {
    this.socket.destroy();
  }
}

/** A raw Modbus/TCP test client: sends ADUs (or any bytes) and hands back the replies in order, each with a deadline. */
import { connect, type Socket } from "node:net";
import {
  decodeTcpAdu,
  encodeRequestPdu,
  encodeTcpAdu,
  type ModbusRequest,
  TcpFramer,
} from "@cpppo/modbus-codec";

export interface Reply {
  transactionId: number;
  unitId: number;
  pdu: Uint8Array;
}

const DEADLINE_MS = 10_000;

export class RawClient {
  private readonly framer = new TcpFramer();
  private readonly replies: Reply[] = [];
  private readonly waiters: ((reply: Reply | undefined) => void)[] = [];
  private tid = 0;
  /** Resolves when the server closes the connection (or it errors). */
  readonly closed: Promise<void>;
  ended = false;

  private constructor(readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => {
      this.framer.push(chunk);
      for (let adu = this.framer.next(); adu !== undefined; adu = this.framer.next()) {
        const reply = decodeTcpAdu(Uint8Array.from(adu));
        const waiter = this.waiters.shift();
        if (waiter) waiter(reply);
        else this.replies.push(reply);
      }
    });
    this.closed = new Promise((resolve) => {
      socket.on("close", () => {
        this.ended = true;
        for (const w of this.waiters.splice(0)) w(undefined);
        resolve();
      });
    });
    socket.on("error", () => undefined);
  }

  /** A client over a socket already connected (e.g. a TLS one). */
  static over(socket: Socket): RawClient {
    return new RawClient(socket);
  }

  static connect(port: number, host = "127.0.0.1"): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host }, () => {
        socket.off("error", reject);
        resolve(new RawClient(socket));
      });
      socket.once("error", reject);
    });
  }

  /** Writes raw bytes. */
  send(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Sends a PDU to `unitId`; returns the transaction id used. */
  sendPdu(pdu: Uint8Array, unitId = 1, transactionId?: number): number {
    if (transactionId === undefined) this.tid = (this.tid + 1) & 0xffff;
    const tid = transactionId ?? this.tid;
    this.send(encodeTcpAdu(tid, unitId, pdu));
    return tid;
  }

  /** The next reply, or undefined when the connection closes first; rejects after the deadline. */
  next(ms = DEADLINE_MS): Promise<Reply | undefined> {
    const ready = this.replies.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    if (this.ended) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(`no reply within ${ms} ms`));
      }, ms);
      const waiter = (reply: Reply | undefined): void => {
        clearTimeout(timer);
        resolve(reply);
      };
      this.waiters.push(waiter);
    });
  }

  /** Sends a request and returns its reply PDU bytes (throws if the connection closes). */
  async call(pdu: Uint8Array | ModbusRequest, unitId = 1): Promise<Uint8Array> {
    const bytes = pdu instanceof Uint8Array ? pdu : encodeRequestPdu(pdu);
    const tid = this.sendPdu(bytes, unitId);
    const reply = await this.next();
    if (reply === undefined) throw new Error("connection closed");
    if (reply.transactionId !== tid) throw new Error(`transaction ${reply.transactionId} answered ${tid}`);
    return reply.pdu;
  }

  /** True when nothing arrives within `ms` (for requests that must get no reply). */
  async silentFor(ms: number): Promise<boolean> {
    try {
      const reply = await this.next(ms);
      return reply === undefined;
    } catch {
      return true;
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Hex of bytes, for readable expectations. */
export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

/** Bytes from hex with optional spaces. */
export function bytes(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text.replace(/\s+/g, ""), "hex"));
}

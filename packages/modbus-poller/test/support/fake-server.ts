/**
 * A scriptable Modbus/TCP peer for fault tests: it frames requests with the codec and lets each test decide what
 * goes back (a proper reply, nothing, a stale transaction id, another unit, garbage), and counts what it saw.
 */
import { once } from "node:events";
import { createServer, type Server, type Socket } from "node:net";
import {
  decodeRequestPdu,
  decodeTcpAdu,
  encodeResponsePdu,
  encodeTcpAdu,
  TcpFramer,
} from "@cpppo/modbus-codec";

/** One request as the peer saw it. */
export interface SeenRequest {
  transactionId: number;
  unitId: number;
  fc: number;
  address: number;
  count: number;
  socket: Socket;
}

/** What to do with a request: send these bytes (or nothing when undefined). */
export type Behaviour = (req: SeenRequest, peer: FakeServer) => Uint8Array | undefined;

/** The proper reply to a read: register i holds `base + offset + i`, bit i is that number's parity. */
export function registersReply(
  req: SeenRequest,
  base = 0,
  tid = req.transactionId,
  unit = req.unitId,
): Uint8Array {
  if (req.fc === 1 || req.fc === 2) {
    const bits = Array.from({ length: req.count }, (_, i) => (base + req.address + i) % 2 === 1);
    return encodeTcpAdu(tid, unit, encodeResponsePdu({ fc: req.fc, bits }));
  }
  const registers = Array.from({ length: req.count }, (_, i) => (base + req.address + i) & 0xffff);
  return encodeTcpAdu(tid, unit, encodeResponsePdu({ fc: req.fc as 3 | 4, registers }));
}

/** A Modbus/TCP listener on 127.0.0.1 port 0 whose replies `behaviour` decides. */
export class FakeServer {
  readonly seen: SeenRequest[] = [];
  readonly sockets = new Set<Socket>();
  connections = 0;
  /** The most requests received on one connection before the peer answered any (1 when clients serialise). */
  maxUnanswered = 0;
  private readonly waiters: Array<() => void> = [];

  private constructor(
    private readonly server: Server,
    public behaviour: Behaviour,
  ) {}

  /** Starts listening on 127.0.0.1, port 0 (or `port`, to restart on the same one). */
  static async start(behaviour: Behaviour, port = 0): Promise<FakeServer> {
    const server = createServer();
    const peer = new FakeServer(server, behaviour);
    server.on("connection", (socket) => peer.accept(socket));
    server.listen(port, "127.0.0.1");
    await once(server, "listening");
    return peer;
  }

  get port(): number {
    const a = this.server.address();
    return typeof a === "object" && a !== null ? a.port : 0;
  }

  /** Resolves once `n` requests in all have been seen; rejects after `ms`. */
  async waitForRequests(n: number, ms = 10_000): Promise<void> {
    const end = Date.now() + ms;
    while (this.seen.length < n) {
      if (Date.now() > end) throw new Error(`only ${this.seen.length} of ${n} requests seen`);
      await new Promise<void>((ok) => {
        const t = setTimeout(ok, 20);
        this.waiters.push(() => {
          clearTimeout(t);
          ok();
        });
      });
    }
  }

  /** Sends `bytes` on `socket` now (a late reply). */
  send(socket: Socket, bytes: Uint8Array): void {
    if (!socket.destroyed) socket.write(bytes);
  }

  /** Stops listening and destroys every connection. */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((ok) => this.server.close(() => ok()));
  }

  private accept(socket: Socket): void {
    this.connections++;
    this.sockets.add(socket);
    socket.setNoDelay(true);
    const framer = new TcpFramer();
    let unanswered = 0;
    socket.on("close", () => this.sockets.delete(socket));
    socket.on("error", () => undefined);
    socket.on("data", (chunk: Buffer) => {
      framer.push(chunk);
      for (let adu = framer.next(); adu !== undefined; adu = framer.next()) {
        const { transactionId, unitId, pdu } = decodeTcpAdu(adu);
        const request = decodeRequestPdu(pdu);
        const address = "address" in request ? request.address : 0;
        const count = "quantity" in request ? request.quantity : 1;
        const req = { transactionId, unitId, fc: request.fc, address, count, socket };
        this.seen.push(req);
        unanswered++;
        this.maxUnanswered = Math.max(this.maxUnanswered, unanswered);
        const out = this.behaviour(req, this);
        if (out !== undefined) {
          unanswered = 0;
          socket.write(out);
        }
        for (const w of this.waiters.splice(0)) w();
      }
    });
  }
}

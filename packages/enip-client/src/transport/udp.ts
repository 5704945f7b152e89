/**
 * The UDP transport (cpppo's `udp=True`): one encapsulation frame per datagram, on a UDP socket connected to the
 * device so that only its datagrams arrive. UDP has no connection: nothing is set up before the first request, a
 * lost datagram is only a request that times out at its own deadline, and the device's "port unreachable" is not
 * an end either (a device may come up later).
 */
import { createSocket, type Socket } from "node:dgram";
import { ENCAPSULATION_HEADER_SIZE, MAX_ENCAPSULATION_LENGTH } from "@cpppo/cip-codec";
import { addAbortListener } from "../core/abort.js";
import { clientChannel } from "../core/diagnostics.js";
import { AbortError, InvalidArgumentError, SessionClosedError } from "../core/errors.js";
import type { Transport, TransportFactory, TransportHandlers } from "./transport.js";

/** The length field of a frame's header. */
const LENGTH_AT = 2;

class UdpTransport implements Transport {
  private closed = false;

  constructor(
    private readonly socket: Socket,
    readonly peer: string,
    private readonly maxFrameSize: number,
    private readonly handlers: TransportHandlers,
  ) {
    socket.on("message", (datagram: Buffer) => this.datagram(datagram));
    // ECONNREFUSED (an ICMP "port unreachable" for an earlier datagram) and the like: UDP goes on; requests time out.
    socket.on("error", () => undefined);
    socket.on("close", () => this.finish(new SessionClosedError(`the UDP socket to ${this.peer} closed`)));
  }

  /** A datagram that is not exactly one frame (or is too large) is dropped, as a lost one would be. */
  private datagram(datagram: Buffer): void {
    if (this.closed) return;
    const n = datagram.length;
    if (
      n < ENCAPSULATION_HEADER_SIZE ||
      n > this.maxFrameSize ||
      ENCAPSULATION_HEADER_SIZE +
        ((datagram[LENGTH_AT] as number) | ((datagram[LENGTH_AT + 1] as number) << 8)) !==
        n
    ) {
      if (clientChannel.hasSubscribers)
        clientChannel.publish({ event: "unmatched", frame: new Uint8Array(datagram) });
      return;
    }
    this.handlers.frame(new Uint8Array(datagram.buffer, datagram.byteOffset, n));
  }

  write(frame: Uint8Array): void {
    if (this.closed) return;
    this.socket.send(frame, () => undefined);
  }

  end(): void {
    this.destroy();
  }

  destroy(error?: Error): void {
    if (this.closed) return;
    this.finish(error);
    this.socket.close();
  }

  private finish(error?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.handlers.close(error);
  }
}

/**
 * A UDP "connection" to `host`:`port` (default 44818): a socket bound to an ephemeral port and connected to the
 * device (the name resolved once, within `connectTimeout`). Rejects with `SessionClosedError` when the name does
 * not resolve, `AbortError` when `signal` fires first.
 */
export const connectUdp: TransportFactory = (options, handlers) => {
  const port = options.port ?? 44818;
  const timeout = options.connectTimeout ?? 5000;
  if (!(timeout > 0))
    throw new InvalidArgumentError(`"connectTimeout" must be a positive number, got ${timeout}`);
  const maxFrameSize = options.maxFrameSize ?? MAX_ENCAPSULATION_LENGTH + ENCAPSULATION_HEADER_SIZE;
  return new Promise<Transport>((resolve, reject) => {
    const signal = options.signal;
    if (signal?.aborted) {
      reject(new AbortError("connect aborted", { cause: signal.reason }));
      return;
    }
    const socket = createSocket({ type: options.host.includes(":") ? "udp6" : "udp4" });
    let settled = false;
    const settle = (error?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      disposeAbort();
      socket.off("error", onError);
      if (error) {
        socket.on("error", () => undefined);
        socket.close();
        reject(error);
        return;
      }
      const remote = socket.remoteAddress();
      resolve(new UdpTransport(socket, `${remote.address}:${remote.port}`, maxFrameSize, handlers));
    };
    const onError = (error: Error): void =>
      settle(
        new SessionClosedError(`cannot reach ${options.host}:${port} over UDP: ${error.message}`, {
          cause: error,
        }),
      );
    const timer = setTimeout(
      () => settle(new SessionClosedError(`cannot resolve ${options.host} within ${timeout} ms`)),
      timeout,
    );
    socket.once("error", onError);
    const disposeAbort = addAbortListener(signal, () =>
      settle(new AbortError("connect aborted", { cause: signal?.reason })),
    );
    socket.connect(port, options.host, () => settle());
  });
};

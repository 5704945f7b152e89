/** The default transport: a TCP socket split into whole encapsulation frames by the codec's `EnipFramer`. */
import { connect as netConnect, type Socket } from "node:net";
import { EnipFramer } from "@cpppo/cip-codec";
import { addAbortListener } from "../core/abort.js";
import {
  AbortError,
  ConnectTimeoutError,
  InvalidArgumentError,
  ProtocolError,
  SessionClosedError,
} from "../core/errors.js";
import type { Transport, TransportFactory, TransportHandlers } from "./transport.js";

/**
 * The bytes Node reads into (`onread`): one buffer for every TCP transport of the process, since each chunk is
 * framed, and its bytes copied out, before the callback returns. It saves Node's allocation of a new 64 KiB
 * buffer per read and its 'data' event (a stream push and an emit).
 */
const READ_BUFFER = Buffer.allocUnsafe(65536);
const READ_BYTES = new Uint8Array(READ_BUFFER.buffer, READ_BUFFER.byteOffset, READ_BUFFER.length);

class TcpTransport implements Transport {
  readonly peer: string;
  private corked = false;
  private closed = false;
  private readonly uncork = (): void => {
    this.corked = false;
    this.socket.uncork();
  };

  constructor(
    private readonly socket: Socket,
    private readonly framer: EnipFramer,
    private readonly handlers: TransportHandlers,
  ) {
    this.peer = `${socket.remoteAddress}:${socket.remotePort}`;
    socket.on("error", (error) => this.finish(error));
    socket.on("end", () => {
      try {
        this.framer.end();
        this.finish(new SessionClosedError(`${this.peer} closed the connection`));
      } catch (error) {
        this.finish(new ProtocolError(`${this.peer} closed the connection inside a frame`, { cause: error }));
      }
    });
    socket.on("close", () => this.finish(new SessionClosedError(`connection to ${this.peer} closed`)));
  }

  /**
   * Frames `chunk`, which must be the transport's own (frames are views of it, and the user keeps them): a copy of
   * the shared read buffer, made once per read. A plain Uint8Array, so that decoded data fields are TypedArray
   * subarrays (Buffer's own subarray costs more).
   */
  data(chunk: Uint8Array): void {
    if (this.closed) return;
    let frames: Uint8Array[];
    try {
      frames = this.framer.push(chunk);
    } catch (error) {
      this.destroy(
        new ProtocolError(`${this.peer} sent bytes that are not EtherNet/IP frames`, { cause: error }),
      );
      return;
    }
    for (let i = 0; i < frames.length && !this.closed; i++) this.handlers.frame(frames[i] as Uint8Array);
  }

  write(frame: Uint8Array): void {
    if (this.closed) return;
    // Corking until the next tick sends every frame written while handling one batch of replies in one writev:
    // the replies of one chunk are resolved together, and their continuations (each several microtasks later than
    // the previous one's) all run in the same microtask drain, before Node turns to the tick queue again. A lone
    // request waits only for the current callback and its microtasks, not for the check phase of the loop.
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(this.uncork);
    }
    this.socket.write(frame);
  }

  end(): void {
    if (this.closed) return;
    this.socket.end();
    // A peer that never closes its side must not keep us open: the end is bounded.
    setTimeout(() => this.destroy(), 1000).unref();
  }

  destroy(error?: Error): void {
    this.finish(error);
    this.socket.destroy();
  }

  private finish(error?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.handlers.close(error);
  }
}

/**
 * Connects over TCP with `connectTimeout` (default 5000 ms), no Nagle delay, and frames the stream; rejects with
 * `ConnectTimeoutError`, `AbortError`, or the socket's error (e.g. ECONNREFUSED) wrapped in `SessionClosedError`.
 */
export const connectTcp: TransportFactory = (options, handlers) => {
  const port = options.port ?? 44818;
  const timeout = options.connectTimeout ?? 5000;
  if (!(timeout > 0))
    throw new InvalidArgumentError(`"connectTimeout" must be a positive number, got ${timeout}`);
  const framer = new EnipFramer(
    options.maxFrameSize === undefined ? {} : { maxFrameSize: options.maxFrameSize },
  );
  return new Promise<Transport>((resolve, reject) => {
    const signal = options.signal;
    if (signal?.aborted) {
      reject(new AbortError("connect aborted", { cause: signal.reason }));
      return;
    }
    let transport: TcpTransport | undefined;
    // Nothing arrives before 'connect'; a chunk that did would only be dropped with the socket.
    const onread = (nread: number): boolean => {
      transport?.data(READ_BYTES.slice(0, nread));
      return true;
    };
    const socket = netConnect({
      host: options.host,
      port,
      noDelay: true,
      onread: { buffer: READ_BUFFER, callback: onread },
    });
    const settle = (error?: Error): void => {
      clearTimeout(timer);
      disposeAbort();
      socket.off("error", onError);
      socket.off("connect", onConnect);
      if (error) {
        // A late socket error after we gave up must not go unhandled.
        socket.on("error", () => {});
        socket.destroy();
        reject(error);
      }
    };
    const onError = (error: Error): void =>
      settle(
        new SessionClosedError(`cannot connect to ${options.host}:${port}: ${error.message}`, {
          cause: error,
        }),
      );
    const onConnect = (): void => {
      settle();
      socket.setNoDelay(true);
      transport = new TcpTransport(socket, framer, handlers);
      resolve(transport);
    };
    const timer = setTimeout(
      () =>
        settle(new ConnectTimeoutError(`no TCP connection to ${options.host}:${port} within ${timeout} ms`)),
      timeout,
    );
    socket.once("connect", onConnect);
    socket.once("error", onError);
    const disposeAbort = addAbortListener(signal, () =>
      settle(new AbortError("connect aborted", { cause: signal?.reason })),
    );
  });
};

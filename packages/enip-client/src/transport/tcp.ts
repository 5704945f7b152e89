/**
 * The byte pipe under an `EnipClient`: a TCP socket split into whole encapsulation frames by the codec's
 * `EnipFramer`. The client talks to the `Transport` interface, so tests and users can inject another one.
 */
import { channel } from "node:diagnostics_channel";
import { connect as netConnect, type Socket } from "node:net";
import { EnipFramer } from "@cpppo/cip-codec";
import { addAbortListener } from "./core/abort.js";
import {
  AbortError,
  ConnectTimeoutError,
  InvalidArgumentError,
  ProtocolError,
  SessionClosedError,
} from "./errors.js";

/** Diagnostics channel of the client: connection lifecycle and dropped frames, for subscribers only (never printed). */
export const clientChannel = channel("cpppo:enip:client");

/** Receives what a transport delivers: whole frames in order, then exactly one close. */
export interface TransportHandlers {
  /** One whole encapsulation frame (24-byte header + data): a view that stays valid (chunks are never reused). */
  frame(frame: Uint8Array): void;
  /** The transport ended; `error` says why when it was not closed by us. Called once. */
  close(error?: Error): void;
}

/** A connected, framed, bidirectional byte stream of encapsulation frames. */
export interface Transport {
  /** Queues one whole frame for sending; frames written in the same event-loop turn go out together. */
  write(frame: Uint8Array): void;
  /** Ends the stream gracefully after the queued frames (a half-close, then close). Idempotent. */
  end(): void;
  /** Tears the stream down now; `handlers.close(error)` follows. Idempotent. */
  destroy(error?: Error): void;
  /** Peer address text ("host:port"), for messages. */
  readonly peer: string;
}

/** Options of `connectTcp`. */
export interface TcpConnectOptions {
  host: string;
  /** TCP port; defaults to 44818. */
  port?: number;
  /** Milliseconds to establish the TCP connection; defaults to 5000. */
  connectTimeout?: number;
  /** Aborting before the connection is up rejects with `AbortError`. */
  signal?: AbortSignal;
  /** Largest accepted frame, header included; defaults to the codec's 65535 + 24. */
  maxFrameSize?: number;
}

/** Creates a transport and wires its handlers; `connectTcp` is the default. */
export type TransportFactory = (
  options: TcpConnectOptions,
  handlers: TransportHandlers,
) => Promise<Transport>;

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
    socket.on("data", (chunk: Buffer) => this.data(chunk));
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

  private data(chunk: Buffer): void {
    let frames: Uint8Array[];
    try {
      // A plain Uint8Array view: decoded data fields are subarrays of it, and Buffer's own subarray costs more.
      frames = this.framer.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
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
    // Corking until the check phase of this event-loop turn sends every frame written while handling one batch
    // of replies (each reply's continuation runs several microtasks later than the previous one's) in one
    // writev, and holds a lone request only until the current callbacks and their microtasks are done.
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      setImmediate(this.uncork);
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
    const socket = netConnect({ host: options.host, port, noDelay: true });
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
      resolve(new TcpTransport(socket, framer, handlers));
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

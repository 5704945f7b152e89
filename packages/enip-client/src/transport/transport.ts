/**
 * What the session talks to: a connected, framed stream of encapsulation frames. TCP (`connectTcp`) is the default;
 * `memoryTransportPair` is the in-memory one for tests, and users may inject their own.
 */

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

/**
 * An in-memory transport pair, as serialport's `MockBinding` is for serial ports: the client end is a
 * `TransportFactory` to pass as `transport`, the device end is a function of each frame the client writes. No
 * socket, no port; fault hooks drop, delay, corrupt or close on purpose, so users can test their own code against
 * a scripted device, or a simulator's `execute`, and its failures.
 */
import { EnipFramer } from "@cpppo/cip-codec";
import { ProtocolError, SessionClosedError } from "../core/errors.js";
import type { TcpConnectOptions, Transport, TransportFactory, TransportHandlers } from "./transport.js";

/** The device end of one in-memory connection. */
export interface MemoryPeer {
  /** Delivers bytes to the client, framed as TCP data would be (they may hold several frames, or part of one). */
  send(bytes: Uint8Array): void;
  /** Closes the connection from the device's side; the client sees its transport close with `error`. */
  close(error?: Error): void;
  /** True once either side closed. */
  readonly closed: boolean;
  /** The options the client connected with (host, port, …). */
  readonly options: TcpConnectOptions;
}

/** Answers one frame the client wrote: typically by `peer.send(reply)`, now or later, or not at all. */
export type MemoryDevice = (frame: Uint8Array, peer: MemoryPeer) => void;

/** Faults injected into the link; each hook may be set, changed or cleared at any time (none by default). */
export interface MemoryFaults {
  /** True: the client's frame is lost on the way to the device (its request then times out). */
  drop?: (frame: Uint8Array) => boolean;
  /** Milliseconds the device's bytes take to reach the client (0 or absent: the next turn of the event loop). */
  delay?: (bytes: Uint8Array) => number;
  /** The device's bytes as the client receives them (e.g. with a byte flipped, or cut short). */
  corrupt?: (bytes: Uint8Array) => Uint8Array;
  /** True or an Error: the connection breaks instead of carrying the client's frame (the device vanished). */
  close?: (frame: Uint8Array) => boolean | Error;
}

/** Options of `memoryTransportPair`. */
export interface MemoryTransportOptions {
  /** The faults to start with; defaults to none. */
  faults?: MemoryFaults;
  /** Refuse every connection with this error (a device that is not there); defaults to accepting. */
  refuse?: Error;
}

/** Both ends of an in-memory link. */
export interface MemoryTransportPair {
  /** The client end: pass it as `EnipClientOptions.transport`; every connect makes a new connection. */
  readonly transport: TransportFactory;
  /** The fault hooks in effect, to be set by the test. */
  readonly faults: MemoryFaults;
  /** The device ends of the connections made so far, oldest first. */
  readonly peers: readonly MemoryPeer[];
  /** Every frame the client wrote (and the device received or lost), in order. */
  readonly written: readonly Uint8Array[];
}

class MemoryConnection implements Transport, MemoryPeer {
  readonly peer = "memory";
  closed = false;
  private readonly framer: EnipFramer;

  constructor(
    readonly options: TcpConnectOptions,
    private readonly handlers: TransportHandlers,
    private readonly device: MemoryDevice,
    private readonly pair: { faults: MemoryFaults; written: Uint8Array[] },
  ) {
    this.framer = new EnipFramer(
      options.maxFrameSize === undefined ? {} : { maxFrameSize: options.maxFrameSize },
    );
  }

  // The client end.

  write(frame: Uint8Array): void {
    if (this.closed) return;
    const copy = frame.slice();
    this.pair.written.push(copy);
    const faults = this.pair.faults;
    const broken = faults.close?.(copy);
    if (broken) {
      this.finish(broken instanceof Error ? broken : new SessionClosedError("the memory link broke"));
      return;
    }
    if (faults.drop?.(copy)) return;
    // The device sees the frame on a later turn, as it would over a socket, never inside the client's own call.
    setImmediate(() => {
      if (!this.closed) this.device(copy, this);
    });
  }

  end(): void {
    if (this.closed) return;
    setImmediate(() => this.finish(new SessionClosedError("the memory link was closed")));
  }

  destroy(error?: Error): void {
    this.finish(error);
  }

  // The device end.

  send(bytes: Uint8Array): void {
    if (this.closed) return;
    const faults = this.pair.faults;
    const delivered = faults.corrupt ? faults.corrupt(bytes.slice()) : bytes.slice();
    const delay = faults.delay?.(delivered) ?? 0;
    if (delay > 0) setTimeout(() => this.receive(delivered), delay);
    else setImmediate(() => this.receive(delivered));
  }

  close(error?: Error): void {
    setImmediate(() => this.finish(error ?? new SessionClosedError("the device closed the memory link")));
  }

  private receive(bytes: Uint8Array): void {
    if (this.closed) return;
    let frames: Uint8Array[];
    try {
      frames = this.framer.push(bytes);
    } catch (error) {
      this.finish(
        new ProtocolError("the device sent bytes that are not EtherNet/IP frames", { cause: error }),
      );
      return;
    }
    for (let i = 0; i < frames.length && !this.closed; i++) this.handlers.frame(frames[i] as Uint8Array);
  }

  private finish(error?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.handlers.close(error);
  }
}

/**
 * An in-memory link to `device`, which is called with each whole frame the client writes and answers through its
 * `peer`. Frames cross on a later event-loop turn (never synchronously); `faults` may drop, delay, corrupt or break.
 */
export function memoryTransportPair(
  device: MemoryDevice,
  options: MemoryTransportOptions = {},
): MemoryTransportPair {
  const peers: MemoryConnection[] = [];
  const pair = { faults: { ...options.faults }, written: [] as Uint8Array[] };
  const transport: TransportFactory = async (connect, handlers) => {
    if (options.refuse !== undefined) throw options.refuse;
    const connection = new MemoryConnection(connect, handlers, device, pair);
    peers.push(connection);
    return connection;
  };
  return { transport, faults: pair.faults, peers, written: pair.written };
}

/** One TCP peer of the server: framing, the in-order request queue, backpressure, and closing. */
import type { Socket } from "node:net";
import { CipDecodeError, ENCAPSULATION_HEADER_SIZE, EnipFramer } from "@cpppo/cip-codec";
import type { RequestContext } from "../controller/controller.js";
import { type RequestEvent, requestChannel } from "../core/diagnostics.js";
import { type CipConnection, dropAllConnections } from "./connections.js";
import type { Engine } from "./engine.js";
import { DEFAULT_MAX_PENDING } from "./options.js";
import { CLOSE, EMPTY, isPromise, type Outcome, plainAddress, STATUS, statusReply, u16 } from "./wire.js";

const MAX_TIMER_MS = 2 ** 31 - 1;

/** One TCP connection, as the web API's `connections` group reports it. */
export interface ConnectionInfo {
  /** The peer address and port joined by underscores, e.g. `"10_0_0_1_60592"`. */
  id: string;
  /** The peer's IP address. */
  peer: string;
  /** The peer's TCP port. */
  port: number;
  /** Bytes received. */
  received: number;
  /** Requests (whole frames) received. */
  requests: number;
  /** Requests answered or dropped. */
  processed: number;
  /** True once the connection is being ended (by `endConnection`, the peer, or shutdown). */
  eof: boolean;
  /** The session handle RegisterSession gave it; 0 until then. */
  session: number;
}

/** A TCP peer of the server: framing, the in-order request queue, its session and class 3 connections. */
export class TcpConnection {
  readonly id: string;
  readonly peer: string;
  readonly port: number;
  received = 0;
  requests = 0;
  processed = 0;
  eof = false;
  /** The session handle RegisterSession gave this connection; 0 until then. */
  session = 0;
  /** `Date.now()` when the peer last sent a byte (or connected). */
  lastActivity = Date.now();
  /** Bytes the partial frame being received reserves (the size its header promises; fewer before that); 0 = none. */
  reserved = 0;
  /** `Date.now()` when the partial frame's first byte arrived. */
  partialSince = 0;
  readonly cipConnections = new Map<number, CipConnection>();
  /** Execution context of unconnected requests (made once, reused). */
  readonly context: RequestContext;
  readonly closed: Promise<void>;
  private readonly framer: EnipFramer;
  private queue: Uint8Array[] = [];
  private head = 0;
  private busy = false;
  private readPaused = false;
  private writeBlocked = false;
  /** Stream offset of the next chunk's first byte (to find an oversized frame's header). */
  private streamOffset = 0;
  private ending = false;
  private resolveClosed!: () => void;
  /** The idle and partial-frame watch, and when it fires (`Date.now()` time). */
  private timer: NodeJS.Timeout | undefined;
  private timerDue = 0;
  /** The first bytes of a header split across chunks (to read the length it promises). */
  private headBytes: Uint8Array | undefined;

  constructor(
    readonly socket: Socket,
    private readonly engine: Engine,
  ) {
    this.peer = plainAddress(socket.remoteAddress);
    this.port = socket.remotePort ?? 0;
    this.id = `${this.peer.replace(/[.:]/g, "_")}_${this.port}`;
    this.context = { peer: `${this.peer}:${this.port}`, connected: false };
    this.framer = new EnipFramer({ maxFrameSize: engine.maxFrameSize });
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
    socket.setNoDelay(true);
    if (engine.idleTimeoutMs > 0) this.arm(engine.idleTimeoutMs);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    // The peer's FIN: answer what it already sent, then close our side (the socket allows half-open).
    socket.on("end", () => this.end(false));
    socket.on("error", () => undefined);
    socket.on("close", () => this.onClose());
  }

  info(): ConnectionInfo {
    return {
      id: this.id,
      peer: this.peer,
      port: this.port,
      received: this.received,
      requests: this.requests,
      processed: this.processed,
      eof: this.eof,
      session: this.session,
    };
  }

  /**
   * Ends the connection: answers the requests already received (none when `dropQueued`), then half-closes,
   * and destroys the socket if the peer has not closed within the close timeout.
   */
  end(dropQueued: boolean): void {
    this.eof = true;
    if (dropQueued) {
      this.queue = [];
      this.head = 0;
    }
    if (this.ending) return;
    this.ending = true;
    if (!this.busy) this.pump();
  }

  /** Closes the socket at once. */
  destroy(): void {
    this.eof = true;
    this.ending = true;
    this.queue = [];
    this.head = 0;
    this.release();
    this.socket.destroy();
  }

  /** True while requests of the peer are received and not yet answered (a slow reply is not the peer's silence). */
  get answering(): boolean {
    return this.busy || this.head < this.queue.length;
  }

  /** True when the connection may be evicted to make room: no session, class 3 connection or request in hand. */
  evictable(): boolean {
    return (
      this.session === 0 &&
      this.cipConnections.size === 0 &&
      !this.ending &&
      !this.busy &&
      this.head === this.queue.length
    );
  }

  /** Watches for idleness and stalled partial frames, firing `ms` from now (or sooner if already due sooner). */
  private arm(wait: number): void {
    // Node's timers run at most 2^31 - 1 ms; a longer wait fires early and `watch` re-arms for the rest.
    const ms = Math.min(wait, MAX_TIMER_MS);
    const due = Date.now() + ms;
    if (this.timer !== undefined) {
      if (this.timerDue <= due) return;
      clearTimeout(this.timer);
    }
    this.timerDue = due;
    this.timer = setTimeout(this.watch, ms);
    this.timer.unref();
  }

  private readonly watch = (): void => {
    this.timer = undefined;
    if (this.ending || this.socket.destroyed) return;
    const now = Date.now();
    const engine = this.engine;
    let wait = Number.POSITIVE_INFINITY;
    if (this.reserved > 0 && engine.partialTimeoutMs > 0) {
      const left = this.partialSince + engine.partialTimeoutMs - now;
      if (left <= 0) {
        this.destroy();
        return;
      }
      wait = left;
    }
    if (engine.idleTimeoutMs > 0) {
      // A request still being answered (a slow reply, a blocked write) is not the peer's silence.
      if (this.busy || this.head < this.queue.length) this.lastActivity = now;
      const left = this.lastActivity + engine.idleTimeoutMs - now;
      if (left <= 0) {
        this.end(true);
        return;
      }
      wait = Math.min(wait, left);
    }
    if (wait !== Number.POSITIVE_INFINITY) this.arm(wait);
  };

  /** Returns the partial frame's reservation to the engine's budget. */
  private release(): void {
    if (this.reserved === 0) return;
    const held = this.reserved;
    this.reserved = 0;
    this.headBytes = undefined;
    this.engine.buffered -= held;
    this.engine.partials.delete(this);
  }

  /**
   * Accounts for the partial frame left after `chunk` (`held` bytes of it in the framer): it reserves the size its
   * header promises, or the bytes held while the header is incomplete.
   */
  private track(chunk: Uint8Array, held: number): void {
    const before = this.reserved;
    let reserved = 0;
    if (held > 0) {
      const n = chunk.length;
      const fresh = held <= n; // the partial frame began in this chunk
      if (fresh) this.partialSince = this.lastActivity;
      const heldBefore = fresh ? 0 : held - n;
      if (held < ENCAPSULATION_HEADER_SIZE) {
        const head = this.headBytes ?? new Uint8Array(ENCAPSULATION_HEADER_SIZE);
        this.headBytes = head;
        head.set(fresh ? chunk.subarray(n - held) : chunk, heldBefore);
        reserved = held;
      } else if (fresh) {
        const at = n - held;
        reserved = ENCAPSULATION_HEADER_SIZE + u16(chunk, at + 2);
      } else if (heldBefore >= ENCAPSULATION_HEADER_SIZE) {
        reserved = before;
      } else {
        const head = this.headBytes as Uint8Array;
        const byte = (i: number) =>
          i < heldBefore ? (head[i] as number) : (chunk[i - heldBefore] as number);
        reserved = ENCAPSULATION_HEADER_SIZE + (byte(2) | (byte(3) << 8));
      }
      if (fresh && this.engine.partialTimeoutMs > 0) this.arm(this.engine.partialTimeoutMs);
    }
    if (reserved === before) return;
    this.reserved = reserved;
    this.engine.reserve(this, reserved - before);
  }

  private onData(chunk: Buffer): void {
    if (this.ending) return;
    this.received += chunk.length;
    this.lastActivity = Date.now();
    const start = this.streamOffset;
    this.streamOffset += chunk.length;
    // A plain Uint8Array view of the chunk: the frames and fields cut from it are then TypedArray subarrays,
    // not Buffer#subarray (a FastBuffer built in JS per call, ~10 % of the per-request JS in a profile). A chunk
    // that is exactly one frame with nothing carried over (a lock-step peer's every request) needs no cutting:
    // the framer returns it whole, and the engine makes the view only when the read fast lane does not answer
    // it (the view was ~15 % of the per-request JS once the lane answered).
    const single =
      this.framer.buffered === 0 &&
      chunk.length >= ENCAPSULATION_HEADER_SIZE &&
      ENCAPSULATION_HEADER_SIZE + u16(chunk, 2) === chunk.length;
    const bytes = single ? chunk : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length);
    let frames: Uint8Array[];
    try {
      frames = this.framer.push(bytes);
    } catch (error) {
      this.release();
      this.framingFailed(bytes, start, error);
      return;
    }
    const held = this.framer.buffered;
    if (held > 0 || this.reserved > 0) {
      this.track(bytes, held);
      if (this.socket.destroyed) return;
    }
    const n = frames.length;
    if (n === 0) return;
    this.requests += n;
    // A lock-step peer's case: one frame and nothing waiting or being answered. It is answered here, without the
    // queue (whose bookkeeping cost as much as the rest of the transport's JS per request).
    if (
      n === 1 &&
      !this.busy &&
      this.head === this.queue.length &&
      !this.writeBlocked &&
      !this.socket.destroyed
    ) {
      const frame = frames[0] as Uint8Array;
      this.busy = true;
      const outcome = this.outcomeOf(frame);
      if (isPromise(outcome)) {
        this.settle(frame, outcome);
        return;
      }
      this.complete(frame, outcome);
      this.busy = false;
      // As at the end of `pump`: an outcome that ended the connection half-closes it now that all is answered.
      if (this.ending) this.finish();
      return;
    }
    for (let i = 0; i < n; i++) this.queue.push(frames[i] as Uint8Array);
    if (!this.readPaused && this.queue.length - this.head >= this.engine.maxPending) {
      this.readPaused = true;
      this.socket.pause();
    }
    if (!this.busy) this.pump();
  }

  /** A header announced a frame above the limit: answer 0x65 when its header is at hand, then close. */
  private framingFailed(chunk: Uint8Array, start: number, error: unknown): void {
    this.requests++;
    const lengthAt = error instanceof CipDecodeError ? error.offset - start - 2 : -1;
    const reply =
      lengthAt >= 0 && lengthAt + ENCAPSULATION_HEADER_SIZE <= chunk.length
        ? statusReply(chunk.subarray(lengthAt, lengthAt + ENCAPSULATION_HEADER_SIZE), STATUS.invalidLength)
        : undefined;
    this.queue.push(EMPTY);
    this.framingReply = reply;
    this.ending = true;
    this.eof = true;
    if (!this.busy) this.pump();
  }

  /** The reply for the frame that broke the framing (an empty frame marks its place in the queue). */
  private framingReply: Uint8Array | undefined;

  /** Answers queued frames in order; stops while a reply is pending (async) or the socket is not draining. */
  private pump(): void {
    if (this.busy) return;
    this.busy = true;
    const socket = this.socket;
    let corked = false;
    while (this.head < this.queue.length && !this.writeBlocked && !socket.destroyed) {
      const frame = this.queue[this.head] as Uint8Array;
      this.queue[this.head++] = EMPTY;
      const outcome = this.outcomeOf(frame);
      if (isPromise(outcome)) {
        if (corked) socket.uncork();
        this.settle(frame, outcome);
        return;
      }
      if (!corked && this.head < this.queue.length) {
        socket.cork();
        corked = true;
      }
      this.complete(frame, outcome);
    }
    if (corked) socket.uncork();
    this.busy = false;
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
      if (this.ending) this.finish();
    } else if (this.head > DEFAULT_MAX_PENDING) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    if (
      this.readPaused &&
      !this.writeBlocked &&
      !this.ending &&
      this.queue.length - this.head < this.engine.maxPending
    ) {
      this.readPaused = false;
      socket.resume();
    }
  }

  /** What the engine answers `frame` with (an empty frame stands for the one that broke the framing). */
  private outcomeOf(frame: Uint8Array): Outcome | Promise<Outcome> {
    if (frame.length === 0) return { close: true, reply: this.framingReply };
    try {
      return this.engine.handleTcp(this, frame);
    } catch {
      return CLOSE;
    }
  }

  /** Completes `frame` once its pending reply settles, then resumes the pump (the connection is busy until then). */
  private settle(frame: Uint8Array, outcome: Promise<Outcome>): void {
    outcome
      .then(
        (settled) => this.complete(frame, settled),
        () => this.complete(frame, CLOSE),
      )
      .then(() => {
        this.busy = false;
        this.pump();
      });
  }

  private complete(frame: Uint8Array, outcome: Outcome): void {
    this.processed++;
    let reply: Uint8Array | undefined;
    if (outcome instanceof Uint8Array) reply = outcome;
    else if (outcome !== undefined) {
      reply = outcome.reply;
      this.end(true);
    }
    const socket = this.socket;
    if (reply !== undefined && socket.writable) {
      if (!socket.write(reply)) {
        this.writeBlocked = true;
        if (!this.readPaused) {
          this.readPaused = true;
          socket.pause();
        }
        socket.once("drain", () => {
          this.writeBlocked = false;
          this.pump();
        });
      }
      // Nothing left in the socket's queue: the write went to the kernel at once and kept no reference to the
      // reply, so its buffer may hold the next reply (`replyBuffer`), unless a diagnostics subscriber gets it.
      if (socket.writableLength === 0 && reply instanceof Buffer && !requestChannel.hasSubscribers)
        this.spare = reply;
    }
    if (requestChannel.hasSubscribers && frame.length >= ENCAPSULATION_HEADER_SIZE) {
      const event: RequestEvent = {
        id: this.id,
        peer: this.context.peer ?? "",
        command: u16(frame, 0),
        request: frame,
        reply,
      };
      requestChannel.publish(event);
    }
  }

  /** A written reply's buffer that nothing references any more (see `complete`), or undefined. */
  private spare: Buffer | undefined;

  /**
   * A buffer of exactly `size` bytes for a reply: the last reply's, when it is that size and free again (a
   * lock-step peer polling one tag gets the same buffer every time: no allocation per reply), else a new one.
   */
  replyBuffer(size: number): Buffer {
    const spare = this.spare;
    if (spare !== undefined && spare.length === size) {
      this.spare = undefined;
      return spare;
    }
    return Buffer.allocUnsafe(size);
  }

  /** Everything answered: half-close (after the last write drains), and destroy if the peer lingers. */
  private finish(): void {
    const socket = this.socket;
    if (this.finished || socket.destroyed) return;
    this.finished = true;
    setTimeout(() => socket.destroy(), this.engine.closeTimeoutMs).unref();
    // end() queues the FIN behind the writes still buffered, so a blocked socket needs no special case.
    socket.end();
  }

  private finished = false;

  private onClose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.release();
    this.eof = true;
    this.ending = true;
    this.queue = [];
    this.head = 0;
    dropAllConnections(this.engine, this);
    this.engine.forget(this);
    this.resolveClosed();
  }
}

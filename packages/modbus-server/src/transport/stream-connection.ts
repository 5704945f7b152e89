/** One TCP or TLS peer: MBAP framing, requests answered in order, backpressure, limits and closing. */
import type { Socket } from "node:net";
import { MAX_MBAP_LENGTH, MIN_MBAP_LENGTH, TcpFramer } from "@cpppo/modbus-codec";
import type { RequestContext } from "../engine/engine.js";
import { spoilReply } from "./evil.js";
import type { Hub } from "./hub.js";

const EMPTY = new Uint8Array(0);
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * True when `chunk` is exactly one Modbus/TCP ADU the framer would accept: protocol id 0, an MBAP length of
 * 2…254 that matches the chunk's size.
 */
function wholeAdu(chunk: Uint8Array): boolean {
  if (chunk.length < 8 || chunk[2] !== 0 || chunk[3] !== 0) return false;
  const length = ((chunk[4] as number) << 8) | (chunk[5] as number);
  return length >= MIN_MBAP_LENGTH && length <= MAX_MBAP_LENGTH && length + 6 === chunk.length;
}

/** The peer's address without the IPv4-mapped IPv6 prefix. */
function plainAddress(address: string | undefined): string {
  if (address === undefined) return "";
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}

/** A TCP or TLS connection of the server. */
export class StreamConnection {
  /** `Date.now()` when the peer last sent a byte (or connected). */
  lastActivity = Date.now();
  /** Bytes this connection holds: requests not yet answered and a partial frame. */
  held = 0;
  /** The peer as an id: `127_0_0_1_5020` (as the EtherNet/IP server names its connections). */
  readonly id: string;
  /** Requests received and answered, and those answered with an exception. */
  requests = 0;
  errors = 0;
  /** The unit ids its requests named. */
  readonly units = new Set<number>();
  private lastUnit = -1;
  readonly context: RequestContext;
  readonly closed: Promise<void>;
  private readonly framer = new TcpFramer();
  private queue: Uint8Array[] = [];
  private head = 0;
  private busy = false;
  private readPaused = false;
  private writeBlocked = false;
  private ending = false;
  private finished = false;
  private partialSince = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerDue = 0;
  private resolveClosed!: () => void;
  /** The last direct reply's buffer once written out, for the next one (see `onData`); never on TLS. */
  private spare: Buffer | undefined;
  private readonly reuseReplies: boolean;

  constructor(
    readonly socket: Socket,
    private readonly hub: Hub,
    context: RequestContext = {},
  ) {
    this.context = { ...context, peer: `${plainAddress(socket.remoteAddress)}:${socket.remotePort ?? 0}` };
    this.id = (this.context.peer as string).replace(/[^0-9A-Za-z]/g, "_");
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
    hub.connections.add(this);
    // A TLS socket may keep the plaintext it was given past `write`, so its replies are never reused.
    this.reuseReplies = (socket as { encrypted?: boolean }).encrypted !== true;
    socket.setNoDelay(true);
    socket.setKeepAlive(true);
    if (hub.idleTimeoutMs > 0) this.arm(hub.idleTimeoutMs);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    // The peer's FIN: answer what it already sent, then close our side.
    socket.on("end", () => this.end());
    socket.on("error", () => undefined);
    socket.on("close", () => this.onClose());
  }

  /** Stops reading, answers the requests already received, then half-closes (destroyed after the close timeout). */
  end(): void {
    if (this.ending) return;
    this.ending = true;
    if (!this.readPaused) this.socket.pause();
    this.readPaused = true;
    if (!this.busy) this.pump();
  }

  /** Closes the socket at once, dropping what is queued. */
  destroy(): void {
    this.ending = true;
    this.queue = [];
    this.head = 0;
    this.setHeld(0);
    this.socket.destroy();
  }

  /** True once it is closing: it reads no more requests. */
  get closing(): boolean {
    return this.ending;
  }

  /** True when the connection may be evicted to make room: nothing received in hand and not closing. */
  evictable(): boolean {
    return !this.ending && !this.busy && this.head === this.queue.length && this.framer.bufferedBytes === 0;
  }

  private setHeld(bytes: number): void {
    const delta = bytes - this.held;
    if (delta === 0) return;
    this.held = bytes;
    this.hub.hold(delta);
  }

  private arm(wait: number): void {
    const ms = Math.min(Math.max(wait, 1), MAX_TIMER_MS);
    const due = Date.now() + ms;
    if (this.timer !== undefined) {
      if (this.timerDue <= due) return;
      clearTimeout(this.timer);
    }
    this.timerDue = due;
    this.timer = setTimeout(this.watch, ms);
    this.timer.unref();
  }

  /** The idle and partial-frame watch: closes a silent connection, destroys one stuck in a frame. */
  private readonly watch = (): void => {
    this.timer = undefined;
    if (this.ending || this.socket.destroyed) return;
    const now = Date.now();
    const hub = this.hub;
    let wait = Number.POSITIVE_INFINITY;
    if (this.framer.bufferedBytes > 0 && hub.partialTimeoutMs > 0) {
      const left = this.partialSince + hub.partialTimeoutMs - now;
      if (left <= 0) {
        this.destroy();
        return;
      }
      wait = left;
    }
    if (hub.idleTimeoutMs > 0) {
      // A request still being answered (a delayed reply, a blocked write) is not the peer's silence.
      if (this.busy || this.head < this.queue.length) this.lastActivity = now;
      const left = this.lastActivity + hub.idleTimeoutMs - now;
      if (left <= 0) {
        this.end();
        return;
      }
      wait = Math.min(wait, left);
    }
    if (wait !== Number.POSITIVE_INFINITY) this.arm(wait);
  };

  private onData(chunk: Buffer): void {
    if (this.ending) return;
    const now = Date.now();
    this.lastActivity = now;
    // The usual chunk, one whole request with nothing else held or queued: answered at once, without the framer's
    // copy-free bookkeeping, the queue and the byte budget (all of which it would leave as they are).
    if (this.held === 0 && !this.busy && this.hub.evil === undefined && wholeAdu(chunk)) {
      this.busy = true;
      let reply: Uint8Array | undefined;
      try {
        reply = this.handle(chunk, this.spare) as Uint8Array | undefined;
      } catch {
        reply = undefined;
      }
      this.send(reply);
      // A direct reply written out at once (nothing of it left queued in the socket, as in lock-step polling)
      // leaves its buffer free for the next one: no buffer per request.
      if (reply instanceof Buffer)
        this.spare = this.reuseReplies && this.socket.writableLength === 0 ? reply : undefined;
      this.busy = false;
      return;
    }
    const partialBefore = this.framer.bufferedBytes;
    let bytes = this.held - partialBefore;
    let frames = 0;
    let garbage = false;
    try {
      this.framer.push(chunk);
      for (let adu = this.framer.next(); adu !== undefined; adu = this.framer.next()) {
        this.queue.push(adu);
        bytes += adu.length;
        frames++;
      }
    } catch {
      // Not Modbus/TCP (protocol id, MBAP length): answer what came before, then close.
      garbage = true;
    }
    const partial = garbage ? 0 : this.framer.bufferedBytes;
    // A partial frame's clock starts with its first byte: a new one began if none was held or a frame completed.
    if (partial > 0 && (partialBefore === 0 || frames > 0)) {
      this.partialSince = now;
      if (this.hub.partialTimeoutMs > 0) this.arm(this.hub.partialTimeoutMs);
    }
    this.setHeld(bytes + partial);
    if (this.socket.destroyed) return;
    if (garbage) {
      this.end();
      return;
    }
    if (!this.readPaused && this.queue.length - this.head >= this.hub.maxPending) {
      this.readPaused = true;
      this.socket.pause();
    }
    if (!this.busy) this.pump();
  }

  /** The reply to one ADU: its bytes, undefined for none, or a promise of them under the delay evil mode. */
  private handle(adu: Uint8Array, spare?: Buffer): Uint8Array | undefined | Promise<Uint8Array | undefined> {
    const out = this.hub.engine.executeTcp(adu, this.context, spare);
    const hub = this.hub;
    this.requests++;
    hub.requests++;
    const unit = adu[6] as number;
    if (unit !== this.lastUnit) {
      this.lastUnit = unit;
      this.units.add(unit);
    }
    if (out === undefined) return undefined;
    // An exception reply: the function code's high bit (MBAP header, then the function code at 7).
    if (((out[7] as number) & 0x80) !== 0) {
      this.errors++;
      hub.errors++;
    }
    const evil = this.hub.evil;
    if (evil === undefined) return out;
    if (evil.mode !== "delay") return spoilReply(out, evil);
    const ms = (evil.minS + Math.random() * (evil.maxS - evil.minS)) * 1000;
    return new Promise((resolve) => {
      const socket = this.socket;
      // A destroyed connection need not wait for its delayed reply.
      const onClose = (): void => {
        clearTimeout(timer);
        resolve(undefined);
      };
      const timer = setTimeout(
        () => {
          socket.off("close", onClose);
          resolve(out);
        },
        Math.min(ms, MAX_TIMER_MS),
      );
      socket.once("close", onClose);
    });
  }

  /** Answers queued requests in order; stops while a reply is delayed or the socket is not draining. */
  private pump(): void {
    if (this.busy) return;
    this.busy = true;
    const socket = this.socket;
    let corked = false;
    while (this.head < this.queue.length && !this.writeBlocked && !socket.destroyed) {
      const adu = this.queue[this.head] as Uint8Array;
      this.queue[this.head++] = EMPTY;
      let outcome: Uint8Array | undefined | Promise<Uint8Array | undefined>;
      try {
        outcome = this.handle(adu);
      } catch {
        outcome = undefined;
      }
      this.setHeld(this.held - adu.length);
      if (outcome instanceof Promise) {
        if (corked) socket.uncork();
        outcome.then((reply) => {
          this.send(reply);
          this.busy = false;
          this.pump();
        });
        return;
      }
      if (!corked && this.head < this.queue.length) {
        socket.cork();
        corked = true;
      }
      this.send(outcome);
    }
    if (corked) socket.uncork();
    this.busy = false;
    if (this.head === this.queue.length) {
      // A fresh array: truncating with `length = 0` is a slow runtime call on this per-request path.
      if (this.head > 0) this.queue = [];
      this.head = 0;
      if (this.ending) this.finish();
    }
    if (
      this.readPaused &&
      !this.writeBlocked &&
      !this.ending &&
      this.queue.length - this.head < this.hub.maxPending
    ) {
      this.readPaused = false;
      socket.resume();
    }
  }

  private send(reply: Uint8Array | undefined): void {
    const socket = this.socket;
    if (reply === undefined || !socket.writable) return;
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
  }

  /** Everything answered: half-close after the last write, and destroy if the peer lingers. */
  private finish(): void {
    const socket = this.socket;
    if (this.finished || socket.destroyed) return;
    this.finished = true;
    setTimeout(() => socket.destroy(), this.hub.closeTimeoutMs).unref();
    socket.end();
  }

  private onClose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.ending = true;
    this.queue = [];
    this.head = 0;
    this.setHeld(0);
    this.hub.connections.delete(this);
    this.resolveClosed();
  }
}

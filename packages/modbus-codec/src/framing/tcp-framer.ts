import { checkMbapLength, MAX_MBAP_LENGTH, MBAP_HEADER_LENGTH } from "../adu/tcp.js";
import { u16, view } from "../core/bytes.js";
import { ModbusFrameError } from "../core/errors.js";

/** Largest ADU: 6 header bytes before the length's count, plus the longest length. */
const MAX_ADU = 6 + MAX_MBAP_LENGTH;

/**
 * Splits a Modbus/TCP byte stream into whole ADUs (MBAP header + PDU).
 *
 * `push(chunk)` queues bytes; `next()` returns the next whole ADU, oldest first, or `undefined` when more bytes are
 * needed. An ADU that lies inside one chunk is a zero-copy view of it (so a chunk must not be reused after
 * pushing it); one that spans chunks is copied once into a buffer of its own. A header with a protocol id other
 * than 0, or a length outside 2…254, throws a `ModbusFrameError`: the stream has lost its framing, the framer
 * stays failed (every later `push` or `next` throws the same error) and a server closes the connection.
 */
export class TcpFramer {
  /** Chunks pushed and not yet consumed; `queue[0]` is read from `pos`. */
  private queue: Uint8Array[] = [];
  private pos = 0;
  private queued = 0;
  /** The ADU being assembled across chunks, its fill and its length (0 while its header is incomplete). */
  private carry: Uint8Array | null = null;
  private carryFill = 0;
  private carryLength = 0;
  private failure: ModbusFrameError | null = null;

  /** Bytes pushed and not yet returned as ADUs. */
  get bufferedBytes(): number {
    return this.queued - this.pos + this.carryFill;
  }

  /** Queues `chunk`. */
  push(chunk: Uint8Array): void {
    if (this.failure !== null) throw this.failure;
    if (chunk.length === 0) return;
    this.queue.push(chunk);
    this.queued += chunk.length;
  }

  /** The next whole ADU, or `undefined` when more bytes are needed. */
  next(): Uint8Array | undefined {
    if (this.failure !== null) throw this.failure;
    for (;;) {
      const chunk = this.queue[0];
      if (chunk === undefined) return undefined;
      if (this.pos === chunk.length) {
        this.queue.shift();
        this.queued -= chunk.length;
        this.pos = 0;
        continue;
      }
      if (this.carry !== null) {
        const adu = this.fillCarry(chunk);
        if (adu !== undefined) return adu;
        continue;
      }
      const avail = chunk.length - this.pos;
      if (avail >= MBAP_HEADER_LENGTH) {
        const length = this.frameLength(chunk, this.pos);
        if (avail >= length) {
          const adu = view(chunk, this.pos, this.pos + length);
          this.pos += length;
          return adu;
        }
        this.carry = new Uint8Array(length);
        this.carryLength = length;
      } else {
        this.carry = new Uint8Array(MAX_ADU);
        this.carryLength = 0;
      }
      this.carry.set(chunk.subarray(this.pos), 0);
      this.carryFill = avail;
      this.pos = chunk.length;
    }
  }

  /** Moves bytes of `chunk` into the carried ADU; returns it once whole. */
  private fillCarry(chunk: Uint8Array): Uint8Array | undefined {
    const carry = this.carry as Uint8Array;
    const want = this.carryLength === 0 ? MBAP_HEADER_LENGTH : this.carryLength;
    const take = Math.min(want - this.carryFill, chunk.length - this.pos);
    carry.set(chunk.subarray(this.pos, this.pos + take), this.carryFill);
    this.carryFill += take;
    this.pos += take;
    if (this.carryFill < want) return undefined;
    if (this.carryLength === 0) {
      this.carryLength = this.frameLength(carry, 0);
      return this.carryFill === this.carryLength ? this.takeCarry() : undefined;
    }
    return this.takeCarry();
  }

  private takeCarry(): Uint8Array {
    const adu = view(this.carry as Uint8Array, 0, this.carryLength);
    this.carry = null;
    this.carryFill = 0;
    this.carryLength = 0;
    return adu;
  }

  /** The ADU length of the header at `o`, after checking its protocol id and length. */
  private frameLength(b: Uint8Array, o: number): number {
    const protocolId = u16(b, o + 2);
    const length = u16(b, o + 4);
    try {
      if (protocolId !== 0) throw new ModbusFrameError(`MBAP protocol id ${protocolId} is not 0`);
      checkMbapLength(length);
    } catch (err) {
      this.failure = err as ModbusFrameError;
      throw err;
    }
    return 6 + length;
  }
}

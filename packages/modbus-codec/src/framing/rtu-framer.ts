import { RTU_OVERHEAD, rtuCrcValid } from "../adu/rtu.js";
import { view } from "../core/bytes.js";
import { InvalidArgumentError } from "../core/errors.js";
import { MAX_PDU_LENGTH } from "../core/tables.js";
import { requestPduLength, responsePduLength } from "../pdu/pdu.js";

/** One RTU frame: its unit id, its PDU and the whole ADU (views of the pushed bytes). */
export interface RtuFrame {
  unitId: number;
  pdu: Uint8Array;
  adu: Uint8Array;
}

/** Options of an `RtuFramer`. */
export interface RtuFramerOptions {
  /** What this end reads: requests (a server) or responses (a client). */
  direction: "request" | "response";
  /** Units whose frames are returned; frames of other units (another slave's traffic) are skipped and counted. */
  accept?: (unitId: number) => boolean;
}

type LengthRule = (bytes: Uint8Array, offset: number, end: number) => number;

const EMPTY = new Uint8Array(0);

/**
 * Finds RTU frames (unit id, PDU, CRC-16) in a serial byte stream, through line noise and other units' traffic,
 * the way cpppo's fixed framer does: at each start offset, the function code's length rule gives the frame's
 * length and the CRC decides; the first offset that holds a whole CRC-valid frame wins and the bytes before it are
 * noise (`discardedBytes`). A whole CRC-valid frame of the other direction (another slave's reply seen by a
 * server, or the echo of a request seen by a client) is skipped whole, as is a frame of a unit `accept` refuses;
 * both count in `skippedFrames`. While an offset could still begin a frame that has not fully arrived, its bytes
 * stay buffered (at most one ADU, 256 bytes); `silence()` — the line was quiet for t3.5 — drops them.
 *
 * A direct search rather than an `@cpppo/automata` machine (DESIGN principle 3): resynchronising is a search
 * over start offsets that backtracks, with a length rule and a CRC at each offset, not a one-transition-per-byte
 * grammar; an automaton would have to be restarted at every offset. The benchmark (`rtu-framer-noise`, see
 * BENCHMARKS.md) measures this version well above the 100 MB/s target.
 *
 * Returned frames are views of the pushed chunks (or of one buffer joining a frame that spans chunks), so a chunk
 * must not be reused after pushing it.
 */
export class RtuFramer {
  readonly direction: "request" | "response";
  /** Noise: bytes dropped because no frame could start at them, or dropped by `silence()`. */
  discardedBytes = 0;
  /** Whole CRC-valid frames skipped: other units' frames and frames of the other direction. */
  skippedFrames = 0;
  private readonly accept: ((unitId: number) => boolean) | undefined;
  private readonly primary: LengthRule;
  private readonly secondary: LengthRule;
  private buf: Uint8Array = EMPTY;
  private start = 0;
  private end = 0;

  constructor(options: RtuFramerOptions) {
    if (options.direction !== "request" && options.direction !== "response")
      throw new InvalidArgumentError(
        `"direction" must be "request" or "response", got ${String(options.direction)}`,
      );
    this.direction = options.direction;
    this.accept = options.accept;
    this.primary = options.direction === "request" ? requestPduLength : responsePduLength;
    this.secondary = options.direction === "request" ? responsePduLength : requestPduLength;
  }

  /** Bytes pushed and neither returned in a frame nor discarded. */
  get bufferedBytes(): number {
    return this.end - this.start;
  }

  /** Adds `chunk` to the bytes being searched. */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    const rest = this.end - this.start;
    if (rest === 0) {
      this.buf = chunk;
      this.start = 0;
      this.end = chunk.length;
      return;
    }
    // What is left is under one ADU; join it with the new chunk in a fresh buffer (returned views stay valid).
    const joined = new Uint8Array(rest + chunk.length);
    joined.set(this.buf.subarray(this.start, this.end), 0);
    joined.set(chunk, rest);
    this.buf = joined;
    this.start = 0;
    this.end = joined.length;
  }

  /** The next frame of an accepted unit, or `undefined` when the bytes so far hold none. */
  next(): RtuFrame | undefined {
    const b = this.buf;
    const end = this.end;
    let pending = -1;
    for (let i = this.start; i < end; i++) {
      const length = aduLength(b, i, end, this.primary);
      if (length > 0) {
        this.discardedBytes += i - this.start;
        this.start = i + length;
        pending = -1;
        const unitId = b[i] as number;
        if (this.accept !== undefined && !this.accept(unitId)) {
          this.skippedFrames++;
          i = this.start - 1;
          continue;
        }
        return { unitId, pdu: view(b, i + 1, i + length - 2), adu: view(b, i, i + length) };
      }
      const other = aduLength(b, i, end, this.secondary);
      if (other > 0) {
        this.discardedBytes += i - this.start;
        this.start = i + other;
        this.skippedFrames++;
        pending = -1;
        i = this.start - 1;
        continue;
      }
      if (pending < 0 && (length < 0 || other < 0)) pending = i;
    }
    const keep = pending < 0 ? end : pending;
    this.discardedBytes += keep - this.start;
    this.start = keep;
    if (this.start === this.end) {
      this.buf = EMPTY;
      this.start = this.end = 0;
    }
    return undefined;
  }

  /** The line was silent for t3.5: a partial frame will not be completed, so its bytes are dropped. */
  silence(): void {
    this.discardedBytes += this.end - this.start;
    this.buf = EMPTY;
    this.start = this.end = 0;
  }
}

/**
 * The length of the CRC-valid ADU at `i` under `rule`: its length when whole and valid, -1 while it may still
 * be completed, 0 when no frame can start at `i`.
 */
function aduLength(b: Uint8Array, i: number, end: number, rule: LengthRule): number {
  if (i + 1 >= end) return -1;
  const n = rule(b, i + 1, end);
  if (n < 0) return -1;
  if (n === 0 || n > MAX_PDU_LENGTH) return 0;
  const length = n + RTU_OVERHEAD;
  if (i + length > end) return -1;
  return rtuCrcValid(b, i, i + length) ? length : 0;
}

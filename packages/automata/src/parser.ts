import type { DataReader, SymbolBuffer } from "./builder.js";
import {
  KIND_COLLECT,
  KIND_COUNT,
  KIND_DECODE,
  KIND_DROP,
  KIND_MACHINE,
  KIND_PASS,
  type Program,
  TABLE_WIDTH,
} from "./compile.js";
import { LimitError, NonTerminalError, type ParseLocation, ParserStateError } from "./errors.js";

/** What `feed` reports: "done" (the machine finished; see `consumed`) or "more" (every symbol used; feed on or `end()`). */
export type Status = "done" | "more";

/** The results of a parse as a plain nested object of dotted paths (collected input as bytes or a string). */
export interface DataTree {
  [key: string]: unknown;
}

const PHASE_START = 0;
const PHASE_READY = 1;
const PHASE_SETTLE = 2;
const PHASE_END_ITERATION = 3;
const PHASE_COUNTING = 4;
const PHASE_DONE = 5;
const PHASE_FAILED = 6;
const PHASE_LIMIT_PENDING = 7;

/** Thrown inside a run to suspend a LimitError until the symbol it names is known (see `checkedCount`). */
const AWAIT_SYMBOL: unique symbol = Symbol("await symbol");

const HISTORY = 16;
const EMPTY_BYTES = new Uint8Array(0);

function codePointsToString(buf: SymbolBuffer, start: number, end: number): string {
  let out = "";
  for (let i = start; i < end; i += 4096) {
    out += String.fromCodePoint(...buf.subarray(i, Math.min(end, i + 4096)));
  }
  return out;
}

/**
 * One run of a compiled machine over incremental input. `feed` chunks as they arrive: the parser suspends
 * when it needs more input and resumes on the next chunk, so any chunking gives the same result and the
 * same error as feeding everything at once. Not thread-shared; make one per stream (they are cheap).
 */
export class Parser implements DataReader {
  readonly program: Program;
  private readonly bytesMode: boolean;
  private readonly hasInputSlots: boolean;
  /** Input units of the last chunk the parser used (bytes, or UTF-16 code units of a string chunk). */
  consumed = 0;

  private syms: SymbolBuffer = EMPTY_BYTES;
  private base = 0;
  private len = 0;
  private pos = 0;
  private ended = false;
  private phase = PHASE_START;
  private depth = 0;
  private readonly frameInstance: Int32Array;
  private readonly frameNode: Int32Array;
  private readonly frameRemaining: Float64Array;
  private readonly frameLimit: Float64Array;
  private countNeed = 0;
  private countFill = 0;
  private countBuffer: SymbolBuffer | null = null;
  private readonly values: unknown[];
  private readonly buffers: SymbolBuffer[];
  private readonly lengths: Int32Array;
  private readonly stampPos: Float64Array;
  private readonly stampEpoch: Float64Array;
  private readonly frameEpoch: Float64Array;
  private epochs = 0;
  private chunkStart = 0;
  private readonly history = new Int32Array(HISTORY);
  /** Symbols ever written to the `history` ring (its head is `historyCount & 15`). */
  private historyCount = 0;
  private pendingHigh = -1;
  private scratch = new Uint32Array(0);
  /** Per list scope: 1 while an element is being parsed (its data is in the scope's slots). */
  private readonly scopeOpen: Uint8Array;
  /** A LimitError waiting for the next symbol (or the end), so its excerpt does not depend on chunking. */
  private pendingLimit: { message: string; value: unknown } | null = null;

  constructor(program: Program) {
    this.program = program;
    this.bytesMode = program.alphabet === "bytes";
    this.hasInputSlots = program.slotIsInput.includes(1);
    const d = program.maxDepth;
    this.frameInstance = new Int32Array(d);
    this.frameNode = new Int32Array(d);
    this.frameRemaining = new Float64Array(d);
    this.frameLimit = new Float64Array(d);
    this.frameEpoch = new Float64Array(d);
    const slots = program.slotPaths.length;
    this.values = new Array<unknown>(slots).fill(undefined);
    this.buffers = [];
    for (let s = 0; s < slots; s++) {
      const input = program.slotIsInput[s] === 1;
      this.buffers.push(
        program.alphabet === "bytes" ? new Uint8Array(input ? 64 : 0) : new Uint32Array(input ? 64 : 0),
      );
    }
    this.lengths = new Int32Array(slots);
    this.stampPos = new Float64Array(program.nodeCount).fill(-1);
    this.stampEpoch = new Float64Array(program.nodeCount);
    this.scopeOpen = new Uint8Array(program.scopePaths.length);
  }

  /** Symbols consumed since the start (or the last `reset`): bytes, or code points in text mode. */
  get offset(): number {
    return this.pos;
  }

  /** Whether the parser has finished ("done"). */
  get done(): boolean {
    return this.phase === PHASE_DONE;
  }

  /** Forgets all data and position so the same parser can run again (e.g. the next frame). */
  reset(): void {
    this.phase = PHASE_START;
    this.depth = 0;
    this.pos = 0;
    this.base = 0;
    this.len = 0;
    this.syms = EMPTY_BYTES;
    this.ended = false;
    this.consumed = 0;
    this.countBuffer = null;
    this.chunkStart = 0;
    this.historyCount = 0;
    this.pendingHigh = -1;
    const values = this.values;
    for (let s = 0; s < values.length; s++) values[s] = undefined;
    if (this.hasInputSlots) this.lengths.fill(0);
    if (this.scopeOpen.length > 0) this.scopeOpen.fill(0);
    this.pendingLimit = null;
  }

  /**
   * Feeds a chunk (a `Uint8Array` for bytes programs, a string for text) from `start` (default 0).
   * Returns "more" when every symbol was used and the machine wants more, or "done" when it finished;
   * `consumed` then says how much of the chunk it used. Throws NonTerminalError or LimitError on bad input.
   */
  feed(chunk: Uint8Array | string, start = 0): Status {
    if (this.phase === PHASE_DONE) throw new ParserStateError("parser is done; call reset() to parse again");
    if (this.phase === PHASE_FAILED) throw new ParserStateError("parser failed; call reset() to parse again");
    if (this.ended) throw new ParserStateError("parser input has ended; call reset() to parse again");
    if (this.bytesMode) {
      if (typeof chunk === "string") throw new ParserStateError("a bytes program is fed Uint8Array chunks");
      this.syms = chunk;
      this.base = this.pos - start;
      this.len = chunk.length;
      this.chunkStart = start;
      const status = this.runGuarded();
      this.consumed = this.pos - this.base - start;
      // History only matters for a later error in this run, so a finished run skips it.
      if (status === "more") this.remember(start);
      return status;
    }
    if (typeof chunk !== "string") throw new ParserStateError("a text program is fed string chunks");
    const hadPending = this.pendingHigh >= 0;
    this.loadText(chunk, start);
    const status = this.runGuarded();
    if (status === "more") this.remember(0);
    if (status === "more") this.consumed = chunk.length - start;
    else this.consumed = unitsOf(chunk, start, this.pos - this.base, hadPending);
    return status;
  }

  /** Signals the end of input: follows epsilon moves and returns "done", or throws NonTerminalError. */
  end(): Status {
    if (this.phase === PHASE_DONE) return "done";
    if (this.phase === PHASE_FAILED) throw new ParserStateError("parser failed; call reset() to parse again");
    if (this.pendingHigh >= 0) {
      // A lone high surrogate at the very end is a symbol of its own, as JavaScript's `u` RegExp treats it.
      const lone = new Uint32Array([this.pendingHigh]);
      this.pendingHigh = -1;
      this.syms = lone;
      this.base = this.pos;
      this.len = 1;
      this.chunkStart = 0;
      if (this.runGuarded() === "done") return "done";
    }
    this.ended = true;
    this.syms = EMPTY_BYTES;
    this.base = this.pos;
    this.len = 0;
    this.chunkStart = 0;
    return this.runGuarded();
  }

  /** The datum at an absolute dotted path: a decoded value, or collected input as bytes or a string. */
  get(path: string): unknown {
    const s = this.program.slotOf(path);
    if (s >= 0) return this.slotValue(s);
    const open = path.indexOf("[");
    if (open < 0 || path[open + 1] === "]") return undefined;
    // "items[1].sub[0].x": the list "items", then plain indexing and property access into its elements.
    let value: unknown = this.get(path.slice(0, open));
    const steps = path.slice(open).match(/\[\d+\]|\.[^.[\]]+/g);
    if (steps === null || steps.join("") !== path.slice(open)) return undefined;
    for (const step of steps) {
      if (typeof value !== "object" || value === null) return undefined;
      value =
        step[0] === "["
          ? Array.isArray(value)
            ? value[Number(step.slice(1, -1))]
            : undefined
          : Object.hasOwn(value, step.slice(1))
            ? (value as DataTree)[step.slice(1)]
            : undefined;
    }
    return value;
  }

  /** The datum in a slot (see `Program.slotOf`); the cheap way to read results on a hot path. */
  slotValue(slot: number): unknown {
    if (this.program.slotIsInput[slot] !== 1) {
      if (this.program.slotIsList[slot] === 1) return this.listValue(slot);
      return this.values[slot];
    }
    const n = this.lengths[slot] as number;
    const buf = this.buffers[slot] as SymbolBuffer;
    return this.program.alphabet === "bytes" ? buf.slice(0, n) : codePointsToString(buf, 0, n);
  }

  /**
   * Everything parsed so far as a plain nested object, e.g. `{ length: 4, payload: Uint8Array }`. A decoded
   * value replaces the collected `.input` it was decoded from (read that with `get` if needed).
   */
  result(): DataTree {
    return this.tree(this.program.topMembers);
  }

  /**
   * Lays the given slots out as a nested object by their paths within their scope: collected inputs
   * first, then decoded values (a value replaces the `.input` it was decoded from).
   */
  private tree(members: Int32Array): DataTree {
    const p = this.program;
    const tree: DataTree = {};
    for (const inputs of [1, 0]) {
      slots: for (let m = 0; m < members.length; m++) {
        const s = members[m] as number;
        if (p.slotIsInput[s] !== inputs) continue;
        if (inputs === 1 ? this.lengths[s] === 0 : this.values[s] === undefined) continue;
        const parts = p.slotParts[s] as readonly string[];
        if (parts.length === 0) continue;
        let node = tree;
        for (let i = 0; i < parts.length - 1; i++) {
          const key = parts[i] as string;
          let next = node[key];
          if (typeof next !== "object" || next === null || ArrayBuffer.isView(next) || Array.isArray(next)) {
            if (inputs === 1 || next === undefined) {
              next = {};
              node[key] = next;
            } else continue slots;
          }
          node = next as DataTree;
        }
        node[parts[parts.length - 1] as string] = this.slotValue(s);
      }
    }
    return tree;
  }

  /** The element of list scope `scope` built from its slots: the value at the scope's own path, else an object. */
  private element(scope: number): unknown {
    const p = this.program;
    const members = p.scopeMembers[scope] as Int32Array;
    for (let m = 0; m < members.length; m++) {
      const s = members[m] as number;
      if ((p.slotParts[s] as readonly string[]).length === 0 && this.values[s] !== undefined)
        return this.slotValue(s);
    }
    return this.tree(members);
  }

  /** A list slot's value: a copy of the finished elements, plus the element being parsed, if any. */
  private listValue(slot: number): unknown[] | undefined {
    const done = this.values[slot] as unknown[] | undefined;
    if (done === undefined) return undefined;
    const list = done.slice();
    const scopes = this.program.scopeListSlot;
    for (let c = 0; c < scopes.length; c++) {
      if (scopes[c] === slot && this.scopeOpen[c] === 1) list.push(this.element(c));
    }
    return list;
  }

  /** Starts a new element of list scope `scope`: forgets the previous element's data in its slots. */
  private openElement(scope: number): void {
    const p = this.program;
    const members = p.scopeMembers[scope] as Int32Array;
    for (let m = 0; m < members.length; m++) {
      const s = members[m] as number;
      this.values[s] = undefined;
      this.lengths[s] = 0;
    }
    this.scopeOpen[scope] = 1;
  }

  /** Appends the finished element of list scope `scope` to its list (one allocation per repetition). */
  private closeElement(scope: number): void {
    const el = this.element(scope);
    this.scopeOpen[scope] = 0;
    (this.values[this.program.scopeListSlot[scope] as number] as unknown[]).push(el);
  }

  private loadText(chunk: string, start: number): void {
    let need = chunk.length - start + 1;
    if (this.scratch.length < need) this.scratch = new Uint32Array(Math.max(need, this.scratch.length * 2));
    const out = this.scratch;
    let n = 0;
    let j = start;
    const end = chunk.length;
    if (this.pendingHigh >= 0 && j < end) {
      const c = chunk.charCodeAt(j);
      if (c >= 0xdc00 && c <= 0xdfff) {
        out[n++] = ((this.pendingHigh - 0xd800) << 10) + (c - 0xdc00) + 0x10000;
        j++;
      } else out[n++] = this.pendingHigh;
      this.pendingHigh = -1;
    }
    while (j < end) {
      const c = chunk.charCodeAt(j);
      if (c >= 0xd800 && c <= 0xdbff) {
        if (j + 1 === end) {
          this.pendingHigh = c;
          j++;
          break;
        }
        const d = chunk.charCodeAt(j + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          out[n++] = ((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
          j += 2;
          continue;
        }
      }
      out[n++] = c;
      j++;
    }
    need = n;
    this.syms = out;
    this.base = this.pos;
    this.len = need;
    this.chunkStart = 0;
  }

  /** Keeps the last few consumed symbols so an error's excerpt does not depend on chunk boundaries. */
  private remember(startIndex: number): void {
    const upto = this.pos - this.base;
    const from = Math.max(startIndex, upto - HISTORY);
    for (let i = from; i < upto; i++)
      this.history[this.historyCount++ & (HISTORY - 1)] = this.syms[i] as number;
  }

  private runGuarded(): Status {
    try {
      return this.run();
    } catch (err) {
      if (err === AWAIT_SYMBOL) {
        this.phase = PHASE_LIMIT_PENDING;
        return "more";
      }
      this.phase = PHASE_FAILED;
      throw err;
    }
  }

  private run(): Status {
    const p = this.program;
    const kind = p.kind;
    const table = p.table;
    const terminal = p.terminal;
    const wide = p.alphabet === "text";
    for (;;) {
      switch (this.phase) {
        case PHASE_READY: {
          const f = this.depth - 1;
          let s = this.frameNode[f] as number;
          const limit = this.frameLimit[f] as number;
          const syms = this.syms;
          let i = this.pos - this.base;
          let t: number;
          let sym = -1;
          let viaEpsilon = true;
          if (p.consumes[s] === 1) {
            // Hot loop: symbol transitions into collecting or dropping states, straight off the table.
            const stop = Math.min(this.len, limit - this.base);
            if (i < stop) {
              const greedy = p.instanceGreedy[this.frameInstance[f] as number] === 1;
              const slotOf = p.slot;
              let stopped = false;
              while (i < stop) {
                const c = syms[i] as number;
                const u =
                  c < TABLE_WIDTH ? (table[s * TABLE_WIDTH + c] as number) : wide ? p.lookup(s, c) : -1;
                if (u < 0) break;
                const k = kind[u];
                if (k === KIND_COLLECT) {
                  const sl = slotOf[u] as number;
                  let buf = this.buffers[sl] as SymbolBuffer;
                  const n = this.lengths[sl] as number;
                  if (n === buf.length) buf = this.grow(sl, n + 1);
                  buf[n] = c;
                  this.lengths[sl] = n + 1;
                } else if (k !== KIND_DROP) break;
                i++;
                s = u;
                if (!greedy && terminal[u] === 1) {
                  stopped = true;
                  break;
                }
              }
              this.pos = this.base + i;
              this.frameNode[f] = s;
              if (stopped) {
                this.phase = PHASE_END_ITERATION;
                continue;
              }
            }
            if (this.pos < limit && i < this.len) {
              sym = syms[i] as number;
              t = sym < TABLE_WIDTH ? (table[s * TABLE_WIDTH + sym] as number) : wide ? p.lookup(s, sym) : -1;
              if (t === -1) t = p.epsilon[s] as number;
              else viaEpsilon = false;
            } else if (this.pos >= limit || this.ended) {
              t = p.epsilon[s] as number;
            } else if (p.consumes[s] === 1) {
              // No symbol yet: a state that could consume one must see it before choosing epsilon.
              return "more";
            } else t = p.epsilon[s] as number;
          } else {
            // Nothing to consume here: only epsilon can apply, whatever the next symbol is.
            t = p.epsilon[s] as number;
            if (this.pos < limit && i < this.len) sym = syms[i] as number;
          }
          if (t <= -2) t = this.decideTarget(-2 - t);
          if (t >= 0 && (viaEpsilon || kind[t] === KIND_PASS || (kind[t] as number) >= KIND_DECODE)) {
            // No-progress detection: re-entering a non-consuming node at the same offset, in the same
            // iteration of its machine, is a loop, and ends the machine as cpppo does.
            const epoch = this.frameEpoch[f] as number;
            if (this.stampPos[t] === this.pos && this.stampEpoch[t] === epoch) t = -1;
            else {
              this.stampPos[t] = this.pos;
              this.stampEpoch[t] = epoch;
            }
          }
          if (t === -1) {
            if (terminal[s] !== 1) {
              // Wait for the next symbol (or the end) so the error names it whatever the chunking.
              if (sym < 0 && !this.ended && this.pos < limit) return "more";
              throw new NonTerminalError(this.where(sym));
            }
            this.phase = PHASE_END_ITERATION;
            continue;
          }
          this.enter(t, sym);
          continue;
        }
        case PHASE_COUNTING: {
          if (!this.advanceCount()) return "more";
          continue;
        }
        case PHASE_SETTLE: {
          const f = this.depth - 1;
          const t = this.frameNode[f] as number;
          this.phase =
            p.instanceGreedy[this.frameInstance[f] as number] === 0 && terminal[t] === 1
              ? PHASE_END_ITERATION
              : PHASE_READY;
          continue;
        }
        case PHASE_END_ITERATION: {
          const f = this.depth - 1;
          const scope = p.instanceScope[this.frameInstance[f] as number] as number;
          if (scope >= 0) this.closeElement(scope);
          const left = (this.frameRemaining[f] as number) - 1;
          this.frameRemaining[f] = left;
          if (left > 0) {
            if (scope >= 0) this.openElement(scope);
            this.frameEpoch[f] = ++this.epochs;
            this.enter(p.instanceInitial[this.frameInstance[f] as number] as number, -1);
            continue;
          }
          this.depth--;
          if (this.depth === 0) {
            this.phase = PHASE_DONE;
            return "done";
          }
          this.phase = PHASE_SETTLE;
          continue;
        }
        case PHASE_START: {
          this.depth = 1;
          this.frameInstance[0] = 0;
          this.frameRemaining[0] = 1;
          this.frameLimit[0] = Number.POSITIVE_INFINITY;
          this.frameNode[0] = p.root;
          this.frameEpoch[0] = ++this.epochs;
          this.enter(p.root, -1);
          continue;
        }
        case PHASE_LIMIT_PENDING: {
          const i = this.pos - this.base;
          if (i >= this.len && !this.ended) return "more";
          const pending = this.pendingLimit as { message: string; value: unknown };
          throw new LimitError(
            pending.message,
            pending.value,
            this.where(i < this.len ? (this.syms[i] as number) : -1),
          );
        }
        case PHASE_DONE:
          return "done";
        default:
          throw new ParserStateError("parser failed; call reset() to parse again");
      }
    }
  }

  /** Enters node `t` in the current frame: performs its entry action and sets the next phase. */
  private enter(t: number, sym: number): void {
    const p = this.program;
    const f = this.depth - 1;
    this.frameNode[f] = t;
    switch (p.kind[t]) {
      case KIND_PASS:
        this.phase = PHASE_SETTLE;
        return;
      case KIND_COLLECT: {
        const sl = p.slot[t] as number;
        let buf = this.buffers[sl] as SymbolBuffer;
        const n = this.lengths[sl] as number;
        if (n === buf.length) buf = this.grow(sl, n + 1);
        buf[n] = sym;
        this.lengths[sl] = n + 1;
        this.pos++;
        this.phase = PHASE_SETTLE;
        return;
      }
      case KIND_DROP:
        this.pos++;
        this.phase = PHASE_SETTLE;
        return;
      case KIND_DECODE: {
        const decoder = p.inputDecoders[t] as (input: Uint8Array | string) => unknown;
        this.values[p.slot[t] as number] = decoder(
          this.slotValue(p.sourceSlot[t] as number) as Uint8Array | string,
        );
        this.phase = PHASE_SETTLE;
        return;
      }
      case KIND_COUNT: {
        const c = p.constant[t] as number;
        this.countNeed = c >= 0 ? c : this.checkedCount(this.values[p.sourceSlot[t] as number], "count");
        this.countFill = 0;
        this.countBuffer = null;
        this.phase = PHASE_COUNTING;
        return;
      }
      case KIND_MACHINE: {
        const rc = p.constant[t] as number;
        const repeat = rc >= 0 ? rc : this.checkedCount(this.values[p.repeatSlot[t] as number], "repeat");
        const inst = p.subInstance[t] as number;
        const scope = p.instanceScope[inst] as number;
        // A list machine's list exists once the machine is reached, even with no repetition (`[]`).
        if (scope >= 0 && this.values[p.scopeListSlot[scope] as number] === undefined)
          this.values[p.scopeListSlot[scope] as number] = [];
        if (repeat === 0) {
          this.phase = PHASE_SETTLE;
          return;
        }
        const lc = p.limitConstant[t] as number;
        const parentLimit = this.frameLimit[f] as number;
        let limit = parentLimit;
        if (lc !== -1) {
          const budget = lc >= 0 ? lc : this.checkedCount(this.values[p.limitSlot[t] as number], "limit");
          limit = Math.min(parentLimit, this.pos + budget);
        }
        if (scope >= 0) this.openElement(scope);
        const g = this.depth++;
        this.frameInstance[g] = inst;
        this.frameRemaining[g] = repeat;
        this.frameLimit[g] = limit;
        this.frameEpoch[g] = ++this.epochs;
        const initial = p.instanceInitial[inst] as number;
        this.stampPos[initial] = this.pos;
        this.stampEpoch[initial] = this.epochs;
        this.enter(initial, -1);
        return;
      }
    }
  }

  /** Moves a counted run forward; true when it completed (or failed by throwing), false when it needs more input. */
  private advanceCount(): boolean {
    const f = this.depth - 1;
    const t = this.frameNode[f] as number;
    const p = this.program;
    const need = this.countNeed - this.countFill;
    const i = this.pos - this.base;
    let avail = this.len - i;
    const toLimit = (this.frameLimit[f] as number) - this.pos;
    if (toLimit < avail) avail = toLimit;
    if (avail < 0) avail = 0;
    const decoder = p.runDecoders[t];
    if (this.countFill === 0 && need <= avail) {
      // The whole run is in this chunk: decode it in place (a zero-copy view by default).
      const syms = this.syms;
      this.values[p.slot[t] as number] =
        decoder !== undefined
          ? decoder(syms, i, i + need)
          : this.bytesMode
            ? syms.subarray(i, i + need)
            : codePointsToString(syms, i, i + need);
      this.pos += need;
      this.phase = PHASE_SETTLE;
      return true;
    }
    if (this.countBuffer === null) {
      this.countBuffer =
        p.alphabet === "bytes" ? new Uint8Array(this.countNeed) : new Uint32Array(this.countNeed);
    }
    const take = Math.min(need, avail);
    const buf = this.countBuffer;
    for (let k = 0; k < take; k++) buf[this.countFill + k] = this.syms[i + k] as number;
    this.countFill += take;
    this.pos += take;
    if (this.countFill === this.countNeed) {
      const n = this.countNeed;
      this.values[p.slot[t] as number] =
        decoder !== undefined
          ? decoder(buf, 0, n)
          : p.alphabet === "bytes"
            ? buf
            : codePointsToString(buf, 0, n);
      this.countBuffer = null;
      this.phase = PHASE_SETTLE;
      return true;
    }
    if (this.ended || this.pos >= (this.frameLimit[f] as number)) throw new NonTerminalError(this.where(-1));
    return false;
  }

  private checkedCount(value: unknown, what: string): number {
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > this.program.maxCount) {
      const message = `${what} ${String(value)} is not an integer in 0..${this.program.maxCount}`;
      const i = this.pos - this.base;
      if (i >= this.len && !this.ended) {
        // The error names the next symbol: wait for it, so any chunking reports the same error.
        this.pendingLimit = { message, value };
        throw AWAIT_SYMBOL;
      }
      throw new LimitError(message, value, this.where(i < this.len ? (this.syms[i] as number) : -1));
    }
    return value;
  }

  private decideTarget(index: number): number {
    const d = this.program.decides[index];
    if (d === undefined) return -1;
    for (let k = 0; k < d.tests.length; k++) {
      const slot = d.slots[k] as number;
      const test = d.tests[k] as (v: unknown, data: DataReader) => boolean;
      if (test(slot < 0 ? undefined : this.slotValue(slot), this)) return d.targets[k] as number;
    }
    return d.fallback;
  }

  private grow(slot: number, need: number): SymbolBuffer {
    const old = this.buffers[slot] as SymbolBuffer;
    const size = Math.max(need, old.length * 2, 64);
    const next = old instanceof Uint8Array ? new Uint8Array(size) : new Uint32Array(size);
    next.set(old);
    this.buffers[slot] = next;
    return next;
  }

  /** The location payload of an error at the current offset, independent of how input was chunked. */
  private where(symbol: number): ParseLocation {
    const p = this.program;
    const i = this.pos - this.base;
    const before: number[] = [];
    const fromChunk = Math.max(0, Math.min(i - this.chunkStart, HISTORY));
    const fromHistory = Math.min(this.historyCount, HISTORY - fromChunk);
    for (let k = this.historyCount - fromHistory; k < this.historyCount; k++) {
      before.push(this.history[k & (HISTORY - 1)] as number);
    }
    for (let k = i - fromChunk; k < i; k++) before.push(this.syms[k] as number);
    const statePath: string[] = [];
    for (let f = 1; f < this.depth; f++)
      statePath.push(p.instanceNames[this.frameInstance[f] as number] as string);
    statePath.push(p.names[this.frameNode[this.depth - 1] as number] as string);
    const excerpt =
      p.alphabet === "bytes"
        ? `${before.map((b) => b.toString(16).padStart(2, "0")).join(" ")} | ${symbol < 0 ? "<end>" : symbol.toString(16).padStart(2, "0")}`
        : `${JSON.stringify(String.fromCodePoint(...before))} | ${symbol < 0 ? "<end>" : JSON.stringify(String.fromCodePoint(symbol))}`;
    return { offset: this.pos, symbol, excerpt, statePath };
  }
}

/** UTF-16 units of `chunk` from `start` covering `points` code points (less one unit for a carried high surrogate). */
function unitsOf(chunk: string, start: number, points: number, carried: boolean): number {
  let j = start;
  let k = carried && points > 0 ? 1 : 0;
  if (k === 1) {
    const c = chunk.charCodeAt(j);
    if (c >= 0xdc00 && c <= 0xdfff) j++;
  }
  for (; k < points && j < chunk.length; k++) {
    const c = chunk.charCodeAt(j);
    const d = j + 1 < chunk.length ? chunk.charCodeAt(j + 1) : 0;
    j += c >= 0xd800 && c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff ? 2 : 1;
  }
  return j - start;
}

import {
  CountState,
  Decide,
  type DecideTest,
  DecodeState,
  type InputDecoder,
  Machine,
  type RunDecoder,
  type StateNode,
  type TargetList,
} from "./builder.js";
import { InvalidArgumentError } from "./errors.js";

/** Which symbols a program reads: bytes (`Uint8Array` input, 0..255) or text (strings, Unicode code points). */
export type Alphabet = "bytes" | "text";

/** Options of `compile`. */
export interface CompileOptions {
  /** The input alphabet; defaults to "bytes". */
  alphabet?: Alphabet;
  /** Ceiling on any count, repeat or limit read from parsed data; defaults to 16 MiB (16777216). */
  maxCount?: number;
}

/** Node kinds as stored in the compiled tables. */
export const KIND_PASS = 0;
export const KIND_COLLECT = 1;
export const KIND_DROP = 2;
export const KIND_DECODE = 3;
export const KIND_COUNT = 4;
export const KIND_MACHINE = 5;
const KIND_CODE = { pass: 0, collect: 1, drop: 2, decode: 3, count: 4, machine: 5 } as const;

/** Slot kinds: a decoded value, a collect buffer, or the list of a `name[]` machine. */
const SLOT_VALUE = 0;
const SLOT_INPUT = 1;
const SLOT_LIST = 2;

/** Symbols below this are looked up in the flat per-node table; text symbols above it use ranges. */
export const TABLE_WIDTH = 256;

/** A compiled decide list: tests tried in order, then the fallback (-1: no transition). */
export interface DecideEntry {
  readonly tests: readonly DecideTest[];
  readonly slots: Int32Array;
  readonly targets: Int32Array;
  readonly fallback: number;
}

function join(a: string, b: string): string {
  if (a === "") return b;
  if (b === "") return a;
  return `${a}.${b}`;
}

/** Resolves a data reference against a context: "x.y" is relative, each dot beyond the first of a leading run goes up a level. */
export function resolvePath(prefix: string, ref: string): string {
  let dots = 0;
  while (ref[dots] === ".") dots++;
  const parts = prefix === "" ? [] : prefix.split(".");
  for (let i = 1; i < dots; i++) parts.pop();
  return join(parts.join("."), ref.slice(dots));
}

interface Instance {
  readonly machine: Machine;
  readonly prefix: string;
  readonly ids: Map<StateNode, number>;
  initial: number;
}

/**
 * A machine compiled to flat transition tables: node × 256 `Int32Array` rows for symbols below 256 and
 * sorted ranges above (text), with every data path resolved to a slot. Immutable and shareable; each
 * `Parser` keeps its own run state.
 */
export class Program {
  readonly alphabet: Alphabet;
  readonly maxCount: number;
  /** Node kinds (`KIND_*`), names, owning instance and terminal flags, indexed by node id. */
  readonly kind: Uint8Array;
  readonly names: readonly string[];
  readonly nodeInstance: Int32Array;
  readonly terminal: Uint8Array;
  /** 1 where a node has any symbol transition (so it must see the next symbol before taking epsilon). */
  readonly consumes: Uint8Array;
  /** node * 256 + symbol → target (-1 none, ≤ -2 decide list -2-i); exact → predicates → any already resolved. */
  readonly table: Int32Array;
  readonly epsilon: Int32Array;
  /** Text symbols ≥ 256: per node [rangeStart[n], rangeStart[n+1]) into rangeLo/rangeHi/rangeTarget. */
  readonly rangeStart: Int32Array;
  readonly rangeLo: Int32Array;
  readonly rangeHi: Int32Array;
  readonly rangeTarget: Int32Array;
  readonly widePredicates: readonly (readonly { test: (s: number) => boolean; target: number }[])[];
  readonly wideAny: Int32Array;
  readonly decides: readonly DecideEntry[];
  /** Per node: collect → input slot; decode/count → destination slot. */
  readonly slot: Int32Array;
  /** Per node: decode → input slot; count → count slot (-1 when constant). */
  readonly sourceSlot: Int32Array;
  /** Per node: count → constant N (-1 when from data); machine → constant repeat (-1 when from data). */
  readonly constant: Float64Array;
  readonly runDecoders: readonly (RunDecoder | undefined)[];
  readonly inputDecoders: readonly (InputDecoder | undefined)[];
  /** Per machine node: the sub-instance, limit constant (-1 none, -2 from data) and limit/repeat slots. */
  readonly subInstance: Int32Array;
  readonly limitConstant: Float64Array;
  readonly limitSlot: Int32Array;
  readonly repeatSlot: Int32Array;
  /** Per instance: initial node, greedy flag, machine name. */
  readonly instanceInitial: Int32Array;
  readonly instanceGreedy: Uint8Array;
  readonly instanceNames: readonly string[];
  /** The node the parser enters first (the root machine, as a terminal state of a synthetic top). */
  readonly root: number;
  /** Deepest machine nesting plus the synthetic top. */
  readonly maxDepth: number;
  /** Dotted path of each slot, and 1 where the slot is a collect buffer. */
  readonly slotPaths: readonly string[];
  readonly slotIsInput: Uint8Array;
  /** 1 where the slot holds the list of a machine whose context ends in `[]` (path without the `[]`). */
  readonly slotIsList: Uint8Array;
  /** Per slot: the innermost list scope it belongs to (-1: top level), and its path parts within that scope's element. */
  readonly slotScope: Int32Array;
  readonly slotParts: readonly (readonly string[])[];
  /** Per list scope: its path (e.g. "items[]"), the slot holding its list, and the slots of one element. */
  readonly scopePaths: readonly string[];
  readonly scopeListSlot: Int32Array;
  readonly scopeMembers: readonly Int32Array[];
  /** Slots outside every list scope (what `result()` lays out at top level). */
  readonly topMembers: Int32Array;
  /** Per instance: the list scope each iteration of it fills (-1: none). */
  readonly instanceScope: Int32Array;
  private readonly slotIndex: ReadonlyMap<string, number>;

  constructor(root: StateNode, options: CompileOptions = {}) {
    this.alphabet = options.alphabet ?? "bytes";
    this.maxCount = options.maxCount ?? 1 << 24;
    if (this.alphabet !== "bytes" && this.alphabet !== "text") {
      throw new InvalidArgumentError('"alphabet" must be "bytes" or "text"');
    }
    const top = root instanceof Machine ? root : new Machine(root.name, root);
    const b = new Builder(this.alphabet);
    b.build(top);
    this.kind = Uint8Array.from(b.kind);
    this.names = b.names;
    this.nodeInstance = Int32Array.from(b.nodeInstance);
    this.terminal = Uint8Array.from(b.terminal);
    this.consumes = Uint8Array.from(b.consumes);
    this.table = b.table();
    this.epsilon = Int32Array.from(b.epsilon);
    this.rangeStart = Int32Array.from(b.rangeStart);
    this.rangeLo = Int32Array.from(b.rangeLo);
    this.rangeHi = Int32Array.from(b.rangeHi);
    this.rangeTarget = Int32Array.from(b.rangeTarget);
    this.widePredicates = b.widePredicates;
    this.wideAny = Int32Array.from(b.wideAny);
    this.decides = b.decides;
    this.slot = Int32Array.from(b.slot);
    this.sourceSlot = Int32Array.from(b.sourceSlot);
    this.constant = Float64Array.from(b.constant);
    this.runDecoders = b.runDecoders;
    this.inputDecoders = b.inputDecoders;
    this.subInstance = Int32Array.from(b.subInstance);
    this.limitConstant = Float64Array.from(b.limitConstant);
    this.limitSlot = Int32Array.from(b.limitSlot);
    this.repeatSlot = Int32Array.from(b.repeatSlot);
    this.instanceInitial = Int32Array.from(b.instances.map((i) => i.initial));
    this.instanceGreedy = Uint8Array.from(b.instances.map((i) => (i.machine.greedy ? 1 : 0)));
    this.instanceNames = b.instances.map((i) => i.machine.name);
    this.root = b.root;
    this.maxDepth = b.maxDepth + 1;
    this.slotPaths = b.slotPaths;
    this.slotIsInput = Uint8Array.from(b.slotIsInput);
    this.slotIsList = Uint8Array.from(b.slotKind.map((k) => (k === SLOT_LIST ? 1 : 0)));
    this.scopePaths = b.scopePaths;
    this.scopeListSlot = Int32Array.from(b.scopeListSlot);
    this.instanceScope = Int32Array.from(b.instanceScope);
    const slotScope: number[] = [];
    const slotParts: string[][] = [];
    for (const path of b.slotPaths) {
      // The innermost scope whose element holds this path: "items[].sub[].x" is in "items[].sub[]".
      let scope = -1;
      let best = -1;
      for (let c = 0; c < b.scopePaths.length; c++) {
        const sp = b.scopePaths[c] as string;
        if ((path === sp || path.startsWith(`${sp}.`)) && sp.length > best) {
          scope = c;
          best = sp.length;
        }
      }
      slotScope.push(scope);
      const rel = scope < 0 ? path : path.slice(best + 1);
      slotParts.push(rel === "" ? [] : rel.split("."));
    }
    this.slotScope = Int32Array.from(slotScope);
    this.slotParts = slotParts;
    this.scopeMembers = b.scopePaths.map((_, c) =>
      Int32Array.from(slotScope.flatMap((sc, slot) => (sc === c ? [slot] : []))),
    );
    this.topMembers = Int32Array.from(slotScope.flatMap((sc, slot) => (sc === -1 ? [slot] : [])));
    this.slotIndex = b.slotIndex;
  }

  /** Number of nodes after every machine was expanded at each place it is used. */
  get nodeCount(): number {
    return this.kind.length;
  }

  /** The slot of an absolute dotted path (e.g. "header.length"), or -1 if no state writes it. */
  slotOf(path: string): number {
    return this.slotIndex.get(path) ?? -1;
  }

  /** Next node from `node` on `symbol` (exact → predicate → any; -1 none, ≤ -2 a decide list). */
  lookup(node: number, symbol: number): number {
    if (symbol < TABLE_WIDTH) return this.table[node * TABLE_WIDTH + symbol] as number;
    const rs = this.rangeStart;
    let lo = rs[node] as number;
    let hi = (rs[node + 1] as number) - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (symbol < (this.rangeLo[mid] as number)) hi = mid - 1;
      else if (symbol > (this.rangeHi[mid] as number)) lo = mid + 1;
      else return this.rangeTarget[mid] as number;
    }
    const preds = this.widePredicates[node];
    if (preds !== undefined) {
      for (let i = 0; i < preds.length; i++) {
        const p = preds[i] as { test: (s: number) => boolean; target: number };
        if (p.test(symbol)) return p.target;
      }
    }
    return this.wideAny[node] as number;
  }
}

/** Builds the tables: expands machines per use-site, numbers nodes and slots, checks well-formedness. */
class Builder {
  readonly kind: number[] = [];
  readonly names: string[] = [];
  readonly nodeInstance: number[] = [];
  readonly terminal: number[] = [];
  readonly consumes: number[] = [];
  readonly rows: Int32Array[] = [];
  readonly epsilon: number[] = [];
  readonly rangeStart: number[] = [];
  readonly rangeLo: number[] = [];
  readonly rangeHi: number[] = [];
  readonly rangeTarget: number[] = [];
  private readonly wideRanges: [number, number, number][][] = [];
  readonly widePredicates: { test: (s: number) => boolean; target: number }[][] = [];
  readonly wideAny: number[] = [];
  readonly decides: DecideEntry[] = [];
  readonly slot: number[] = [];
  readonly sourceSlot: number[] = [];
  readonly constant: number[] = [];
  readonly runDecoders: (RunDecoder | undefined)[] = [];
  readonly inputDecoders: (InputDecoder | undefined)[] = [];
  readonly subInstance: number[] = [];
  readonly limitConstant: number[] = [];
  readonly limitSlot: number[] = [];
  readonly repeatSlot: number[] = [];
  readonly instances: Instance[] = [];
  readonly slotPaths: string[] = [];
  readonly slotIsInput: number[] = [];
  readonly slotKind: number[] = [];
  readonly scopePaths: string[] = [];
  readonly scopeListSlot: number[] = [];
  readonly instanceScope: number[] = [];
  /** Data references (decide paths, counts, repeats, limits), resolved once every writer has its slot. */
  private readonly reads: [string, (slot: number) => void][] = [];
  readonly slotIndex = new Map<string, number>();
  root = -1;
  maxDepth = 0;
  private readonly active: Machine[] = [];

  constructor(private readonly alphabet: Alphabet) {}

  build(rootMachine: Machine): void {
    // A synthetic top instance holds the root machine as its single, terminal, transition-less node.
    const topMachine = new Machine("", rootMachine);
    const top: Instance = { machine: topMachine, prefix: "", ids: new Map(), initial: -1 };
    this.instances.push(top);
    this.instanceScope.push(-1);
    this.root = this.newNode(0, rootMachine, "");
    top.initial = this.root;
    this.terminal[this.root] = 1;
    this.subInstance[this.root] = this.instantiate(rootMachine, rootMachine.context, 1);
    this.setMachineCounts(this.root, rootMachine, "");
    for (const [path, assign] of this.reads) {
      const s = this.slotIndex.get(path);
      assign(s ?? this.slotFor(path, SLOT_VALUE));
    }
    // Wide ranges were gathered per node in build order; lay them out by node id.
    for (let id = 0; id < this.wideRanges.length; id++) {
      this.rangeStart.push(this.rangeLo.length);
      for (const [lo, hi, c] of this.wideRanges[id] as [number, number, number][]) {
        this.rangeLo.push(lo);
        this.rangeHi.push(hi);
        this.rangeTarget.push(c);
      }
    }
    this.rangeStart.push(this.rangeLo.length);
  }

  table(): Int32Array {
    const t = new Int32Array(this.rows.length * TABLE_WIDTH);
    for (let i = 0; i < this.rows.length; i++) t.set(this.rows[i] as Int32Array, i * TABLE_WIDTH);
    return t;
  }

  private slotFor(path: string, kind: number): number {
    let s = this.slotIndex.get(path);
    if (s === undefined) {
      s = this.slotPaths.length;
      this.slotIndex.set(path, s);
      this.slotPaths.push(path);
      this.slotIsInput.push(kind === SLOT_INPUT ? 1 : 0);
      this.slotKind.push(kind);
    } else if (this.slotKind[s] !== kind) {
      const what = ["a decoded value", "collected input", "a list (a machine context ending in [])"];
      throw new InvalidArgumentError(
        `"${path}" is used both as ${what[this.slotKind[s] as number]} and as ${what[kind]}`,
      );
    }
    return s;
  }

  /** Defers a data reference: any slot kind may be read, and one no state writes reads as undefined. */
  private read(path: string, assign: (slot: number) => void): void {
    this.reads.push([path, assign]);
  }

  /** The list scope of a machine instance whose context ends in `[]`; instances at one path share it. */
  private scopeFor(prefix: string): number {
    let c = this.scopePaths.indexOf(prefix);
    if (c < 0) {
      c = this.scopePaths.length;
      this.scopePaths.push(prefix);
      this.scopeListSlot.push(this.slotFor(prefix.slice(0, -2), SLOT_LIST));
    }
    return c;
  }

  private instantiate(m: Machine, prefix: string, depth: number): number {
    if (this.active.includes(m)) {
      throw new InvalidArgumentError(
        `machine "${m.name}" contains itself; recursive machines are not supported`,
      );
    }
    if (m.alphabet !== undefined && m.alphabet !== this.alphabet) {
      throw new InvalidArgumentError(
        `machine "${m.name}" was built for ${m.alphabet} but compiled for ${this.alphabet}`,
      );
    }
    this.maxDepth = Math.max(this.maxDepth, depth);
    this.active.push(m);
    const instId = this.instances.length;
    const inst: Instance = { machine: m, prefix, ids: new Map(), initial: -1 };
    this.instances.push(inst);
    this.instanceScope.push(m.isList ? this.scopeFor(prefix) : -1);
    const queue: StateNode[] = [];
    const idOf = (n: StateNode): number => {
      let id = inst.ids.get(n);
      if (id === undefined) {
        id = this.newNode(instId, n, prefix);
        inst.ids.set(n, id);
        queue.push(n);
        if (n instanceof Machine) {
          this.subInstance[id] = this.instantiate(n, join(prefix, n.context), depth + 1);
          this.setMachineCounts(id, n, prefix);
        }
      }
      return id;
    };
    inst.initial = idOf(m.initial);
    this.checkEntered(m.initial, `initial state of "${m.name}"`);
    for (let q = 0; q < queue.length; q++) {
      const n = queue[q] as StateNode;
      for (const list of transitionLists(n))
        for (const t of list) {
          const target = t instanceof Decide ? t.target : t;
          if (target) idOf(target);
        }
    }
    for (const n of queue) this.finishNode(inst.ids.get(n) as number, n, inst);
    this.active.pop();
    return instId;
  }

  private checkEntered(n: StateNode, how: string): void {
    if (n.kind === "collect" || n.kind === "drop") {
      throw new InvalidArgumentError(`${how} "${n.name}" consumes a symbol but is entered without one`);
    }
  }

  private newNode(inst: number, n: StateNode, prefix: string): number {
    const id = this.kind.length;
    this.kind.push(KIND_CODE[n.kind]);
    this.names.push(n.name);
    this.nodeInstance.push(inst);
    this.terminal.push(n.terminal ? 1 : 0);
    this.consumes.push(0);
    this.rows.push(new Int32Array(TABLE_WIDTH).fill(-1));
    this.epsilon.push(-1);
    this.widePredicates.push([]);
    this.wideRanges.push([]);
    this.wideAny.push(-1);
    this.slot.push(-1);
    this.sourceSlot.push(-1);
    this.constant.push(-1);
    this.runDecoders.push(undefined);
    this.inputDecoders.push(undefined);
    this.subInstance.push(-1);
    this.limitConstant.push(-1);
    this.limitSlot.push(-1);
    this.repeatSlot.push(-1);
    const path = join(prefix, n.context);
    if (n.kind === "collect") this.slot[id] = this.slotFor(join(path, "input"), SLOT_INPUT);
    if (n instanceof DecodeState) {
      this.sourceSlot[id] = this.slotFor(join(path, "input"), SLOT_INPUT);
      this.slot[id] = this.slotFor(path === "" ? "value" : path, SLOT_VALUE);
      this.inputDecoders[id] = n.decoder;
    }
    if (n instanceof CountState) {
      this.slot[id] = this.slotFor(path === "" ? "value" : path, SLOT_VALUE);
      if (typeof n.count === "number") this.constant[id] = n.count;
      else
        this.read(resolvePath(prefix, n.count), (s) => {
          this.sourceSlot[id] = s;
        });
      this.runDecoders[id] = n.decoder;
    }
    return id;
  }

  private setMachineCounts(id: number, m: Machine, prefix: string): void {
    if (typeof m.repeat === "number") this.constant[id] = m.repeat;
    else
      this.read(resolvePath(prefix, m.repeat), (s) => {
        this.repeatSlot[id] = s;
      });
    if (m.limit === undefined) this.limitConstant[id] = -1;
    else if (typeof m.limit === "number") this.limitConstant[id] = m.limit;
    else {
      this.limitConstant[id] = -2;
      this.read(resolvePath(prefix, m.limit), (s) => {
        this.limitSlot[id] = s;
      });
    }
  }

  /** Fills a node's table row, wide ranges, predicates and epsilon from its transitions. */
  private finishNode(id: number, n: StateNode, inst: Instance): void {
    const row = this.rows[id] as Int32Array;
    const code = (list: TargetList): number => this.targetCode(list, inst);
    const wide = this.wideRanges[id] as [number, number, number][];
    for (const r of n.ranges) {
      if (this.alphabet === "bytes" && r.hi >= TABLE_WIDTH) {
        throw new InvalidArgumentError(`${n.name}: symbol ${r.hi} is not a byte (0..255)`);
      }
      const c = code(r.targets);
      for (let s = r.lo; s <= Math.min(r.hi, TABLE_WIDTH - 1); s++) row[s] = c;
      if (r.hi >= TABLE_WIDTH) wide.push([Math.max(r.lo, TABLE_WIDTH), r.hi, c]);
    }
    for (const p of n.predicates) {
      const c = code(p.targets);
      for (let s = 0; s < TABLE_WIDTH; s++) if (row[s] === -1 && p.test(s)) row[s] = c;
      if (this.alphabet === "text")
        (this.widePredicates[id] as { test: (s: number) => boolean; target: number }[]).push({
          test: p.test,
          target: c,
        });
    }
    if (n.anyTargets) {
      const c = code(n.anyTargets);
      for (let s = 0; s < TABLE_WIDTH; s++) if (row[s] === -1) row[s] = c;
      this.wideAny[id] = c;
    }
    if (n.epsilonTargets) {
      for (const t of n.epsilonTargets) {
        const target = t instanceof Decide ? t.target : t;
        if (target) this.checkEntered(target, `epsilon target of "${n.name}"`);
      }
      this.epsilon[id] = code(n.epsilonTargets);
    }
    this.consumes[id] = n.ranges.length > 0 || n.predicates.length > 0 || n.anyTargets ? 1 : 0;
    wide.sort((a, b) => a[0] - b[0]);
  }

  private targetCode(list: TargetList, inst: Instance): number {
    const last = list[list.length - 1];
    if (list.length === 1 && last !== undefined && !(last instanceof Decide))
      return inst.ids.get(last) as number;
    const tests: DecideTest[] = [];
    const paths: string[] = [];
    const targets: number[] = [];
    let fallback = -1;
    for (const t of list) {
      if (t instanceof Decide) {
        tests.push(t.test);
        paths.push(t.path === "" ? "" : resolvePath(inst.prefix, t.path));
        targets.push(t.target ? (inst.ids.get(t.target) as number) : -1);
      } else {
        fallback = inst.ids.get(t) as number;
      }
    }
    const slots = new Int32Array(paths.length).fill(-1);
    paths.forEach((path, k) => {
      if (path !== "")
        this.read(path, (s) => {
          slots[k] = s;
        });
    });
    this.decides.push({ tests, slots, targets: Int32Array.from(targets), fallback });
    return -2 - (this.decides.length - 1);
  }
}

function transitionLists(n: StateNode): TargetList[] {
  const lists: TargetList[] = [];
  for (const r of n.ranges) lists.push(r.targets);
  for (const p of n.predicates) lists.push(p.targets);
  if (n.anyTargets) lists.push(n.anyTargets);
  if (n.epsilonTargets) lists.push(n.epsilonTargets);
  return lists;
}

/** Compiles a machine (or a lone state, wrapped in one) to transition tables for the given alphabet. */
export function compile(root: StateNode, options?: CompileOptions): Program {
  return new Program(root, options);
}

import { InvalidArgumentError } from "./errors.js";

/** A symbol as written in a machine: one character (its code point) or a number (byte 0..255 or code point). */
export type SymbolSpec = string | number;

/** What the parser holds while it runs: the current chunk's symbols (bytes, or code points in text mode). */
export type SymbolBuffer = Uint8Array | Uint32Array;

/** Turns `end - start` symbols of `symbols` into a value; must not keep `symbols` (it may be reused). */
export type RunDecoder = (symbols: SymbolBuffer, start: number, end: number) => unknown;

/** Turns what a `collect` state gathered (bytes, or a string in text mode) into a value. */
export type InputDecoder = (input: Uint8Array | string) => unknown;

/** Read access to the data parsed so far, handed to `decide` tests. */
export interface DataReader {
  /** The value at an absolute dotted path (a `Map` lookup; prefer `decide`'s `path` option on hot paths). */
  get(path: string): unknown;
}

/** A decide test: `value` is the datum at the decide's `path` (undefined without one). */
export type DecideTest = (value: unknown, data: DataReader) => boolean;

/**
 * A conditional transition on data parsed so far (cpppo's `decide`): taken when `test` is true.
 * `target` null means "no transition" (the machine ends here if the state is terminal).
 */
export class Decide {
  readonly name: string;
  readonly test: DecideTest;
  readonly target: StateNode | null;
  /** Dotted path of the datum passed to `test`, relative to the enclosing machine's context; "" for none. */
  readonly path: string;
  constructor(target: StateNode | null, test: DecideTest, options: { path?: string; name?: string } = {}) {
    this.target = target;
    this.test = test;
    this.path = options.path ?? "";
    this.name = options.name ?? (target ? `decide:${target.name}` : "decide:stop");
  }
}

/** Where a transition leads: a state or machine, a `Decide`, or null (stop, only meaningful inside a decide list). */
export type Target = StateNode | Decide;

/** A transition list: decides are tried in order, and a trailing node (if any) is the fallback. */
export type TargetList = readonly Target[];

/** The kinds of node a machine is built from (see the builder functions for each). */
export type NodeKind = "pass" | "collect" | "drop" | "decode" | "count" | "machine";

/** Options shared by every state builder. */
export interface StateOptions {
  /** Whether the machine may end in this state; defaults to false. */
  terminal?: boolean;
  /**
   * Dotted context appended to the enclosing machine's context for this state's data; defaults to "".
   * A machine's context may end in `[]` (e.g. `"items[]"`): each repetition (and each entry) of the
   * machine then stores its data in a new element of the list `items` (see `MachineOptions`).
   */
  context?: string;
}

/** A context naming a list (`name[]` as its last part), allowed on machines only. */
const LIST_CONTEXT = /^(?:[^.[\]]+\.)*[^.[\]]+\[\]$/;

function checkContext(name: string, context: string, isMachine: boolean): void {
  if (!context.includes("[") && !context.includes("]")) return;
  if (isMachine && LIST_CONTEXT.test(context)) return;
  throw new InvalidArgumentError(
    isMachine
      ? `${name}: context "${context}" may use [] only at its end, after a name (e.g. "items[]")`
      : `${name}: context "${context}" names a list; only a machine's context may end in []`,
  );
}

/** One inclusive range of symbols and where it leads. */
export interface RangeTransition {
  readonly lo: number;
  readonly hi: number;
  readonly targets: TargetList;
}

/** One predicate recognizer and where it leads. */
export interface PredicateTransition {
  readonly test: (symbol: number) => boolean;
  readonly targets: TargetList;
}

function symbolOf(spec: SymbolSpec): number {
  if (typeof spec === "number") {
    if (!Number.isInteger(spec) || spec < 0 || spec > 0x10ffff) {
      throw new InvalidArgumentError(`symbol ${spec} must be an integer 0..0x10FFFF`);
    }
    return spec;
  }
  const cp = spec.codePointAt(0);
  if (cp === undefined || String.fromCodePoint(cp).length !== spec.length) {
    throw new InvalidArgumentError(`symbol ${JSON.stringify(spec)} must be exactly one character`);
  }
  return cp;
}

function checkTargets(targets: TargetList, where: string): TargetList {
  if (targets.length === 0) throw new InvalidArgumentError(`${where}: a transition needs a target`);
  for (let i = 0; i < targets.length; i++) {
    const t = targets[i];
    if (!(t instanceof Decide) && i !== targets.length - 1) {
      throw new InvalidArgumentError(`${where}: only the last target of a transition may be a plain state`);
    }
  }
  return [...targets];
}

/**
 * A node of a machine graph: a state or a sub-machine, with its outgoing transitions. Lookup order at
 * run time is cpppo's: exact symbol (and ranges) → predicates in the order added → any → epsilon.
 */
export abstract class StateNode {
  readonly name: string;
  abstract readonly kind: NodeKind;
  /** Whether the enclosing machine may end here. */
  terminal: boolean;
  /** Dotted context for this node's data, relative to the enclosing machine. */
  readonly context: string;
  /** Exact symbols and ranges, as added. */
  readonly ranges: RangeTransition[] = [];
  /** Predicate recognizers, as added. */
  readonly predicates: PredicateTransition[] = [];
  /** The any-symbol transition, if set. */
  anyTargets: TargetList | undefined;
  /** The no-input (epsilon) transition, if set. */
  epsilonTargets: TargetList | undefined;

  constructor(name: string, options: StateOptions = {}) {
    this.name = name;
    this.terminal = options.terminal ?? false;
    this.context = options.context ?? "";
    checkContext(name, this.context, this instanceof Machine);
  }

  /** Whether this node's context ends in `[]`: each machine iteration appends an element to a list. */
  get isList(): boolean {
    return this.context.endsWith("[]");
  }

  /** Adds a transition on one symbol or each of several; a symbol may be mapped only once. */
  on(symbols: SymbolSpec | readonly SymbolSpec[], ...targets: Target[]): this {
    const list = Array.isArray(symbols) ? symbols : [symbols as SymbolSpec];
    for (const s of list) {
      const cp = symbolOf(s);
      this.addRange(cp, cp, targets);
    }
    return this;
  }

  /** Adds a transition on every symbol from `lo` to `hi` inclusive; ranges may not overlap. */
  onRange(lo: SymbolSpec, hi: SymbolSpec, ...targets: Target[]): this {
    const a = symbolOf(lo);
    const b = symbolOf(hi);
    if (b < a) throw new InvalidArgumentError(`${this.name}: range ${a}..${b} is empty`);
    this.addRange(a, b, targets);
    return this;
  }

  /** Adds a predicate recognizer, tried after exact symbols and before `any` (evaluated once per byte at compile time in bytes mode). */
  when(test: (symbol: number) => boolean, ...targets: Target[]): this {
    this.predicates.push({ test, targets: checkTargets(targets, this.name) });
    return this;
  }

  /** Sets the transition taken on any symbol no exact symbol or predicate took. */
  any(...targets: Target[]): this {
    this.anyTargets = checkTargets(targets, this.name);
    return this;
  }

  /** Sets the no-input transition, taken when no symbol transition applies or the input has ended. */
  epsilon(...targets: Target[]): this {
    this.epsilonTargets = checkTargets(targets, this.name);
    return this;
  }

  private addRange(lo: number, hi: number, targets: Target[]): void {
    for (const r of this.ranges) {
      if (lo <= r.hi && r.lo <= hi) {
        throw new InvalidArgumentError(`${this.name}: symbol ${Math.max(lo, r.lo)} already has a transition`);
      }
    }
    this.ranges.push({ lo, hi, targets: checkTargets(targets, this.name) });
  }
}

/** A state that consumes nothing: routing, or the non-consuming start of a machine (cpppo `state`). */
export class PassState extends StateNode {
  readonly kind = "pass" as const;
}

/** A state that consumes the symbol it was entered on and appends it to `<context>.input` (cpppo `state_input`). */
export class CollectState extends StateNode {
  readonly kind = "collect" as const;
}

/** A state that consumes the symbol it was entered on and discards it (cpppo `state_drop`). */
export class DropState extends StateNode {
  readonly kind = "drop" as const;
}

/** A no-input state that decodes the collected `<context>.input` into a value at `<context>` (cpppo `state_struct`). */
export class DecodeState extends StateNode {
  readonly kind = "decode" as const;
  readonly decoder: InputDecoder;
  constructor(name: string, decoder: InputDecoder, options?: StateOptions) {
    super(name, options);
    this.decoder = decoder;
  }
}

/** Options of a counted run. */
export interface CountOptions extends StateOptions {
  /** Turns the run into the stored value; defaults to a zero-copy `Uint8Array` view (bytes) or a string (text). */
  decode?: RunDecoder;
}

/** A state that takes N symbols at once as one slice and stores the decoded run at `<context>`. */
export class CountState extends StateNode {
  readonly kind = "count" as const;
  /** A constant N, or a dotted path (relative to the enclosing machine) of a parsed count. */
  readonly count: number | string;
  readonly decoder: RunDecoder | undefined;
  constructor(name: string, count: number | string, options: CountOptions = {}) {
    super(name, options);
    if (typeof count === "number" && (!Number.isInteger(count) || count < 0)) {
      throw new InvalidArgumentError(`${name}: "count" must be a non-negative integer or a data path`);
    }
    this.count = count;
    this.decoder = options.decode;
  }
}

/**
 * Options of a composite machine. A `context` ending in `[]` (e.g. `"items[]"`) makes the machine
 * collect a list, as cpppo's `.item[]`: each repetition (and each entry, if the machine is entered
 * again) starts a new element, so `result()` gives `{ items: [{ ... }, { ... }] }` and
 * `get("items[1].length")` reads one element. Inside the machine, relative paths (`decide`'s `path`,
 * `repeat`, `limit`, `count`) read the current element: `"length"` is the slot `"items[].length"`.
 * An element whose data sits at the context itself (a state with an empty context) is that value, so
 * lists of scalars need no wrapper object.
 */
export interface MachineOptions extends StateOptions {
  /** Runs the sub-machine this many times, or as many as the datum at this path says; defaults to 1. */
  repeat?: number | string;
  /** Bounds the symbols the sub-machine may consume (constant or datum path); past it only epsilon moves apply. Defaults to none. */
  limit?: number | string;
  /** Keep transitioning while possible (true, the default) or stop at the first terminal sub-state (false). */
  greedy?: boolean;
}

/**
 * A machine: a graph of nodes from `initial`, usable at top level or as a state of a larger machine
 * (cpppo `dfa`). As a state it is terminal only if `terminal` is set, its sub-state is terminal and
 * every repeat is done.
 */
export class Machine extends StateNode {
  readonly kind = "machine" as const;
  readonly initial: StateNode;
  readonly repeat: number | string;
  readonly limit: number | string | undefined;
  readonly greedy: boolean;
  /** Set by `regex()` builders: the alphabet the machine's symbols were encoded for. */
  readonly alphabet: "bytes" | "text" | undefined;
  constructor(name: string, initial: StateNode, options: MachineOptions = {}, alphabet?: "bytes" | "text") {
    super(name, options);
    for (const [field, v] of [
      ["repeat", options.repeat],
      ["limit", options.limit],
    ] as const) {
      if (typeof v === "number" && (!Number.isInteger(v) || v < 0)) {
        throw new InvalidArgumentError(`${name}: "${field}" must be a non-negative integer or a data path`);
      }
    }
    this.initial = initial;
    this.repeat = options.repeat ?? 1;
    this.limit = options.limit;
    this.greedy = options.greedy ?? true;
    this.alphabet = alphabet;
  }
}

/** A no-input state that consumes nothing (cpppo `state`); terminal defaults to false. */
export function state(name: string, options?: StateOptions): PassState {
  return new PassState(name, options);
}

/** A state that consumes its entering symbol into `<context>.input` (cpppo `state_input`). */
export function collect(name: string, options?: StateOptions): CollectState {
  return new CollectState(name, options);
}

/** A state that consumes and discards its entering symbol (cpppo `state_drop`). */
export function drop(name: string, options?: StateOptions): DropState {
  return new DropState(name, options);
}

/** A no-input state storing `decoder(<context>.input)` at `<context>` (cpppo `state_struct`). */
export function decode(name: string, decoder: InputDecoder, options?: StateOptions): DecodeState {
  return new DecodeState(name, decoder, options);
}

/** A counted run: takes `count` symbols (constant or data path) as one slice, stored at `<context>`. */
export function count(name: string, n: number | string, options?: CountOptions): CountState {
  return new CountState(name, n, options);
}

/** A composite machine starting at `initial`; greedy, repeat 1 and no limit by default. */
export function machine(name: string, initial: StateNode, options?: MachineOptions): Machine {
  return new Machine(name, initial, options);
}

/** A conditional transition on parsed data: to `target` (null: stop) when `test(value at path, data)` holds. */
export function decide(
  target: StateNode | null,
  test: DecideTest,
  options?: { path?: string; name?: string },
): Decide {
  return new Decide(target, test, options);
}

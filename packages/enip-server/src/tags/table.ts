/**
 * The controller's tags: names (case-insensitive, program-scoped, aliases), numeric addresses, Message Router
 * attribute numbers for tags without one, and the Symbol object instance ids tag browsing lists.
 */
import { MESSAGE_ROUTER_CLASS } from "@cpppo/cip-codec";
import { InvalidArgumentError, InvalidTagError } from "../core/errors.js";
import {
  checkTagName,
  formatTagDefinition,
  MAX_TAG_ELEMENTS,
  parseTagDefinition,
  type TagAddress,
  type TagDefinition,
} from "./grammar.js";
import { Tag } from "./tag.js";
import { BUILTIN_TYPE_NAMES, type TypeRegistry } from "./types.js";

/** One entry of the Symbol object: a name (relative to its program) with its instance id, or a program itself. */
export interface SymbolEntry {
  /** Symbol object instance id; ascending in creation order. */
  readonly instance: number;
  /** The name as browsing lists it: "SCADA", "Count" under its program, or "Program:Main" for a program. */
  readonly name: string;
  /** Lower-case program name ("program:main") the entry belongs to, or undefined for controller scope. */
  readonly scope?: string;
  /** The tag, or undefined when the entry is a program. */
  readonly tag?: Tag;
}

const PROGRAM = /^(program:[^.]+)\.(.+)$/i;
const MR_INSTANCE = 1;
const MAX_ATTRIBUTE_ID = 0xffff;

/** One number for a class and instance (class ≤ 0xFFFF, instance ≤ 0xFFFFFFFF: 48 bits, a safe integer). */
function instanceKey(cls: number, instance: number): number {
  return cls * 0x1_0000_0000 + instance;
}

/** The tags of one controller; `get` is case-insensitive, as Logix tag names are. */
export class TagTable {
  /** The types tags may name (built-ins and registered UDTs). */
  readonly types: TypeRegistry;
  readonly #exact = new Map<string, Tag>();
  readonly #folded = new Map<string, Tag>();
  readonly #names: string[] = [];
  readonly #byAddress = new Map<number, Map<number, Tag>>();
  readonly #scopes = new Map<string | undefined, SymbolEntry[]>([[undefined, []]]);
  readonly #byInstance = new Map<number, SymbolEntry>();
  readonly #programs = new Map<string, SymbolEntry>();
  #nextMrAttribute = 1;
  #nextInstance = 1;

  /** Called with each new tag that owns a numeric address (not aliases), e.g. to add it to the object model. */
  readonly onCreate: ((tag: Tag) => void) | undefined;
  /** Asked before a tag takes an explicit address; returns why the address is not free, or undefined. */
  readonly checkAddress: ((address: TagAddress) => string | undefined) | undefined;

  /** An empty table resolving type names through `types`; `hooks` connect it to an object model. */
  constructor(
    types: TypeRegistry,
    hooks: {
      onCreate?: (tag: Tag) => void;
      checkAddress?: (address: TagAddress) => string | undefined;
    } = {},
  ) {
    this.types = types;
    this.onCreate = hooks.onCreate;
    this.checkAddress = hooks.checkAddress;
  }

  /** The tag named `name` (any letter case; aliases included), or undefined. */
  get(name: string): Tag | undefined {
    return this.#exact.get(name) ?? this.#folded.get(name.toLowerCase());
  }

  /** True when `name` names a tag. */
  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** Every tag name (aliases included), in creation order. */
  names(): string[] {
    return this.#names.slice();
  }

  /** Number of names (aliases included). */
  get size(): number {
    return this.#names.length;
  }

  /** The tag at numeric address `@cls/instance/attribute`, or undefined. */
  byAddress(cls: number, instance: number, attribute: number): Tag | undefined {
    return this.#byAddress.get(instanceKey(cls, instance))?.get(attribute);
  }

  /** The tags at instance `@cls/instance`, by attribute id, or undefined when it has none. */
  attributesAt(cls: number, instance: number): ReadonlyMap<number, Tag> | undefined {
    return this.#byAddress.get(instanceKey(cls, instance));
  }

  #setAddress(a: TagAddress, tag: Tag): void {
    const key = instanceKey(a.class, a.instance);
    let attributes = this.#byAddress.get(key);
    if (!attributes) {
      attributes = new Map();
      this.#byAddress.set(key, attributes);
    }
    attributes.set(a.attribute, tag);
  }

  /** Every numeric address in use, with its tag (Message Router attributes included). */
  addresses(): { address: TagAddress; tag: Tag }[] {
    const out: { address: TagAddress; tag: Tag }[] = [];
    for (const [key, attributes] of this.#byAddress) {
      const c = Math.floor(key / 0x1_0000_0000);
      const i = key % 0x1_0000_0000;
      for (const [a, tag] of attributes) out.push({ address: { class: c, instance: i, attribute: a }, tag });
    }
    return out;
  }

  /** The Symbol object entry with instance id `instance`, or undefined. */
  symbol(instance: number): SymbolEntry | undefined {
    return this.#byInstance.get(instance);
  }

  /** Symbol entries of one scope (undefined = controller scope, else a lower-case "program:name"), by ascending instance id. */
  symbols(scope?: string): readonly SymbolEntry[] {
    return this.#scopes.get(scope) ?? [];
  }

  /** Number of Symbol object instances (programs, tags and aliases in every scope). */
  get symbolCount(): number {
    return this.#byInstance.size;
  }

  /** Highest Symbol object instance id in use (0 when there is none). */
  get lastInstance(): number {
    return this.#nextInstance - 1;
  }

  #pushSymbol(entry: SymbolEntry): void {
    let list = this.#scopes.get(entry.scope);
    if (!list) {
      list = [];
      this.#scopes.set(entry.scope, list);
    }
    list.push(entry);
    this.#byInstance.set(entry.instance, entry);
  }

  /** The program entry named `name` (e.g. "Program:Main", any case), or undefined. */
  program(name: string): SymbolEntry | undefined {
    return this.#programs.get(name.toLowerCase());
  }

  /**
   * Creates a tag from grammar text or a definition and returns it. A second name at an existing `@address` is an
   * alias (same type and size required); an address with an element is a view of part of an existing attribute.
   * Throws InvalidTagError naming the definition and the fix.
   */
  define(definition: string | TagDefinition): Tag {
    const def = typeof definition === "string" ? parseTagDefinition(definition) : definition;
    const text = typeof definition === "string" ? definition : safeFormat(def);
    if (typeof def !== "object" || def === null || typeof def.name !== "string")
      throw new InvalidTagError(`a tag definition needs a "name"`);
    checkTagName(def.name, text);
    const typeName = def.type ?? "INT";
    const type = this.types.get(typeName);
    if (!type)
      throw new InvalidTagError(
        `tag definition "${text}": unknown type "${typeName}"; use one of ${BUILTIN_TYPE_NAMES.join(", ")} or a UDT defined in "udts"`,
      );
    const elements = def.elements ?? 1;
    if (!Number.isInteger(elements) || elements < 1 || elements > MAX_TAG_ELEMENTS)
      throw new InvalidTagError(
        `tag definition "${text}": size ${elements} must be an integer in 1..${MAX_TAG_ELEMENTS}`,
      );
    const isArray = def.array ?? elements > 1;
    if (this.get(def.name))
      throw new InvalidTagError(
        `tag definition "${text}": a tag named "${def.name}" already exists; choose another name`,
      );
    const address = def.address;
    let tag: Tag;
    if (address && address.element === undefined) {
      const existing = this.byAddress(address.class, address.instance, address.attribute);
      if (existing) {
        if (existing.type !== type || existing.elements !== elements || existing.isArray !== isArray)
          throw new InvalidTagError(
            `tag definition "${text}": @${formatAddress(address)} already holds "${existing.name}" (${describeShape(existing)}); an alias must have the same type and size`,
          );
        this.#addName(def.name, existing, text);
        return existing;
      }
      const taken = this.checkAddress?.(address);
      if (taken !== undefined)
        throw new InvalidTagError(
          `tag definition "${text}": @${formatAddress(address)} ${taken}; choose another address`,
        );
      tag = this.#create(def.name, type, elements, isArray, address, undefined, true);
      this.#setAddress(address, tag);
      this.onCreate?.(tag);
    } else if (address) {
      const base = this.byAddress(address.class, address.instance, address.attribute);
      const first = address.element as number;
      if (!base)
        throw new InvalidTagError(
          `tag definition "${text}": nothing is defined at @${formatAddress({ ...address, element: undefined })} to alias element ${first} of; define that attribute first`,
        );
      if (base.type !== type || first + elements > base.elements)
        throw new InvalidTagError(
          `tag definition "${text}": elements ${first}..${first + elements - 1} of "${base.name}" (${describeShape(base)}) must exist and have type ${base.type.name}`,
        );
      const storage = base.bytes.subarray(first * type.size, (first + elements) * type.size);
      tag = this.#create(def.name, type, elements, isArray, address, storage, true);
    } else {
      while (this.byAddress(MESSAGE_ROUTER_CLASS, MR_INSTANCE, this.#nextMrAttribute))
        this.#nextMrAttribute++;
      if (this.#nextMrAttribute > MAX_ATTRIBUTE_ID) {
        // Attribute ids are 16 bits: tags past the 65 535th are reachable by name and symbol instance only.
        tag = this.#create(def.name, type, elements, isArray, undefined);
      } else {
        const mr: TagAddress = {
          class: MESSAGE_ROUTER_CLASS,
          instance: MR_INSTANCE,
          attribute: this.#nextMrAttribute++,
        };
        tag = this.#create(def.name, type, elements, isArray, mr);
        this.#setAddress(mr, tag);
        this.onCreate?.(tag);
      }
    }
    this.#addName(def.name, tag, text);
    if (def.values !== undefined) {
      try {
        tag.setValues(0, def.values);
      } catch (err) {
        throw new InvalidTagError(`tag definition "${text}": initial values: ${(err as Error).message}`, {
          cause: err,
        });
      }
    }
    return tag;
  }

  #create(
    name: string,
    type: Tag["type"],
    elements: number,
    isArray: boolean,
    address: TagAddress | undefined,
    storage?: Uint8Array,
    addressGiven = false,
  ): Tag {
    // The program's own entry comes first, so the tag's instance id is the one its symbol entry gets next.
    this.#ensureProgram(name);
    return new Tag(name, type, elements, {
      isArray,
      instance: this.#nextInstance,
      ...(address ? { address, addressGiven } : {}),
      ...(storage ? { storage } : {}),
    });
  }

  #addName(name: string, tag: Tag, text: string): void {
    const folded = name.toLowerCase();
    if (this.#folded.has(folded))
      throw new InvalidTagError(
        `tag definition "${text}": a tag named "${name}" already exists; choose another name`,
      );
    const program = this.#ensureProgram(name);
    const scope = program?.scope;
    const listed = program ? program.listed : name;
    this.#pushSymbol({ instance: this.#nextInstance++, name: listed, tag, ...(scope ? { scope } : {}) });
    this.#exact.set(name, tag);
    this.#folded.set(folded, tag);
    this.#names.push(name);
  }

  /** Registers the program of a program-scoped `name` (once); returns its scope key and the name inside it. */
  #ensureProgram(name: string): { scope: string; listed: string } | undefined {
    const program = PROGRAM.exec(name);
    if (!program) return undefined;
    const programName = `Program:${(program[1] as string).slice("program:".length)}`;
    const scope = programName.toLowerCase();
    if (!this.#programs.has(scope)) {
      const entry: SymbolEntry = { instance: this.#nextInstance++, name: programName };
      this.#programs.set(scope, entry);
      this.#pushSymbol(entry);
    }
    return { scope, listed: program[2] as string };
  }

  /** Iterates the distinct tags (an alias does not repeat its tag), in creation order. */
  *[Symbol.iterator](): IterableIterator<Tag> {
    const seen = new Set<Tag>();
    for (const name of this.#names) {
      const tag = this.#exact.get(name) as Tag;
      if (seen.has(tag)) continue;
      seen.add(tag);
      yield tag;
    }
  }

  /** Throws InvalidArgumentError unless `name` names a tag; returns it. */
  require(name: string): Tag {
    const tag = this.get(name);
    if (!tag) throw new InvalidArgumentError(`no tag named "${name}"; define it first (e.g. "${name}=INT")`);
    return tag;
  }
}

function formatAddress(
  a: TagAddress | (Omit<TagAddress, "element"> & { element?: number | undefined }),
): string {
  return `0x${a.class.toString(16)}/${a.instance}/${a.attribute}${a.element !== undefined ? `/${a.element}` : ""}`;
}

function describeShape(tag: Tag): string {
  return tag.isArray ? `${tag.type.name}[${tag.elements}]` : tag.type.name;
}

function safeFormat(def: TagDefinition): string {
  try {
    return formatTagDefinition(def);
  } catch {
    return String(def?.name);
  }
}

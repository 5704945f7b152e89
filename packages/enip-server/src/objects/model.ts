/**
 * The CIP object model (CIP Vol 1 §4): classes holding instances holding attributes, each attribute a value with
 * its bytes computed on demand (so live values such as `Controller.identity` are always current). Instance 0 of
 * every class answers the class attributes 1 revision, 2 max instance, 3 number of instances, 4 optional attributes.
 */
import { type AnyCipType, encodeValues, GeneralStatus, Reader, UINT } from "@cpppo/cip-codec";
import type { Tag } from "../tags/tag.js";

/** General status 0x0E: attribute not settable. */
export const NOT_SETTABLE = GeneralStatus.codes.attributeNotSettable;
/** General status 0x09: invalid attribute value. */
export const INVALID_VALUE = GeneralStatus.codes.invalidAttributeValue;

/** One attribute: its current bytes, and how to set it when it is settable. */
export interface CipAttribute {
  readonly id: number;
  /** The value's bytes now. */
  get(): Uint8Array;
  /** Stores new bytes; returns 0 or a CIP general status. Absent: the attribute is not settable (0x0E). */
  set?(data: Uint8Array): number;
  /** Bytes every value takes, when fixed (sizes Set Attribute List values, which carry no length). */
  readonly size?: number;
  /** The tag behind the attribute when it is a tag's numeric address (reads and writes go through tag I/O). */
  readonly tag?: Tag;
  /** Leave the attribute out of Get Attributes All. */
  readonly hidden?: boolean;
}

/** An attribute holding one value of `type`, read from `read` and, when `write` is given, settable. */
export function valueAttribute<T>(
  id: number,
  type: AnyCipType,
  read: () => T,
  write?: (value: T) => void,
): CipAttribute {
  const attribute: CipAttribute = {
    id,
    get: () => encodeValues(type, [read()]),
    ...(type.size > 0 ? { size: type.size } : {}),
  };
  if (!write) return attribute;
  return {
    ...attribute,
    set(data: Uint8Array): number {
      const r = new Reader(data);
      let value: T;
      try {
        value = type.decode(r) as T;
      } catch {
        return GeneralStatus.codes.notEnoughData;
      }
      if (r.remaining > 0) return GeneralStatus.codes.tooMuchData;
      try {
        write(value);
      } catch {
        return INVALID_VALUE;
      }
      return 0;
    },
  };
}

/** An attribute with constant bytes (counters and identifiers a simulator reports but never changes). */
export function constantAttribute(id: number, bytes: Uint8Array, hidden = false): CipAttribute {
  return { id, get: () => bytes, size: bytes.length, ...(hidden ? { hidden } : {}) };
}

/** Attributes an instance computes on demand instead of holding (e.g. the tags bound to it), looked up by id. */
export interface AttributeSource {
  get(id: number): CipAttribute | undefined;
  ids(): Iterable<number>;
}

/** One object instance: its attributes by id, and optionally its own Get Attributes All layout. */
export class CipInstance {
  readonly classId: number;
  readonly id: number;
  /** Attributes held by the instance; `dynamic` adds computed ones. */
  readonly attributes = new Map<number, CipAttribute>();
  /** Custom Get Attributes All data; by default the visible attributes are concatenated in ascending id order. */
  getAll?: () => Uint8Array;
  /** Attributes computed on demand (consulted after `attributes`); default none. */
  dynamic?: AttributeSource;

  /** An empty instance `id` of class `classId`. */
  constructor(classId: number, id: number, attributes: CipAttribute[] = []) {
    this.classId = classId;
    this.id = id;
    for (const a of attributes) this.attributes.set(a.id, a);
  }

  /** Adds or replaces attribute `a`. */
  add(a: CipAttribute): this {
    this.attributes.set(a.id, a);
    return this;
  }

  /** Attribute `id`, held or computed, or undefined. */
  attribute(id: number): CipAttribute | undefined {
    return this.attributes.get(id) ?? this.dynamic?.get(id);
  }

  /** Ids of every attribute, held and computed, ascending. */
  attributeIds(): number[] {
    const ids = new Set(this.attributes.keys());
    if (this.dynamic) for (const id of this.dynamic.ids()) ids.add(id);
    return [...ids].sort((a, b) => a - b);
  }

  /** Get Attributes All data: `getAll`, or the visible attributes in ascending id order. */
  all(): Uint8Array {
    if (this.getAll) return this.getAll();
    const parts: Uint8Array[] = [];
    let size = 0;
    for (const id of this.attributeIds()) {
      const a = this.attribute(id) as CipAttribute;
      if (a.hidden) continue;
      const bytes = a.get();
      parts.push(bytes);
      size += bytes.length;
    }
    const out = new Uint8Array(size);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

/** One object class: its revision and instances (instance 0 is the class itself and is computed). */
export class CipClass {
  readonly id: number;
  /** Name for messages and diagnostics, e.g. "Identity". */
  readonly name: string;
  /** Class attribute 1. */
  revision: number;
  readonly instances = new Map<number, CipInstance>();
  /** Object-specific services this class answers besides the common attribute services. */
  readonly services: ReadonlySet<number>;
  readonly #classInstance: CipInstance;

  /** A class with no instances yet. */
  constructor(id: number, name: string, revision = 1, services: number[] = []) {
    this.id = id;
    this.name = name;
    this.revision = revision;
    this.services = new Set(services);
    this.#classInstance = new CipInstance(id, 0, [
      { id: 1, get: () => encodeValues(UINT, [this.revision]), size: 2 },
      { id: 2, get: () => encodeValues(UINT, [this.maxInstance()]), size: 2 },
      { id: 3, get: () => encodeValues(UINT, [Math.min(this.instanceCount(), 0xffff)]), size: 2 },
      { id: 4, get: () => encodeValues(UINT, [0]), size: 2 },
    ]);
  }

  /** Highest instance id (class attribute 2), capped at 0xFFFF. */
  maxInstance(): number {
    let max = 0;
    for (const id of this.instances.keys()) if (id > max) max = id;
    return Math.min(max, 0xffff);
  }

  /** Number of instances (class attribute 3). */
  instanceCount(): number {
    return this.instances.size;
  }

  /** Instance `id` (0 = the class attributes), or undefined. */
  instance(id: number): CipInstance | undefined {
    return id === 0 ? this.#classInstance : this.instances.get(id);
  }

  /** Adds instance `i` (replacing one with the same id) and returns it. */
  add(i: CipInstance): CipInstance {
    this.instances.set(i.id, i);
    return i;
  }
}

/** All classes of one device. */
export class ObjectModel {
  readonly classes = new Map<number, CipClass>();

  /** Class `id`, or undefined. */
  get(id: number): CipClass | undefined {
    return this.classes.get(id);
  }

  /** Class `id`, created with `name` when missing. */
  ensure(id: number, name: string, revision = 1, services: number[] = []): CipClass {
    let c = this.classes.get(id);
    if (!c) {
      c = new CipClass(id, name, revision, services);
      this.classes.set(id, c);
    }
    return c;
  }

  /** Instance `instance` of class `cls`, or undefined. */
  instance(cls: number, instance: number): CipInstance | undefined {
    return this.classes.get(cls)?.instance(instance);
  }
}

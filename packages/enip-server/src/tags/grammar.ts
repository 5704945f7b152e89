/**
 * The tag definition grammar of cpppo's simulator (cpppo reference §3.1):
 * `NAME[@CLASS/INSTANCE/ATTRIBUTE[/ELEMENT]][=TYPE[[SIZE]]]`, also `@CLASS/INSTANCE/ATTRIBUTE[ELEMENT]`.
 * TYPE defaults to INT and SIZE to 1 (a scalar); numbers are decimal, 0x, 0o or 0b; names may hold `.` and a
 * `Program:Name.` prefix. Parsing checks syntax only: whether TYPE names a known UDT is settled when the tag is defined.
 */
import { InvalidTagError } from "../core/errors.js";

/** A numeric address `@class/instance/attribute[/element]` a tag is reachable at, besides its name. */
export interface TagAddress {
  class: number;
  instance: number;
  attribute: number;
  /** First element of the attribute the tag starts at (an alias of part of an existing attribute). */
  element?: number;
}

/** One tag to create: what the grammar says, or what a program builds directly. */
export interface TagDefinition {
  /** Tag name, e.g. "SCADA", "Motor.Speed" or "Program:Main.Count"; looked up case-insensitively. */
  name: string;
  /** Type name (case-insensitive): BOOL SINT INT DINT LINT USINT UINT UDINT ULINT REAL LREAL WORD DWORD LWORD STRING SSTRING SHORT_STRING, or a UDT name; defaults to "INT". */
  type?: string;
  /** Element count; defaults to 1. */
  elements?: number;
  /** True when the definition gave `[SIZE]` (the tag is an array even of one element); defaults to `elements > 1`. */
  array?: boolean;
  /** Numeric address; without one the tag gets the next Message Router (@2/1) attribute. */
  address?: TagAddress;
  /** Initial values from element 0 (in the tag's value form: numbers, bigints, booleans, strings, objects); default zeros. */
  values?: unknown[];
}

/** Most elements one tag may hold (cpppo has no limit; this bounds memory from one bad definition to about 64 MB of INTs). */
export const MAX_TAG_ELEMENTS = 1 << 25;

const NAME_PART = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PROGRAM_PREFIX = /^program:/i;
const TYPE_SPEC = /^([A-Za-z_][A-Za-z0-9_]*)\s*(?:\[\s*([^\]]*?)\s*\])?$/;
const ELEMENT_SUFFIX = /^(.*)\[\s*([^\]]+)\s*\]$/;

/** Reads a non-negative integer written in decimal, 0x hex, 0o octal or 0b binary; undefined if it is not one. */
export function parseNumber(text: string): number | undefined {
  const t = text.trim();
  if (!/^(?:0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|[0-9]+)$/.test(t)) return undefined;
  const n = t.length > 1 && /[xXoObB]/.test(t[1] as string) ? Number(t) : Number.parseInt(t, 10);
  return Number.isSafeInteger(n) ? n : undefined;
}

function fail(text: string, why: string): InvalidTagError {
  return new InvalidTagError(`tag definition "${text}": ${why}`);
}

/** Throws InvalidTagError unless `name` is a valid tag name (parts of letters, digits and _ joined by `.`, after an optional `Program:Name.`). */
export function checkTagName(name: string, text = name): void {
  let rest = name;
  if (PROGRAM_PREFIX.test(rest)) {
    rest = rest.slice("program:".length);
    const dot = rest.indexOf(".");
    const program = dot < 0 ? rest : rest.slice(0, dot);
    if (!NAME_PART.test(program))
      throw fail(text, `program name "${program}" must be letters, digits and _, e.g. Program:Main.Count`);
    if (dot < 0) throw fail(text, `a program-scoped name needs a tag after the program, e.g. ${name}.Count`);
    rest = rest.slice(dot + 1);
  }
  if (rest === "") throw fail(text, "the tag name is empty; start with a name, e.g. SCADA=INT[1000]");
  for (const part of rest.split(".")) {
    if (!NAME_PART.test(part))
      throw fail(
        text,
        `"${part}" is not a valid name part: use letters, digits and _ (not starting with a digit), joined by "."`,
      );
  }
}

function parseCount(text: string, what: string, raw: string, min: number, max: number): number {
  const n = parseNumber(raw);
  if (n === undefined || n < min || n > max)
    throw fail(text, `${what} "${raw}" must be a number in ${min}..${max} (decimal, 0x, 0o or 0b)`);
  return n;
}

function parseAddress(text: string, raw: string): TagAddress {
  let body = raw;
  let element: number | undefined;
  const bracket = ELEMENT_SUFFIX.exec(body);
  if (bracket) {
    body = bracket[1] as string;
    element = parseCount(text, "element", bracket[2] as string, 0, 0xffffffff);
  }
  const parts = body.split("/");
  if (parts.length < 3 || parts.length > 4 || (parts.length === 4 && element !== undefined))
    throw fail(text, `address "@${raw}" must be @CLASS/INSTANCE/ATTRIBUTE[/ELEMENT], e.g. @0x93/3/10`);
  const address: TagAddress = {
    class: parseCount(text, "class", parts[0] as string, 1, 0xffff),
    instance: parseCount(text, "instance", parts[1] as string, 1, 0xffffffff),
    attribute: parseCount(text, "attribute", parts[2] as string, 1, 0xffff),
  };
  if (parts.length === 4) element = parseCount(text, "element", parts[3] as string, 0, 0xffffffff);
  if (element !== undefined) address.element = element;
  return address;
}

/**
 * Parses one tag definition such as `SCADA=INT[1000]`, `Motor_Velocity@0x93/3/10=REAL` or `Program:Main.Count=DINT`;
 * throws InvalidTagError with a one-line message naming the definition and the fix.
 */
export function parseTagDefinition(text: string): TagDefinition {
  if (typeof text !== "string")
    throw new InvalidTagError(`a tag definition must be text, got ${typeof text}`);
  const trimmed = text.trim();
  if (trimmed === "") throw fail(text, "it is empty; write NAME[@CLASS/INSTANCE/ATTRIBUTE][=TYPE[SIZE]]");
  const equals = trimmed.indexOf("=");
  const head = (equals < 0 ? trimmed : trimmed.slice(0, equals)).trim();
  const typeText = equals < 0 ? undefined : trimmed.slice(equals + 1).trim();
  const at = head.indexOf("@");
  const name = (at < 0 ? head : head.slice(0, at)).trim();
  checkTagName(name, text);
  const def: TagDefinition = { name, type: "INT", elements: 1 };
  if (at >= 0) def.address = parseAddress(text, head.slice(at + 1).trim());
  if (typeText !== undefined) {
    const m = TYPE_SPEC.exec(typeText);
    if (!m)
      throw fail(text, `type "${typeText}" must be TYPE or TYPE[SIZE], e.g. INT, REAL[10] or STRING[4]`);
    def.type = (m[1] as string).toUpperCase();
    if (m[2] !== undefined) {
      def.elements = parseCount(text, "size", m[2], 1, MAX_TAG_ELEMENTS);
      def.array = true;
    }
  }
  return def;
}

/** `definition` as grammar text (the inverse of `parseTagDefinition`, values left out). */
export function formatTagDefinition(definition: TagDefinition): string {
  let out = definition.name;
  const a = definition.address;
  if (a)
    out += `@0x${a.class.toString(16)}/${a.instance}/${a.attribute}${a.element !== undefined ? `/${a.element}` : ""}`;
  const elements = definition.elements ?? 1;
  const array = definition.array ?? elements > 1;
  return `${out}=${(definition.type ?? "INT").toUpperCase()}${array ? `[${elements}]` : ""}`;
}

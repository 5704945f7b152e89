import { isIPv4, isIPv6 } from "node:net";
import type { EPath, Segment } from "@cpppo/cip-codec";
import { InvalidArgumentError } from "./errors.js";

/** The route path a client uses when none is given: backplane port 1, slot 0 (cpppo `route_path_default`). */
export const DEFAULT_ROUTE_PATH: EPath = [{ port: 1, link: 0 }];

/** The send path a client uses when none is given: the Connection Manager, class 6 instance 1 (cpppo `send_path_default`). */
export const DEFAULT_SEND_PATH: EPath = [{ class: 6 }, { instance: 1 }];

/** The connection path a Forward Open uses when none is given: backplane slot 0, then the Message Router @2/1. */
export const DEFAULT_CONNECTION_PATH: EPath = [{ port: 1, link: 0 }, { class: 2 }, { instance: 1 }];

/** The largest numeric port a port segment carries (ports 15 and up use the extended 16-bit form). */
const MAX_PORT = 0xffff;
/** A numeric link address travels in one byte; larger links must be written as an address text. */
const MAX_NUMERIC_LINK = 0xff;
/** Positional roles of the terms of `@class/instance/attribute/element`. */
const LOGICAL_ROLES = ["class", "instance", "attribute", "element"] as const;
/** The upper bound of each logical role (class and attribute have no 32-bit form on the wire). */
const LOGICAL_MAX: Record<string, number> = {
  class: 0xffff,
  instance: 0xffffffff,
  attribute: 0xffff,
  element: 0xffffffff,
  connection: 0xffffffff,
};
/** The text forms that mean "no route path"; cpppo 5.2.5 crashes on them, we accept them. */
const NO_ROUTE_TEXT = new Set(["false", "0", "null", "[]", ""]);
const ROUTE_EXAMPLES = `e.g. 1/0, 1/0/2/192.168.1.2, [{"port":1,"link":0}], or false for none`;

/** Integer text as cpppo reads it: decimal (leading zeros are not octal), 0x hex, 0o octal or 0b binary. */
const INTEGER_TEXT = /^(?:\d+|0x[0-9a-f]+|0o[0-7]+|0b[01]+)$/i;

/** The value of unsigned integer text (decimal, 0x, 0o, 0b), or undefined when `text` is not one. */
export function parseUnsigned(text: string): number | undefined {
  const t = text.trim();
  if (!INTEGER_TEXT.test(t)) return undefined;
  // Number("0017") is 17 and Number("0x1F") is 31: the prefixes Number understands are exactly ours.
  const n = /^\d+$/.test(t) ? Number.parseInt(t, 10) : Number(t);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Splits `text` on `separator` except inside JSON braces/brackets or double-quoted strings. */
export function splitTopLevel(text: string, separator: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === "\\") i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === "{" || c === "[") depth++;
    else if (c === "}" || c === "]") depth--;
    else if (c === separator && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/** A link address as the wire wants it: a number 0..255, or an IPv4/IPv6 address in canonical text. */
function parseLink(link: unknown, fail: (why: string) => never): number | string {
  if (typeof link === "number") {
    if (Number.isInteger(link) && link >= 0 && link <= MAX_NUMERIC_LINK) return link;
    fail(`link ${link} is not 0..${MAX_NUMERIC_LINK}`);
  }
  if (typeof link !== "string") fail(`link must be a number or an IP address, got ${JSON.stringify(link)}`);
  const text = link.trim();
  const n = parseUnsigned(text);
  if (n !== undefined) return parseLink(n, fail);
  if (isIPv4(text)) return text;
  if (isIPv6(text)) return new URL(`http://[${text}]/`).hostname.slice(1, -1);
  return fail(`link "${text}" is neither 0..${MAX_NUMERIC_LINK} nor an IPv4/IPv6 address`);
}

function parsePort(port: unknown, fail: (why: string) => never): number {
  const n = typeof port === "string" ? parseUnsigned(port) : port;
  if (typeof n === "number" && Number.isInteger(n) && n >= 1 && n <= MAX_PORT) return n;
  return fail(`port ${JSON.stringify(port)} is not 1..${MAX_PORT}`);
}

/** `port/link[/port/link…]` text into port segments. */
function parsePortPairs(text: string, fail: (why: string) => never): EPath {
  const terms = text.split("/").map((t) => t.trim());
  if (terms.length % 2 !== 0) fail(`"${text}" has an odd number of terms; write port/link pairs`);
  const path: EPath = [];
  for (let i = 0; i < terms.length; i += 2)
    path.push({ port: parsePort(terms[i], fail), link: parseLink(terms[i + 1], fail) });
  return path;
}

/** A `{"port":p,"link":l}` object (as parsed JSON) into a port segment. */
function portSegment(value: unknown, fail: (why: string) => never): Segment {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    fail(`${JSON.stringify(value)} is not a {"port":…,"link":…} object`);
  const keys = Object.keys(value).sort().join(",");
  if (keys !== "link,port") fail(`${JSON.stringify(value)} must have exactly the keys "port" and "link"`);
  const { port, link } = value as { port: unknown; link: unknown };
  return { port: parsePort(port, fail), link: parseLink(link, fail) };
}

/**
 * A route path (the port segments an Unconnected Send travels) from CLI text, config JSON or an already-parsed value:
 * `1/0`, `1/0/2/192.168.1.2`, `2/0::1`, a JSON list of `{"port","link"}` objects and/or `"port/link"` strings, or one
 * such object. `false`, `0`, `null`, `[]` and the empty string (as values or text) all mean "no route path" and give
 * `false`. Throws InvalidArgumentError naming the value and the accepted forms.
 */
export function parseRoutePath(value: string | unknown): EPath | false {
  const fail = (why: string): never => {
    throw new InvalidArgumentError(`route path ${JSON.stringify(value)}: ${why}; ${ROUTE_EXAMPLES}`);
  };
  return routeOf(value, fail);
}

/** `parseRoutePath` of text or of the JSON it held, reporting through the caller's `fail`. */
function routeOf(value: unknown, fail: (why: string) => never): EPath | false {
  if (value === false || value === 0 || value === null) return false;
  if (typeof value === "string") {
    const text = value.trim();
    if (NO_ROUTE_TEXT.has(text.toLowerCase())) return false;
    if (text.toLowerCase() === "true") fail("true names no route; give the port/link pairs");
    if (text.startsWith("[") || text.startsWith("{")) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (err) {
        return fail(`not valid JSON (${(err as Error).message})`);
      }
      return routeOf(parsed, fail);
    }
    if (text.includes("@"))
      fail(`a route path holds only port/link pairs; "@…" belongs in a send or connection path`);
    return parsePortPairs(text, fail);
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return false;
    const path: EPath = [];
    for (const item of value) {
      if (typeof item === "string") path.push(...parsePortPairs(item.trim(), fail));
      else path.push(portSegment(item, fail));
    }
    return path;
  }
  if (typeof value === "object") return [portSegment(value, fail)];
  return fail(`expected text, a list or a {"port","link"} object`);
}

/** One segment from a parsed JSON object such as `{"connection":100}` or `{"port":1,"link":0}`; `fail` throws. */
export function parseJsonSegment(value: unknown, fail: (why: string) => never): Segment {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return fail(`${JSON.stringify(value)} is not a one-key segment object such as {"class":2}`);
  const keys = Object.keys(value);
  if (keys.includes("port")) return portSegment(value, fail);
  const [role] = keys;
  if (keys.length !== 1 || role === undefined)
    return fail(
      `${JSON.stringify(value)} must have exactly one key (class, instance, attribute, element, connection or symbolic)`,
    );
  const id = (value as Record<string, unknown>)[role];
  if (role === "symbolic") {
    if (typeof id === "string" && id.length > 0) return { symbolic: id };
    return fail(`"symbolic" must be a non-empty tag name, got ${JSON.stringify(id)}`);
  }
  const max = LOGICAL_MAX[role];
  if (max === undefined)
    return fail(
      `unknown segment "${role}"; use class, instance, attribute, element, connection, symbolic or port/link`,
    );
  if (typeof id !== "number" || !Number.isInteger(id) || id < 0 || id > max)
    return fail(`"${role}" must be an integer 0..${max}, got ${JSON.stringify(id)}`);
  return { [role]: id } as Segment;
}

/**
 * Segments of `@class/instance/attribute/element` text (1–4 terms, the `@` already removed by the caller or not):
 * each term is decimal, 0x/0o/0b, or a JSON object choosing its own role (`@{"class":4}/5/{"connection":100}`).
 * A term's default role is its position. `fail` reports the problem; it never returns.
 */
export function parseLogicalPath(text: string, fail: (why: string) => never): EPath {
  const body = text.trim().replace(/^@/, "");
  const terms = splitTopLevel(body, "/").map((t) => t.trim());
  if (terms.length > LOGICAL_ROLES.length)
    fail(`"@${body}" has ${terms.length} terms; write at most @class/instance/attribute/element`);
  const path: EPath = [];
  terms.forEach((term, position) => {
    if (term.startsWith("{")) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(term);
      } catch (err) {
        fail(`term ${term} is not valid JSON (${(err as Error).message})`);
      }
      path.push(parseJsonSegment(parsed, fail));
      return;
    }
    const role = LOGICAL_ROLES[position] as (typeof LOGICAL_ROLES)[number];
    const id = parseUnsigned(term);
    if (id === undefined)
      fail(`term "${term}" of "@${body}" is not a number (decimal, 0x…, 0o…, 0b…) or a JSON segment`);
    const max = LOGICAL_MAX[role] as number;
    if ((id as number) > max) fail(`${role} ${term} is more than ${max}`);
    path.push({ [role]: id } as Segment);
  });
  return path;
}

/**
 * A send path (where an Unconnected Send goes, normally the Connection Manager): `@6/1` (any `@class/instance` form,
 * JSON terms allowed) or a JSON list of segment objects; the empty string gives `""`, meaning "no send path" (with
 * no route path either, requests go to the device unwrapped: cpppo's "simple" mode). Throws InvalidArgumentError.
 */
export function parseSendPath(value: string): EPath | "" {
  const fail = (why: string): never => {
    throw new InvalidArgumentError(`send path ${JSON.stringify(value)}: ${why}; e.g. @6/1, or '' for none`);
  };
  if (typeof value !== "string") return fail("expected text");
  const text = value.trim();
  if (text === "" || text === "''" || text === '""') return "";
  if (text.startsWith("[")) return jsonPath(text, fail);
  if (!text.startsWith("@")) fail(`a send path is an object path starting with "@"`);
  return parseLogicalPath(text, fail);
}

/** A JSON list of segment objects (and, where allowed, path texts) into a path. */
function jsonPath(text: string, fail: (why: string) => never, parseText?: (t: string) => EPath): EPath {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return fail(`not valid JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(parsed)) return fail("expected a JSON list of segments");
  const path: EPath = [];
  for (const item of parsed) {
    if (typeof item === "string" && parseText) path.push(...parseText(item));
    else path.push(parseJsonSegment(item, fail));
  }
  return path;
}

/**
 * A connection path (the Forward Open target): an optional route of `port/link` pairs followed by the target
 * object, e.g. `1/0/@2/1` or `1/0/2/0::1/@2/1`; or a JSON list of segment objects and such texts. The object part
 * is required. Throws InvalidArgumentError.
 */
export function parseConnectionPath(value: string): EPath {
  const fail = (why: string): never => {
    throw new InvalidArgumentError(`connection path ${JSON.stringify(value)}: ${why}; e.g. 1/0/@2/1`);
  };
  if (typeof value !== "string") return fail("expected text");
  const parseText = (raw: string): EPath => {
    const text = raw.trim();
    const at = text.indexOf("@");
    const route = at < 0 ? text : text.slice(0, at).replace(/\/\s*$/, "");
    const path = route === "" ? [] : parsePortPairs(route, fail);
    if (at >= 0) path.push(...parseLogicalPath(text.slice(at), fail));
    return path;
  };
  const text = value.trim();
  const path = text.startsWith("[") ? jsonPath(text, fail, parseText) : parseText(text);
  if (!path.some((s) => !("port" in s)))
    fail(`it names no target object; end it with the object, e.g. /@2/1`);
  return path;
}

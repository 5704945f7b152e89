/**
 * cpppo's path notations for routing (cpppo `device.parse_route_path` / `parse_connection_path`, reference §2.11):
 * route paths (`1/0`, `1/0/2/192.168.1.2`, JSON `{"port","link"}` objects and `"p/l"` strings), send paths
 * (`@6/1`), connection paths (`1/0/@2/1`) and the JSON segment objects they may hold (`{"class":2}`). One grammar
 * for the server's config and CLI and for the client: each throws RoutePathError, and callers map it to their own
 * class. Links are kept as written (the client canonicalises IPv6 text itself; the server compares what it read).
 */
import { RoutePathError } from "../core/errors.js";
import type { EPath, Segment } from "./epath.js";

/** The largest port a port segment carries (ports 15 and up travel in the extended 16-bit form). */
const MAX_PORT = 0xffff;
/** A numeric link address travels in one byte; a larger address must be written as IP text. */
const MAX_NUMERIC_LINK = 0xff;
/** Positional roles of the terms of `@class/instance/attribute/element`. */
const LOGICAL_ROLES = ["class", "instance", "attribute", "element"] as const;
/** The upper bound of each logical role (class and attribute have no 32-bit form on the wire). */
const LOGICAL_MAX: Readonly<Record<string, number>> = {
  class: 0xffff,
  instance: 0xffffffff,
  attribute: 0xffff,
  element: 0xffffffff,
  connection: 0xffffffff,
};
/** The text forms that mean "no route path" (cpppo 5.2.5 crashes on them; its Python values False/0/None/[] work). */
const NO_ROUTE_TEXT = new Set(["false", "0", "null", "[]", ""]);
/** The text forms that mean "no send path". */
const NO_SEND_TEXT = new Set(["", "''", '""']);

const ROUTE_EXAMPLE = `1/0, 1/0/2/192.168.1.2, [{"port":1,"link":0}], or false for none`;
const SEND_EXAMPLE = "@6/1, or '' for none";
const CONNECTION_EXAMPLE = "1/0/@2/1";
const LOGICAL_EXAMPLE = `@1/1/7 or @{"class":2}/{"connection":100}`;
const SEGMENT_EXAMPLE = `{"class":2} or {"port":1,"link":0}`;

/** Integer text as cpppo reads it: decimal (leading zeros are not octal), 0x hex, 0o octal or 0b binary. */
const UNSIGNED_TEXT = /^(?:\d+|0x[0-9a-f]+|0o[0-7]+|0b[01]+)$/i;
/** An IPv4 octet with or without leading zeros (the server's config has always accepted "010.0.0.1"). */
const OCTET_TEXT = /^\d{1,3}$/;
/** An IPv4 octet as `inet_pton` writes it, the only form allowed inside IPv6 text. */
const STRICT_OCTET_TEXT = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const HEXTET_TEXT = /^[0-9a-f]{1,4}$/i;

/** Reports one problem with the text being parsed; it never returns. */
type Fail = (reason: string) => never;

function quote(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

function failFor(kind: string, value: unknown, example: string): Fail {
  return (reason) => {
    throw new RoutePathError(kind, value, reason, example);
  };
}

function typeName(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  return Array.isArray(value) ? "a list" : `a ${typeof value}`;
}

/** The value of unsigned integer text (decimal, 0x, 0o, 0b; blanks around it ignored), or undefined when `text` is not one. */
export function parseUnsignedText(text: string): number | undefined {
  const t = text.trim();
  if (!UNSIGNED_TEXT.test(t)) return undefined;
  // Number("0017") is 17 and Number("0x1F") is 31: the prefixes Number understands are exactly ours.
  const n = /^\d+$/.test(t) ? Number.parseInt(t, 10) : Number(t.toLowerCase());
  return Number.isSafeInteger(n) ? n : undefined;
}

/** A port or link term: unsigned integer text with an optional sign (cpppo's `int(x, 0)`), range-checked by the caller. */
function parseSignedText(text: string): number | undefined {
  const t = text.trim();
  const sign = t[0] === "-" || t[0] === "+" ? t[0] : "";
  const n = parseUnsignedText(t.slice(sign.length));
  if (n === undefined) return undefined;
  return sign === "-" && n !== 0 ? -n : n;
}

function isIPv4Text(text: string, octet: RegExp): boolean {
  const parts = text.split(".");
  return parts.length === 4 && parts.every((p) => octet.test(p) && Number(p) <= 255);
}

/** RFC 4291 §2.2 text: eight hextets, one `::` standing for one or more zero hextets, an IPv4 tail; no zone id. */
function isIPv6Text(text: string): boolean {
  let body = text;
  let tailHextets = 0;
  const lastColon = body.lastIndexOf(":");
  if (lastColon < 0) return false;
  if (body.slice(lastColon + 1).includes(".")) {
    if (!isIPv4Text(body.slice(lastColon + 1), STRICT_OCTET_TEXT)) return false;
    body = `${body.slice(0, lastColon + 1)}0`;
    tailHextets = 1;
  }
  const halves = body.split("::");
  if (halves.length > 2) return false;
  const hextets = halves.map((h) => (h === "" ? [] : h.split(":")));
  if (!hextets.every((half) => half.every((h) => HEXTET_TEXT.test(h)))) return false;
  const count = hextets.reduce((n, half) => n + half.length, 0) + tailHextets;
  return halves.length === 2 ? count <= 7 : count === 8;
}

/** A link address as the wire wants it: a number 0..255, or IPv4/IPv6 text kept as written (trimmed). */
function parseLink(link: unknown, fail: Fail): number | string {
  if (typeof link === "number") {
    if (Number.isInteger(link) && link >= 0 && link <= MAX_NUMERIC_LINK) return link;
    fail(`has a link out of range: link ${link} is not 0..${MAX_NUMERIC_LINK}`);
  }
  if (typeof link !== "string")
    return fail(`has link ${quote(link)}, neither 0..${MAX_NUMERIC_LINK} nor an IPv4/IPv6 address`);
  const text = link.trim();
  const n = parseSignedText(text);
  if (n !== undefined) return parseLink(n, fail);
  if (isIPv4Text(text, OCTET_TEXT) || isIPv6Text(text)) return text;
  return fail(`has link ${quote(text)}, neither 0..${MAX_NUMERIC_LINK} nor an IPv4/IPv6 address`);
}

function parsePort(port: unknown, fail: Fail): number {
  const n = typeof port === "string" ? parseSignedText(port) : port;
  if (typeof n === "number" && Number.isInteger(n) && n >= 1 && n <= MAX_PORT) return n;
  return fail(`has port ${quote(port)}, not 1..${MAX_PORT}`);
}

/** `port/link[/port/link…]` text into port segments; `piece` when the text is only part of the value parsed. */
function parsePortPairs(text: string, piece: boolean, fail: Fail): EPath {
  const terms = text.split("/").map((t) => t.trim());
  if (terms.length % 2 !== 0)
    fail(`has an odd number of terms${piece ? ` in ${quote(text)}` : ""}; write port/link pairs`);
  const path: EPath = [];
  for (let i = 0; i < terms.length; i += 2)
    path.push({ port: parsePort(terms[i], fail), link: parseLink(terms[i + 1], fail) });
  return path;
}

/** A `{"port":p,"link":l}` object (as parsed JSON) into a port segment. */
function portSegment(value: unknown, fail: Fail): Segment {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    fail(`has ${quote(value)}, which is not a {"port":…,"link":…} object`);
  const keys = Object.keys(value as object)
    .sort()
    .join(",");
  if (keys !== "link,port") fail(`has ${quote(value)}, which must have exactly the keys "port" and "link"`);
  const { port, link } = value as { port: unknown; link: unknown };
  return { port: parsePort(port, fail), link: parseLink(link, fail) };
}

function parseJson(text: string, fail: Fail, what = "is"): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    return fail(`${what} not valid JSON (${(err as Error).message})`);
  }
}

/**
 * A route path (the port segments an Unconnected Send travels) from CLI or config text, or from an already-parsed
 * JSON value: `1/0`, `1/0/2/192.168.1.2`, `2/0::1`, a JSON list of `{"port","link"}` objects and/or `"port/link"`
 * strings, or one such object. Ports are 1..65535 and links 0..255 or IPv4/IPv6 text, in decimal, 0x, 0o or 0b.
 * Returns false for "no route path": the values `false`, `0`, `null`, `[]` and the texts "false", "0", "null", "[]"
 * and "" (any case, blanks ignored); never an empty list. Throws RoutePathError naming the value and the fix.
 */
export function parseRoutePath(value: unknown): EPath | false {
  return routeOf(value, false, failFor("route path", value, ROUTE_EXAMPLE));
}

function routeOf(value: unknown, nested: boolean, fail: Fail): EPath | false {
  if (value === false || value === 0 || value === null) return false;
  if (typeof value === "string") {
    const text = value.trim();
    const lower = text.toLowerCase();
    if (NO_ROUTE_TEXT.has(lower)) return false;
    if (lower === "true") fail("is true, but true names no route; give the port/link pairs");
    if (text.startsWith("[") || text.startsWith("{")) return routeOf(parseJson(text, fail), true, fail);
    if (text.includes("@"))
      fail(
        `holds an object path, but a route path holds only port/link pairs; "@…" belongs in a send or connection path`,
      );
    return parsePortPairs(text, nested, fail);
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return false;
    const path: EPath = [];
    for (const item of value) {
      if (typeof item === "string") path.push(...parsePortPairs(item.trim(), true, fail));
      else path.push(portSegment(item, fail));
    }
    return path;
  }
  if (typeof value === "object") return [portSegment(value, fail)];
  return fail(`is ${typeName(value)}; expected text, a list or a {"port","link"} object`);
}

/**
 * One segment from a parsed JSON object: `{"class":2}`, `{"instance":1}`, `{"attribute":3}`, `{"element":4}`,
 * `{"connection":100}`, `{"symbolic":"Tag"}` or `{"port":1,"link":0}`. Throws RoutePathError naming the fix.
 */
export function parseSegmentJson(value: unknown): Segment {
  return segmentOf(value, failFor("segment", value, SEGMENT_EXAMPLE));
}

function segmentOf(value: unknown, fail: Fail): Segment {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return fail(`has ${quote(value)}, which is not a one-key segment object such as {"class":2}`);
  const keys = Object.keys(value);
  if (keys.includes("port")) return portSegment(value, fail);
  const [role] = keys;
  if (keys.length !== 1 || role === undefined)
    return fail(
      `has ${quote(value)}, which must have exactly one key (class, instance, attribute, element, connection or symbolic)`,
    );
  const id = (value as Record<string, unknown>)[role];
  if (role === "symbolic") {
    if (typeof id === "string" && id.length > 0) return { symbolic: id };
    return fail(`has ${quote(value)}, whose "symbolic" must be a non-empty tag name`);
  }
  const max = LOGICAL_MAX[role];
  if (max === undefined)
    return fail(
      `has ${quote(value)}, an unknown segment "${role}"; use class, instance, attribute, element, connection, symbolic or port/link`,
    );
  if (typeof id !== "number" || !Number.isInteger(id) || id < 0 || id > max)
    return fail(`has ${quote(value)}, whose "${role}" must be an integer 0..${max}`);
  return { [role]: id } as Segment;
}

/** Splits `text` on `separator` except inside JSON braces/brackets or double-quoted strings. */
function splitTopLevel(text: string, separator: string): string[] {
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

/**
 * Segments of `@class/instance/attribute/element` text (1–4 terms, the leading `@` optional): each term is
 * unsigned decimal, 0x, 0o or 0b, or a JSON object choosing its own role (`@{"class":4}/5/{"connection":100}`);
 * a plain term's role is its position. Throws RoutePathError naming the term and the fix.
 */
export function parseLogicalPath(text: string): EPath {
  return logicalOf(text, failFor("object path", text, LOGICAL_EXAMPLE));
}

function logicalOf(text: string, fail: Fail): EPath {
  const body = text.trim().replace(/^@/, "");
  const terms = splitTopLevel(body, "/").map((t) => t.trim());
  if (terms.length > LOGICAL_ROLES.length)
    fail(`has ${terms.length} terms in "@${body}"; write at most @class/instance/attribute/element`);
  const path: EPath = [];
  for (const [position, term] of terms.entries()) {
    if (term.startsWith("{")) {
      path.push(segmentOf(parseJson(term, fail, `has term ${term}, which is`), fail));
      continue;
    }
    const role = LOGICAL_ROLES[position] as (typeof LOGICAL_ROLES)[number];
    const id = parseUnsignedText(term);
    if (id === undefined)
      return fail(
        `has term ${quote(term)}, which is not a number (decimal, 0x…, 0o…, 0b…) or a JSON segment`,
      );
    const max = LOGICAL_MAX[role] as number;
    if (id > max) fail(`has ${role} ${term}, which is more than ${max}`);
    path.push({ [role]: id } as Segment);
  }
  return path;
}

/** A JSON list of segment objects (and, where `parseText` is given, path texts) into a path. */
function jsonList(text: string, fail: Fail, parseText?: (t: string) => EPath): EPath {
  const parsed = parseJson(text, fail);
  if (!Array.isArray(parsed)) return fail("is not a JSON list of segments");
  const path: EPath = [];
  for (const item of parsed) {
    if (typeof item === "string" && parseText) path.push(...parseText(item));
    else path.push(segmentOf(item, fail));
  }
  return path;
}

/**
 * A send path (where an Unconnected Send goes, normally the Connection Manager `@6/1`): `@class/instance…` text
 * (JSON terms allowed) or a JSON list of segment objects. Returns "" for "no send path": the texts "", "''" and
 * '""' (blanks ignored). Throws RoutePathError naming the value and the fix.
 */
export function parseSendPath(value: unknown): EPath | "" {
  const fail = failFor("send path", value, SEND_EXAMPLE);
  if (typeof value !== "string") return fail(`is ${typeName(value)}; expected text`);
  const text = value.trim();
  if (NO_SEND_TEXT.has(text)) return "";
  if (text.startsWith("[")) return jsonList(text, fail);
  if (!text.startsWith("@")) fail(`does not start with "@"; a send path is an object path starting with "@"`);
  return logicalOf(text, fail);
}

/**
 * A connection path (the target of a Forward Open): optional `port/link` pairs, then the target object, e.g.
 * `1/0/@2/1`, `1/0/2/0::1/@2/1` or `@2/1`; or a JSON list of segment objects and such texts. The object part is
 * required. Throws RoutePathError naming the value and the fix.
 */
export function parseConnectionPath(value: unknown): EPath {
  const fail = failFor("connection path", value, CONNECTION_EXAMPLE);
  if (typeof value !== "string") return fail(`is ${typeName(value)}; expected text`);
  const parseText = (raw: string): EPath => {
    const text = raw.trim();
    const at = text.indexOf("@");
    const route = at < 0 ? text : text.slice(0, at).replace(/\/\s*$/, "");
    const path = route === "" ? [] : parsePortPairs(route, route !== value.trim(), fail);
    if (at >= 0) path.push(...logicalOf(text.slice(at), fail));
    return path;
  };
  const text = value.trim();
  const path = text.startsWith("[") ? jsonList(text, fail, parseText) : parseText(text);
  if (!path.some((s) => !("port" in s))) fail("names no target object; end it with the object, e.g. /@2/1");
  return path;
}

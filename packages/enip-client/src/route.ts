/**
 * The client's face of cpppo's route, send and connection path notations: the one grammar lives in @cpppo/cip-codec
 * (`route-path.ts`); here its RoutePathError becomes InvalidArgumentError and IPv6 links are canonicalised.
 */
import {
  type EPath,
  MESSAGE_ROUTER_PATH,
  parseConnectionPath as parseConnectionPathText,
  parseLogicalPath as parseLogicalPathText,
  parseRoutePath as parseRoutePathText,
  parseSegmentJson,
  parseSendPath as parseSendPathText,
  parseUnsignedText,
  RoutePathError,
  type Segment,
} from "@cpppo/cip-codec";
import { InvalidArgumentError } from "./core/errors.js";

/** The route path a client uses when none is given: backplane port 1, slot 0 (cpppo `route_path_default`). */
export const DEFAULT_ROUTE_PATH: EPath = [{ port: 1, link: 0 }];

/** The send path a client uses when none is given: the Connection Manager, class 6 instance 1 (cpppo `send_path_default`). */
export const DEFAULT_SEND_PATH: EPath = [{ class: 6 }, { instance: 1 }];

/** The connection path a Forward Open uses when none is given: backplane slot 0, then the Message Router @2/1. */
export const DEFAULT_CONNECTION_PATH: EPath = [
  { port: 1, link: 0 },
  ...MESSAGE_ROUTER_PATH.map((s) => ({ ...s })),
];

/** The value of unsigned integer text (decimal, 0x, 0o, 0b), or undefined when `text` is not one. */
export const parseUnsigned: (text: string) => number | undefined = parseUnsignedText;

/** `parse(…)`, with the grammar's RoutePathError handed to `onError` (which throws); other errors pass through. */
function mapped<T>(parse: () => T, onError: (err: RoutePathError) => never): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof RoutePathError) return onError(err);
    throw err;
  }
}

function invalidArgument(err: RoutePathError): never {
  throw new InvalidArgumentError(err.message, { cause: err });
}

/** IPv6 link text in its canonical form (`0::1` → `::1`), as cpppo sends it; other links unchanged. */
function canonicalLinks(path: EPath): EPath {
  return path.map((s) => {
    if (!("port" in s) || typeof s.link !== "string" || !s.link.includes(":")) return s;
    try {
      return { port: s.port, link: new URL(`http://[${s.link}]/`).hostname.slice(1, -1) };
    } catch {
      return s;
    }
  });
}

/**
 * A route path (the port segments an Unconnected Send travels) from CLI text, config JSON or an already-parsed value:
 * `1/0`, `1/0/2/192.168.1.2`, `2/0::1`, a JSON list of `{"port","link"}` objects and/or `"port/link"` strings, or one
 * such object. `false`, `0`, `null`, `[]` and the empty string (as values or text) all mean "no route path" and give
 * `false`. IPv6 links come back canonical. Throws InvalidArgumentError naming the value and the accepted forms.
 */
export function parseRoutePath(value: string | unknown): EPath | false {
  const path = mapped(() => parseRoutePathText(value), invalidArgument);
  return path === false ? false : canonicalLinks(path);
}

/** One segment from a parsed JSON object such as `{"connection":100}` or `{"port":1,"link":0}`; `fail` throws. */
export function parseJsonSegment(value: unknown, fail: (why: string) => never): Segment {
  const [segment] = canonicalLinks([
    mapped(
      () => parseSegmentJson(value),
      (err) => fail(err.message),
    ),
  ]);
  return segment as Segment;
}

/**
 * Segments of `@class/instance/attribute/element` text (1–4 terms, the `@` optional): each term is decimal,
 * 0x/0o/0b, or a JSON object choosing its own role (`@{"class":4}/5/{"connection":100}`). A term's default role is
 * its position. `fail` reports the problem; it never returns.
 */
export function parseLogicalPath(text: string, fail: (why: string) => never): EPath {
  return canonicalLinks(
    mapped(
      () => parseLogicalPathText(text),
      (err) => fail(err.message),
    ),
  );
}

/**
 * A send path (where an Unconnected Send goes, normally the Connection Manager): `@6/1` (any `@class/instance` form,
 * JSON terms allowed) or a JSON list of segment objects; the empty string gives `""`, meaning "no send path" (with
 * no route path either, requests go to the device unwrapped: cpppo's "simple" mode). Throws InvalidArgumentError.
 */
export function parseSendPath(value: string): EPath | "" {
  const path = mapped(() => parseSendPathText(value), invalidArgument);
  return path === "" ? "" : canonicalLinks(path);
}

/**
 * A connection path (the Forward Open target): an optional route of `port/link` pairs followed by the target
 * object, e.g. `1/0/@2/1` or `1/0/2/0::1/@2/1`; or a JSON list of segment objects and such texts. The object part
 * is required; IPv6 links come back canonical. Throws InvalidArgumentError.
 */
export function parseConnectionPath(value: string): EPath {
  return canonicalLinks(mapped(() => parseConnectionPathText(value), invalidArgument));
}

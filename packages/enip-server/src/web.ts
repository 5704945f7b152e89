/**
 * cpppo's simulator web API over node:http: `GET /api/<group>/<match>/<command>/<value>` with fnmatch globs, the
 * `{alarm, command, data, since, until}` JSON reply, content negotiation (JSON, JavaScript, plain text, an HTML view)
 * and an optional bearer token that every request must carry. Binds 127.0.0.1 unless told otherwise. A change of state
 * from another site's page (Sec-Fetch-Site, Origin) and a Host that is not this API's (DNS rebinding) are refused.
 */
import { timingSafeEqual } from "node:crypto";
import { addAbortListener } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { type AddressInfo, isIP } from "node:net";
import { hostname } from "node:os";
import { serveDashboardAsset } from "@cpppo/dashboard";
import { InvalidArgumentError } from "./core/errors.js";
import { createEventHub, EVENTS_PATH } from "./web-events.js";
import { createHistoryEndpoint, HISTORY_PATH, type WebHistorySource } from "./web-history.js";

/** The tag members the web API reads and writes (a `Tag` of the controller has them all). */
export interface WebTag {
  readonly name: string;
  readonly elements: number;
  /** The tag's numeric address; its `path` when `addressGiven` (the definition named it: `Name@class/instance/attribute`). */
  readonly address?: { class: number; instance: number; attribute: number; element?: number };
  readonly addressGiven?: boolean;
  /** Forced CIP status for reads and writes; 0 = none. */
  error: number;
  /** cpppo's `attribute` text, e.g. "SCADA          INT[1000] == [0, 0, …]". */
  describe(): string;
  values(start?: number, count?: number): unknown[];
  setValues(start: number, values: unknown[]): void;
}

/** The controller members the web API uses (a `Controller` has them). */
export interface WebController {
  readonly tags: { names(): string[]; get(name: string): WebTag | undefined };
}

/** One connection as the `connections` group reports it (an `EnipServer`'s `ConnectionInfo`). */
export interface WebConnectionInfo {
  id: string;
  peer: string;
  port: number;
  received: number;
  requests: number;
  processed: number;
  eof: boolean;
  /** Modbus: the unit ids its requests named (the dashboard shows them instead of a session). */
  units?: number[];
}

/** The server members the web API uses (an `EnipServer` has them). */
export interface WebServer {
  readonly controller: WebController;
  readonly tcpAddress?: AddressInfo;
  readonly udpAddress?: AddressInfo;
  /**
   * The reply delay; the API sets its members (a range re-draws `value` every second). As in cpppo, the API shows and
   * sets `range` only when the server had one when the API started; setting `value` stops a range's re-draws.
   */
  readonly delay: { value: number; range: { min: number; max: number } | undefined };
  connections(): WebConnectionInfo[];
  endConnection(id: string): boolean;
  /**
   * Requests served and those that failed, when the server counts them itself (modbus-sim); without it the event
   * stream counts EtherNet/IP requests and error replies from the server's diagnostics channel.
   */
  counters?(): { requests: number; errors: number };
  readonly disabled: boolean;
  setDisabled(disabled: boolean): Promise<void>;
}

/** Options of `startWebApi`. */
export interface WebApiOptions {
  /** The simulator to inspect and control. */
  server: WebServer;
  /** The controller whose tags the `tags` group shows; default `server.controller`. */
  controller?: WebController;
  /** Interface to bind; default "127.0.0.1" (only this machine), "0.0.0.0" exposes it. */
  host?: string;
  /** TCP port; default 80 (cpppo's `-w :`); 0 picks a free one. */
  port?: number;
  /** When set, every API request (reads too) must carry `Authorization: Bearer <token>` or `?token=`; default none. */
  token?: string;
  /** Called once when `server/control/done` is set true: the owner shuts down gracefully. Default none. */
  onDone?: () => void;
  /** Aborting closes the web API. */
  signal?: AbortSignal;
  /** Serve the live dashboard (`@cpppo/dashboard`) at `/` instead of redirecting to `/api`; default false. */
  dashboard?: boolean;
  /** Milliseconds between the event stream's (`/api/events`) tag comparisons; default 50. */
  eventIntervalMs?: number;
  /** The `--historize` records, for the page's time-range plot (`GET /api/history`); default none (404). */
  history?: WebHistorySource;
}

/** A running web API. */
export interface WebApi {
  /** The bound address and port. */
  readonly address: AddressInfo;
  /** `http://host:port` of the API (IPv6 hosts in brackets). */
  readonly url: string;
  /** Stops listening and closes open HTTP connections; idempotent. */
  close(): Promise<void>;
}

/** The reply of every API request, with cpppo's members. */
export interface ApiReply {
  /** Always empty: the simulator raises no alarms (kept for cpppo clients). */
  alarm: unknown[];
  /** {} when no command was given, null when nothing matched, else the outcome of the command. */
  command: { message?: string; success?: boolean } | null;
  /** `{group: {name: {attribute: value}}}` of everything matched. */
  data: Record<string, Record<string, Record<string, unknown>>>;
  /** The `since` query parameter as seconds since the epoch, or null. */
  since: number | null;
  /** Seconds since the epoch when the reply was made. */
  until: number;
}

/** The longest glob the web API and `fnmatchRegExp` accept, in UTF-16 units. */
export const MAX_PATTERN_LENGTH = 256;

/** The regex source of one fnmatch character class body (after "[" or "[!"), or throws if a range is reversed. */
function classSource(body: string, negate: boolean, pattern: string): string {
  for (let j = 0; j < body.length; j++) {
    if (body[j + 1] === "-" && j + 2 < body.length) {
      if ((body[j] as string) > (body[j + 2] as string))
        throw new InvalidArgumentError(
          `bad glob ${JSON.stringify(pattern)}: range ${body[j]}-${body[j + 2]} is reversed`,
        );
      j += 2;
    }
  }
  return `[${negate ? "^" : ""}${body.replace(/[\\\]^]/g, "\\$&")}]`;
}

/**
 * Translates an fnmatch pattern (`*`, `?`, `[seq]`, `[!seq]`) into an anchored, case-sensitive RegExp that runs in
 * O(pattern × text) time: each text between stars is found leftmost inside an atomic lookahead, so the regex never
 * backtracks across stars. Throws `InvalidArgumentError` for a pattern over `MAX_PATTERN_LENGTH` or a reversed range.
 */
export function fnmatchRegExp(pattern: string): RegExp {
  if (pattern.length > MAX_PATTERN_LENGTH)
    throw new InvalidArgumentError(
      `a glob may have at most ${MAX_PATTERN_LENGTH} characters, got ${pattern.length}`,
    );
  // The pattern as runs of single-character regex sources, split at each run of stars.
  const segments: string[] = [""];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === "*") {
      if (segments[segments.length - 1] !== "" || segments.length === 1) segments.push("");
      continue;
    }
    let source: string;
    if (c === "?") source = ".";
    else if (c === "[") {
      // A "]" right after "[" or "[!" is a member of the set, as in fnmatch.
      const first = i + 1 + (pattern[i + 1] === "!" ? 1 : 0);
      const close = pattern.indexOf("]", first + 1);
      if (close < 0) source = "\\[";
      else {
        let body = pattern.slice(i + 1, close);
        const negate = body.startsWith("!");
        if (negate) body = body.slice(1);
        source = classSource(body, negate, pattern);
        i = close;
      }
    } else source = c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    segments[segments.length - 1] += source;
  }
  let out = `^${segments[0]}`;
  if (segments.length > 1) {
    // Middle texts: the leftmost match is always the best, so an atomic (?=(.*?X))\N never needs to be retried.
    for (let k = 1; k < segments.length - 1; k++) out += `(?=(.*?${segments[k]}))\\${k}`;
    out += `.*${segments[segments.length - 1]}`;
  }
  try {
    return new RegExp(`${out}$`, "s");
  } catch (err) {
    throw new InvalidArgumentError(`bad glob ${JSON.stringify(pattern)}: ${(err as Error).message}`);
  }
}

interface ApiRequest {
  group: string;
  match: string;
  groupRe: RegExp;
  matchRe: RegExp;
  command: string | undefined;
  value: string | undefined;
  since: number | null;
  forceJson: boolean;
}

type Attribute = {
  get(): unknown;
  /** Absent when the attribute cannot be set. */
  set?(text: string): Promise<unknown> | unknown;
  /** Left out of a read of the whole object (it exists only to refuse a command with a reason). */
  hidden?: boolean;
};

type ApiObject = Record<string, Attribute>;

/** Reads an integer in decimal, 0x, 0o or 0b, or throws with the fix. */
function integerFrom(text: string, what: string): number {
  const t = text.trim();
  if (/^[+-]?(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|\d+)$/.test(t)) {
    const negative = t.startsWith("-");
    const body = t.replace(/^[+-]/, "");
    const n = /^0[xXoObB]/.test(body) ? Number(body.toLowerCase()) : Number.parseInt(body, 10);
    return negative ? -n : n;
  }
  throw new InvalidArgumentError(`${what} must be an integer, got ${JSON.stringify(text)}`);
}

function numberFrom(text: string, what: string): number {
  const n = Number(text.trim());
  if (text.trim() === "" || !Number.isFinite(n))
    throw new InvalidArgumentError(`${what} must be a number, got ${JSON.stringify(text)}`);
  return n;
}

/** cpppo's bool conversion: true/yes/false/no or an integer (non-zero is true). */
function booleanFrom(text: string, what: string): boolean {
  const t = text.trim().toLowerCase();
  if (t === "true" || t === "yes") return true;
  if (t === "false" || t === "no") return false;
  try {
    return integerFrom(t, what) !== 0;
  } catch {
    throw new InvalidArgumentError(
      `${what} must be true, yes, false, no or an integer, got ${JSON.stringify(text)}`,
    );
  }
}

/** Converts `text` to the JS type of `current` (the element's present value), as cpppo converts to the current type. */
function elementFrom(text: string, current: unknown, what: string): unknown {
  if (typeof current === "boolean") return booleanFrom(text, what);
  if (typeof current === "bigint") {
    try {
      return BigInt(text.trim());
    } catch {
      throw new InvalidArgumentError(`${what} must be an integer, got ${JSON.stringify(text)}`);
    }
  }
  if (typeof current === "number")
    return Number.isInteger(current) && /^[+-]?0[xXoObB]/.test(text.trim())
      ? integerFrom(text, what)
      : numberFrom(text, what);
  if (typeof current === "string") return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new InvalidArgumentError(`${what} must be JSON for this element type, got ${JSON.stringify(text)}`);
  }
}

/** Splits "a, b, c" into element texts, keeping commas inside double quotes. */
function splitValues(text: string): string[] {
  const parts: string[] = [];
  let current = "";
  let quoted = false;
  for (const c of text) {
    if (c === '"') quoted = !quoted;
    if (c === "," && !quoted) {
      parts.push(current.trim());
      current = "";
    } else current += c;
  }
  parts.push(current.trim());
  return parts.map((p) =>
    p.length >= 2 && p.startsWith('"') && p.endsWith('"') ? (JSON.parse(p) as string) : p,
  );
}

/** The longest reply delay, in seconds: Node's timers run at most 2^31 - 1 ms (about 24.8 days). */
export const MAX_DELAY_SECONDS = 2_147_483;

/** cpppo's server `latency` (seconds between its sockets' polls) and `timeout` (2 × latency), reported as cpppo does. */
const CONTROL_LATENCY_S = 0.1;
const CONTROL_TIMEOUT_S = 0.2;

/** cpppo's `path` of a tag: null, or `{segment: [{class}, {instance}, {attribute}(, {element})]}`. */
function tagPath(tag: WebTag): unknown {
  const a = tag.address;
  if (!a || !tag.addressGiven) return null;
  const segment: Record<string, number>[] = [
    { class: a.class },
    { instance: a.instance },
    { attribute: a.attribute },
  ];
  if (a.element !== undefined) segment.push({ element: a.element });
  return { segment };
}

/** The most tag elements one request may read (`attribute[i-j]`), over all the tags it matches. */
export const MAX_REQUEST_ELEMENTS = 10_000;

const ELEMENT_COMMAND = /^attribute\[\s*(\d+)\s*(?:-\s*(\d+)\s*)?\]$/;

function pyRepr(text: string): string {
  return `'${text.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/** The web API's view of the simulator: groups of named objects with attributes. */
class ApiModel {
  done = false;
  /** cpppo's rule: a delay range may be shown and set only when the server was started with one. */
  private readonly rangeAllowed: boolean;
  constructor(
    private readonly server: WebServer,
    private readonly controller: WebController,
    private readonly onDone: (() => void) | undefined,
  ) {
    this.rangeAllowed = server.delay.range !== undefined;
  }

  groups(): Record<string, () => Record<string, ApiObject>> {
    return {
      options: () => ({ delay: this.delayObject() }),
      server: () => ({ control: this.controlObject() }),
      tags: () => this.tagObjects(),
      connections: () => this.connectionObjects(),
    };
  }

  private delayObject(): ApiObject {
    const server = this.server;
    return {
      value: {
        get: () => server.delay.value,
        set: (text) => {
          const value = numberFrom(text, "delay value");
          if (value < 0 || value > MAX_DELAY_SECONDS)
            throw new InvalidArgumentError(
              `delay value must be 0..${MAX_DELAY_SECONDS} seconds (Node's timer limit, about 24.8 days), got ${value}`,
            );
          // A value set by hand holds: a range's re-draws stop (set the range again to resume them).
          server.delay.range = undefined;
          server.delay.value = value;
          return value;
        },
      },
      range: {
        hidden: !this.rangeAllowed,
        get: () => (server.delay.range ? `${server.delay.range.min}-${server.delay.range.max}` : null),
        set: (text) => {
          const t = text.trim().toLowerCase();
          const refuse = () => {
            if (!this.rangeAllowed)
              throw new InvalidArgumentError(
                "the server was started without a delay range; start it with one (-d LO-HI) to change it here",
              );
          };
          if (t === "" || t === "none" || t === "null") {
            refuse();
            server.delay.range = undefined;
            return null;
          }
          const m = /^(\d+(?:\.\d*)?|\.\d+)\s*-\s*(\d+(?:\.\d*)?|\.\d+)$/.exec(t);
          const min = m ? Number(m[1]) : Number.NaN;
          const max = m ? Number(m[2]) : Number.NaN;
          if (!m || min > max)
            throw new InvalidArgumentError(
              `delay range must be "LO-HI" seconds with LO <= HI (or "none"), got ${JSON.stringify(text)}`,
            );
          if (max > MAX_DELAY_SECONDS)
            throw new InvalidArgumentError(
              `delay range must end at ${MAX_DELAY_SECONDS} seconds at most (Node's timer limit, about 24.8 days), got ${max}`,
            );
          refuse();
          server.delay.range = { min, max };
          return `${min}-${max}`;
        },
      },
    };
  }

  private controlObject(): ApiObject {
    const server = this.server;
    const address = (a: AddressInfo | undefined) => (a ? [a.address, a.port] : null);
    return {
      done: {
        get: () => this.done,
        set: (text) => {
          const done = booleanFrom(text, "done");
          if (done && !this.done) {
            this.done = true;
            // Reply first, then let the owner shut down (which closes this web API too).
            setImmediate(() => this.onDone?.());
          } else if (!done && this.done)
            throw new InvalidArgumentError("done cannot be undone once set; the server is stopping");
          return this.done;
        },
      },
      disable: {
        get: () => server.disabled,
        set: async (text) => {
          const disabled = booleanFrom(text, "disable");
          await server.setDisabled(disabled);
          return server.disabled;
        },
      },
      address: { get: () => address(server.tcpAddress) },
      address_udp: { get: () => address(server.udpAddress) },
      latency: { get: () => CONTROL_LATENCY_S },
      timeout: { get: () => CONTROL_TIMEOUT_S },
    };
  }

  private tagObjects(): Record<string, ApiObject> {
    const out: Record<string, ApiObject> = {};
    for (const name of this.controller.tags.names()) {
      const tag = this.controller.tags.get(name);
      if (!tag) continue;
      out[name] = {
        attribute: {
          get: () => tag.describe(),
          set: (text) => {
            this.writeElements(tag, 0, text);
            return tag.describe();
          },
        },
        error: {
          get: () => tag.error,
          set: (text) => {
            const error = integerFrom(text, "error");
            if (error < 0 || error > 0xff)
              throw new InvalidArgumentError(`error must be a CIP general status 0..255, got ${error}`);
            tag.error = error;
            return error;
          },
        },
        path: { get: () => tagPath(tag) },
      };
    }
    return out;
  }

  /** `attribute[i]` or `attribute[i-j]` (inclusive) of a tag, or undefined if `command` is not an element command. */
  elementAttribute(tag: WebTag, command: string, take: (count: number) => void): Attribute | undefined {
    const m = ELEMENT_COMMAND.exec(command);
    if (!m) return undefined;
    const start = Number(m[1]);
    const end = m[2] === undefined ? start : Number(m[2]);
    const single = m[2] === undefined;
    const check = () => {
      if (end < start || end >= tag.elements)
        throw new InvalidArgumentError(
          `${tag.name} has elements 0..${tag.elements - 1}; ${command} is outside them`,
        );
    };
    return {
      get: () => {
        check();
        take(end - start + 1);
        const values = tag.values(start, end - start + 1);
        return single ? values[0] : values;
      },
      set: (text) => {
        check();
        this.writeElements(tag, start, text, single ? undefined : end - start + 1);
        const values = tag.values(start, end - start + 1);
        return single ? values[0] : values;
      },
    };
  }

  /** Writes comma-separated values from element `start`; `expected`, when given, is the exact count required. */
  private writeElements(tag: WebTag, start: number, text: string, expected?: number): void {
    const texts = splitValues(text);
    if (expected !== undefined && texts.length !== expected)
      throw new InvalidArgumentError(`${expected} comma-separated values are needed, got ${texts.length}`);
    if (start + texts.length > tag.elements)
      throw new InvalidArgumentError(
        `${tag.name} has ${tag.elements} elements; ${texts.length} values from ${start} do not fit`,
      );
    const current = tag.values(start, texts.length);
    const values = texts.map((t, i) => elementFrom(t, current[i], `${tag.name}[${start + i}]`));
    tag.setValues(start, values);
  }

  private connectionObjects(): Record<string, ApiObject> {
    const out: Record<string, ApiObject> = {};
    for (const c of this.server.connections()) {
      out[c.id] = {
        eof: {
          get: () => c.eof,
          set: (text) => {
            const eof = booleanFrom(text, "eof");
            if (eof) this.server.endConnection(c.id);
            else if (c.eof) throw new InvalidArgumentError("a connection at EOF cannot be reopened");
            return eof || c.eof;
          },
        },
        interface: { get: () => c.peer },
        port: { get: () => c.port },
        received: { get: () => c.received },
        requests: { get: () => c.requests },
        processed: { get: () => c.processed },
      };
    }
    return out;
  }

  /** Looks up `command` on an object: a plain attribute or, for tags, an element access. */
  attribute(
    group: string,
    name: string,
    object: ApiObject,
    command: string,
    take: (count: number) => void,
  ): Attribute | undefined {
    const plain = Object.hasOwn(object, command) ? object[command] : undefined;
    if (plain || group !== "tags") return plain;
    const tag = this.controller.tags.get(name);
    return tag ? this.elementAttribute(tag, command, take) : undefined;
  }

  /** Runs one request: reads everything matched, or applies the command to each matched object. */
  async run(req: ApiRequest): Promise<ApiReply> {
    const { groupRe, matchRe } = req;
    const data: ApiReply["data"] = {};
    const put = (group: string, name: string, view: Record<string, unknown>) => {
      const objects = data[group] ?? {};
      objects[name] = view;
      data[group] = objects;
    };
    let command: ApiReply["command"] = req.command === undefined ? {} : null;
    const messages: string[] = [];
    let success = true;
    // Element reads draw on one budget per request, so memory and time per reply stay bounded.
    let budget = MAX_REQUEST_ELEMENTS;
    const take = (count: number) => {
      if (count > budget)
        throw new InvalidArgumentError(
          `a request may read at most ${MAX_REQUEST_ELEMENTS} elements (${budget} left), not ${count}: read a smaller range`,
        );
      budget -= count;
    };
    for (const [group, objects] of Object.entries(this.groups())) {
      if (!groupRe.test(group)) continue;
      // A read of every object ("*") shows each group it matches, even one with nothing in it (no connections yet).
      if (req.command === undefined && req.match === "*") data[group] ??= {};
      for (const [name, object] of Object.entries(objects())) {
        if (!matchRe.test(name)) continue;
        if (req.command === undefined) {
          const view: Record<string, unknown> = {};
          for (const [key, attribute] of Object.entries(object))
            if (!attribute.hidden) view[key] = attribute.get();
          put(group, name, view);
          continue;
        }
        const attribute = this.attribute(group, name, object, req.command, take);
        if (!attribute) continue;
        command ??= {};
        const path = `${group}.${name}.${req.command}`;
        if (req.value !== undefined) {
          try {
            if (!attribute.set) throw new InvalidArgumentError(`${req.command} is read-only`);
            const result = await attribute.set(req.value);
            messages.push(`${path}=${pyRepr(req.value)} (${JSON.stringify(result)})`);
          } catch (err) {
            success = false;
            messages.push(`${path}=${pyRepr(req.value)} failed: ${(err as Error).message}`);
          }
        }
        let value: unknown;
        try {
          value = attribute.get();
        } catch (err) {
          success = false;
          messages.push(`${path} failed: ${(err as Error).message}`);
          continue;
        }
        put(group, name, { [req.command]: value });
      }
    }
    if (command && messages.length > 0) command = { message: messages.join("; "), success };
    return { alarm: [], command, data, since: req.since, until: Date.now() / 1000 };
  }
}

/** JSON with sorted keys and 4-space indent, as cpppo's `json.dumps(sort_keys=True, indent=4)`. */
function sortedJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, v: unknown) => {
      if (typeof v === "bigint") return v.toString();
      if (v && typeof v === "object" && !Array.isArray(v))
        return Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        );
      return v;
    },
    4,
  );
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const MEDIA_TYPES = ["application/json", "text/javascript", "text/plain", "text/html"] as const;
type MediaType = (typeof MEDIA_TYPES)[number];

/**
 * Picks the reply type from an Accept header by q-value (exact types before wildcards, then JSON first);
 * undefined when the header accepts none of ours (→ 406). No header means JSON.
 */
export function negotiateMediaType(accept: string | undefined): MediaType | undefined {
  if (!accept || accept.trim() === "") return "application/json";
  const ranges = accept.split(",").map((part, order) => {
    const [type = "", ...params] = part.split(";").map((p) => p.trim().toLowerCase());
    let q = 1;
    for (const p of params) {
      const m = /^q=([0-9.]+)$/.exec(p);
      if (m) q = Math.min(1, Number(m[1]) || 0);
    }
    return { type, q, order };
  });
  let best: { media: MediaType; q: number; specificity: number; rank: number } | undefined;
  MEDIA_TYPES.forEach((media, rank) => {
    const [major] = media.split("/");
    let chosen: { q: number; specificity: number } | undefined;
    for (const r of ranges) {
      const specificity = r.type === media ? 2 : r.type === `${major}/*` ? 1 : r.type === "*/*" ? 0 : -1;
      if (specificity < 0) continue;
      if (!chosen || specificity > chosen.specificity) chosen = { q: r.q, specificity };
    }
    if (!chosen || chosen.q <= 0) return;
    if (
      !best ||
      chosen.q > best.q ||
      (chosen.q === best.q && chosen.specificity > best.specificity) ||
      (chosen.q === best.q && chosen.specificity === best.specificity && rank < best.rank)
    )
      best = { media, q: chosen.q, specificity: chosen.specificity, rank };
  });
  return best?.media;
}

const API_PATH = /^\/api(\.json)?(\/[^/]*)?(\/[^/]*)?(\/[^/]*)?(\/.*)?$/;

/** The HTML view; `linkQuery` (e.g. "?token=…", already URL-encoded) is appended to every link. */
function htmlPage(title: string, queries: Record<string, unknown>, body: string, linkQuery = ""): string {
  const links = ["api", "api/options", "api/server", "api/tags", "api/connections"]
    .map((p) => `<a href="/${p}${escapeHtml(linkQuery)}">${p}</a>`)
    .join(" | ");
  return [
    "<!DOCTYPE html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    `<title>${escapeHtml(title)}</title>`,
    "<style>body{font-family:sans-serif;margin:1em 2em}pre{background:#f4f4f4;padding:.5em;overflow:auto}</style>",
    "</head>",
    "<body>",
    `<nav>${links}</nav>`,
    "<h2>Queries:</h2>",
    `<pre>${escapeHtml(sortedJson(queries))}</pre>`,
    "<h2>Response:</h2>",
    `<pre>${escapeHtml(body)}</pre>`,
    "</body>",
    "</html>",
    "",
  ].join("\n");
}

function tokenMatches(expected: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The token of an `Authorization: Bearer` header, or undefined. */
function bearerOf(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  return (auth && /^Bearer\s+(.+)$/i.exec(auth)?.[1]?.trim()) || undefined;
}

/** Milliseconds `close()` lets replies in flight finish before it drops their connections. */
const CLOSE_GRACE_MS = 1_000;

// No Access-Control-Allow-Origin: other sites' pages must not read the API through a visitor's browser.
const COMMON_HEADERS = { "Cache-Control": "no-cache" };

/** The host name of a Host header or origin ("[::1]" → "::1", lower case, no trailing dot), or undefined if bad. */
function hostName(host: string): string | undefined {
  try {
    const name = new URL(`http://${host}`).hostname.toLowerCase().replace(/\.$/, "");
    return name.startsWith("[") && name.endsWith("]") ? name.slice(1, -1) : name;
  } catch {
    return undefined;
  }
}

/**
 * Whether a Host header names this API: an IP address, localhost, this machine's name or the host it was bound to
 * (with or without ".local"). Any other name may be
 * a DNS-rebinding site's own name resolving to us. A request without Host (HTTP/1.0) passes.
 */
function hostAllowed(host: string | undefined, bound: string): boolean {
  if (host === undefined) return true;
  const name = hostName(host);
  if (name === undefined) return false;
  if (isIP(name) !== 0 || name === "localhost" || name.endsWith(".localhost")) return true;
  const local = name.replace(/\.local$/, "");
  return local === hostName(bound) || local === hostName(hostname());
}

/** Why a browser sent this request from another site (Sec-Fetch-Site, or an Origin not the API's own), or undefined. */
function crossSiteReason(req: IncomingMessage): string | undefined {
  const site = req.headers["sec-fetch-site"];
  if (site === "cross-site" || site === "same-site") return `Sec-Fetch-Site is ${site}`;
  const origin = req.headers.origin;
  if (origin === undefined) return undefined;
  let own: boolean;
  try {
    const url = new URL(origin);
    own = url.protocol === "http:" && url.host === new URL(`http://${req.headers.host ?? ""}`).host;
  } catch {
    own = false;
  }
  return own ? undefined : `Origin ${JSON.stringify(origin)} is not this API's own`;
}

/** Starts the web API on `host:port` (default 127.0.0.1:80); resolves once listening. */
export async function startWebApi(options: WebApiOptions): Promise<WebApi> {
  const { server, token } = options;
  if (token !== undefined && token === "")
    throw new InvalidArgumentError('"token" must not be empty; omit it for no token');
  const host = options.host ?? "127.0.0.1";
  const port = options.port ?? 80;
  if (!Number.isInteger(port) || port < 0 || port > 0xffff)
    throw new InvalidArgumentError(`"port" must be an integer 0..65535, got ${port}`);
  const controller = options.controller ?? server.controller;
  const model = new ApiModel(server, controller, options.onDone);
  /** Why a read of the event stream or the history is refused (another site's page, no token), or undefined. */
  const refusal = (req: IncomingMessage, query: URLSearchParams, sent: string, needs: string) => {
    const crossSite = crossSiteReason(req);
    if (crossSite !== undefined)
      return { status: 403, message: `${sent} not sent to another site's page: ${crossSite}` };
    return token === undefined || tokenMatches(token, bearerOf(req) || (query.get("token") ?? undefined))
      ? undefined
      : { status: 401, message: `${needs} the web token: ?token= or Authorization: Bearer` };
  };
  const events = createEventHub({
    server,
    controller,
    identity: (controller as { identity?: unknown }).identity,
    history: options.history !== undefined,
    ...(options.eventIntervalMs !== undefined && { intervalMs: options.eventIntervalMs }),
    // The stream shows everything the API does: the same-site rule and the token apply to it as to a write.
    authorize: (req, query) => refusal(req, query, "events are", "the event stream needs"),
  });

  const history =
    options.history &&
    createHistoryEndpoint({
      source: options.history,
      // A read of recorded values: the same rules as the event stream.
      authorize: (req, query) => refusal(req, query, "history is", "the history needs"),
    });

  const send = (
    res: ServerResponse,
    status: number,
    type: string,
    body: string,
    extra: Record<string, string> = {},
  ) => {
    res.writeHead(status, { ...COMMON_HEADERS, "Content-Type": `${type}; charset=utf-8`, ...extra });
    res.end(res.req.method === "HEAD" ? undefined : body);
  };
  const redirect = (res: ServerResponse, location: string) => {
    res.writeHead(303, { ...COMMON_HEADERS, Location: location });
    res.end();
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!hostAllowed(req.headers.host, host)) {
      const reason = `Host ${JSON.stringify(req.headers.host)} is not this API's address; use its IP address or localhost`;
      send(res, 421, "text/plain", `${reason}\n`);
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      send(res, 405, "text/plain", "only GET and HEAD are served\n", { Allow: "GET, HEAD" });
      return;
    }
    const url = new URL(req.url ?? "/", "http://localhost");
    const pathname = url.pathname;
    if (pathname === EVENTS_PATH) {
      events.serve(req, res, url.searchParams);
      return;
    }
    if (pathname === HISTORY_PATH) {
      if (history) await history(req, res, url.searchParams);
      else
        send(res, 404, "text/plain", "this server does not record history; start it with --historize PATH\n");
      return;
    }
    const asset = options.dashboard ? serveDashboardAsset(pathname) : undefined;
    if (asset) {
      res.writeHead(asset.status, asset.headers);
      res.end(req.method === "HEAD" ? undefined : asset.body);
      return;
    }
    if (pathname === "/" || pathname === "/index.html" || pathname === "/static/index.html") {
      redirect(res, "/api");
      return;
    }
    if (pathname.length > 1 && pathname.endsWith("/")) {
      redirect(res, `${pathname.replace(/\/+$/, "") || "/"}${url.search}`);
      return;
    }
    const m = API_PATH.exec(pathname);
    if (!m) {
      send(res, 404, "text/plain", `no such page: ${pathname}; the API is at /api\n`);
      return;
    }
    let parts: (string | undefined)[];
    try {
      parts = m.slice(2, 6).map((p) => (p === undefined ? undefined : decodeURIComponent(p.slice(1))));
    } catch {
      send(res, 400, "text/plain", "the path has a bad %-escape\n");
      return;
    }
    // A trailing ".json" on the last segment given forces JSON.
    let forceJson = m[1] !== undefined;
    let last = parts.length - 1;
    while (last >= 0 && parts[last] === undefined) last--;
    if (last >= 0 && (parts[last] as string).endsWith(".json")) {
      parts[last] = (parts[last] as string).slice(0, -".json".length);
      forceJson = true;
    }
    const q = url.searchParams;
    let [group, match, command, value] = parts;
    group = q.get("group") ?? (group || undefined);
    match = q.get("match") ?? (match || undefined);
    command = q.get("command") ?? (command || undefined);
    value = q.get("value") ?? value;
    // "<command>=<value>" is sugar for "<command>/<value>".
    if (command?.includes("=") && value === undefined) {
      const at = command.indexOf("=");
      value = command.slice(at + 1);
      command = command.slice(0, at);
    }
    if (command === undefined) value = undefined;
    const sinceText = q.get("since");
    const since = sinceText === null || sinceText === "" ? null : Number(sinceText);
    if (since !== null && !Number.isFinite(since)) {
      send(
        res,
        400,
        "text/plain",
        `since must be seconds since the epoch, got ${JSON.stringify(sinceText)}\n`,
      );
      return;
    }

    const media = forceJson ? "application/json" : negotiateMediaType(req.headers.accept);
    if (!media) {
      send(
        res,
        406,
        "text/plain",
        `cannot reply as ${req.headers.accept}; accept one of ${MEDIA_TYPES.join(", ")}\n`,
      );
      return;
    }
    let groupRe: RegExp;
    let matchRe: RegExp;
    try {
      groupRe = fnmatchRegExp(group ?? "*");
      matchRe = fnmatchRegExp(match ?? "*");
    } catch (err) {
      send(res, 400, "text/plain", `${(err as Error).message}\n`);
      return;
    }
    const request: ApiRequest = {
      group: group ?? "*",
      match: match ?? "*",
      groupRe,
      matchRe,
      command,
      value,
      since,
      forceJson,
    };

    // cpppo changes state with GET: scripts may, but a browser page of another site must not.
    const crossSite = value === undefined ? undefined : crossSiteReason(req);
    if (crossSite !== undefined) {
      send(res, 403, "text/plain", `a change of state from another site's page is refused: ${crossSite}\n`);
      return;
    }

    if (token !== undefined) {
      if (!tokenMatches(token, bearerOf(req) || (q.get("token") ?? undefined))) {
        const reply: ApiReply = {
          alarm: [],
          command: {
            message: "the web API needs the web token: send Authorization: Bearer <token> or ?token=",
            success: false,
          },
          data: {},
          since,
          until: Date.now() / 1000,
        };
        send(res, 401, media === "text/html" ? "application/json" : media, sortedJson(reply), {
          "WWW-Authenticate": 'Bearer realm="enip-server"',
        });
        return;
      }
    }

    const reply = await model.run(request);
    const body = sortedJson(reply);
    if (media === "text/html") {
      const title = ["api", request.group, request.match, request.command ?? ""]
        .join("/")
        .replace(/\/+$/, "");
      const queries: Record<string, unknown> = {
        ...Object.fromEntries([...q].filter(([k]) => k !== "token")),
      };
      Object.assign(queries, {
        group: request.group,
        match: request.match,
        command: request.command ?? null,
        value: request.value ?? null,
        since,
      });
      // A browser follows links without its Authorization header: links carry the ?token= the page was opened
      // with, and only when that one matched (a wrong one beside a good Bearer header is never echoed).
      const given = q.get("token") ?? undefined;
      const linkQuery =
        token !== undefined && tokenMatches(token, given) ? `?token=${encodeURIComponent(token)}` : "";
      send(res, 200, "text/html", htmlPage(title, queries, body, linkQuery));
    } else send(res, 200, media, `${body}\n`);
  };

  const http: Server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000 }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) res.destroy();
      else send(res, 500, "text/plain", `internal error: ${(err as Error).message}\n`);
    });
  });
  http.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) =>
      reject(
        new InvalidArgumentError(`web API cannot listen on ${host}:${port}: ${err.message}`, { cause: err }),
      );
    http.once("error", onError);
    http.listen(port, host, () => {
      http.off("error", onError);
      resolve();
    });
  });
  const address = http.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    listening?.[Symbol.dispose]();
    events.close();
    closing ??= new Promise<void>((resolve) => {
      // Idle keep-alive connections close now; a reply still being written (e.g. to "done") gets a moment to finish.
      const force = setTimeout(() => http.closeAllConnections(), CLOSE_GRACE_MS);
      force.unref();
      http.close(() => {
        clearTimeout(force);
        resolve();
      });
      http.closeIdleConnections();
    });
    return closing;
  };
  // Removed on close: a long-lived signal that starts many web APIs collects no listeners.
  const listening = options.signal ? addAbortListener(options.signal, () => void close()) : undefined;
  if (options.signal?.aborted) await close();
  const urlHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return { address, url: `http://${urlHost}:${address.port}`, close };
}

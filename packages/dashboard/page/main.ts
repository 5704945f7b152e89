/**
 * The dashboard page: one EventSource on `/api/events` feeds the tag table, the connections and the counters;
 * edits, error injection, the delay and closing a connection go through the JSON API (`/api.json?…`), so the
 * server's validation and replies apply. Every value reaches the page through `textContent`, never as markup.
 */
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import "./style.css";

interface TagInfo {
  name: string;
  type: string;
  elements: number;
  array: boolean;
  error: number;
  values: unknown[];
}
interface Connection {
  id: string;
  peer: string;
  port: number;
  requests: number;
  idle: number;
  eof: boolean;
  session?: number;
  /** Modbus: the unit ids its requests named. */
  units?: number[];
}
interface Status {
  requests: number;
  errors: number;
  requestsPerSecond: number;
  errorsPerSecond: number;
  clients: number;
  delay: { value: number; range: { min: number; max: number } | null };
}
/** `GET /api/history`'s reply: a tag's recorded points, and the server zone's offsets over the range. */
interface HistoryReply {
  tag: string;
  since: number;
  until: number;
  zone: { name: string; segments: { at: number; offset: number; abbreviation: string }[] };
  series: { name: string; times: number[]; values: number[] }[];
  count: number;
  samples: number;
  decimated: boolean;
  partial: boolean;
  message?: string;
}
interface ApiReply {
  command: { message?: string; success?: boolean } | null;
  data: Record<string, Record<string, Record<string, unknown>>>;
}

/** Rows of the tag table per page, and elements of an array shown at once. */
const ROWS_PER_PAGE = 50;
const ELEMENTS_PER_PAGE = 16;
/** Sparkline history: the last five minutes, at most this many points. */
const HISTORY_MS = 5 * 60_000;
const HISTORY_POINTS = 3000;
const TOKEN_KEY = "cpppo.dashboard.token";

interface TagRow {
  info: TagInfo;
  /** First element shown (arrays), and the values shown from there. */
  start: number;
  /** A page of elements is being fetched; `again` when a change came meanwhile. */
  fetching?: { again: boolean };
  shown: unknown[];
  times: number[];
  points: number[];
  dirty: boolean;
  row?: HTMLTableRowElement;
  valueCell?: HTMLElement;
  errorCell?: HTMLElement;
  rangeLabel?: HTMLElement;
  plot?: uPlot;
  editor?: HTMLTableRowElement;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const el = <K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, cls?: string) => {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (cls) node.className = cls;
  return node;
};

const tags = new Map<string, TagRow>();
let visible: TagRow[] = [];
let filterRe: RegExp = /^/;
let page = 0;
let token = sessionStorage.getItem(TOKEN_KEY) ?? undefined;
let source: EventSource | undefined;
let retry: number | undefined;
let rangeAllowed = false;
/** The server records history (`--historize`): the page offers its time-range plot. */
let historyOn = false;
let historyPlot: uPlot | undefined;

function formatValue(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(7)));
  if (v !== null && typeof v === "object") return JSON.stringify(v);
  return String(v);
}
function hex(n: number, width = 2): string {
  return `0x${n.toString(16).toUpperCase().padStart(width, "0")}`;
}

/** fnmatch's `*`, `?`, `[seq]`, `[!seq]` as a RegExp (as the server reads a glob). */
function globRegExp(glob: string): RegExp {
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === "*") out += ".*";
    else if (c === "?") out += ".";
    else if (c === "[") {
      const close = glob.indexOf("]", i + 2);
      if (close < 0) out += "\\[";
      else {
        let body = glob.slice(i + 1, close);
        const negate = body.startsWith("!");
        if (negate) body = body.slice(1);
        out += `[${negate ? "^" : ""}${body.replace(/[\\\]^]/g, "\\$&")}]`;
        i = close;
      }
    } else out += c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  return new RegExp(`^${out}$`, "s");
}
/** A tag name as a glob matching only itself. */
function globEscape(name: string): string {
  return name.replace(/[*?[]/g, "[$&]");
}
/** Comma-separated values, commas inside double quotes kept (as the API splits them). */
function countValues(text: string): number {
  let n = 1;
  let quoted = false;
  for (const c of text) {
    if (c === '"') quoted = !quoted;
    else if (c === "," && !quoted) n++;
  }
  return n;
}

function say(text: string, bad = false): void {
  const message = $("message");
  message.textContent = text;
  message.classList.toggle("bad", bad);
}

/** One JSON API request; resolves to the reply, or undefined after showing why it failed. */
async function api(params: Record<string, string>): Promise<ApiReply | undefined> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  let res: Response;
  try {
    res = await fetch(`/api.json?${new URLSearchParams(params)}`, { headers, cache: "no-store" });
  } catch {
    say("The server did not answer.", true);
    return undefined;
  }
  if (res.status === 401) {
    askToken("The server needs the web token.");
    return undefined;
  }
  if (!res.ok) {
    say(`The server refused: ${res.status} ${(await res.text()).trim()}`, true);
    return undefined;
  }
  return (await res.json()) as ApiReply;
}

/** Runs a command and reports its outcome. */
async function command(params: Record<string, string>, done: string): Promise<boolean> {
  const reply = await api(params);
  if (!reply) return false;
  const ok = reply.command !== null && reply.command.success !== false;
  if (reply.command === null) say(`Nothing matched ${params.match}.`, true);
  else say(ok ? done : (reply.command.message ?? "failed"), !ok);
  return ok;
}

function askToken(why: string): void {
  const form = $<HTMLFormElement>("token-form");
  form.hidden = false;
  banner(why);
  $<HTMLInputElement>("token").focus();
}
function banner(text: string | undefined): void {
  const b = $("banner");
  b.hidden = text === undefined;
  b.textContent = text ?? "";
  $("state").textContent = text === undefined ? "Live" : "Not connected";
}

// ---- tags -------------------------------------------------------------------------------------------------

function numeric(row: TagRow): boolean {
  return !row.info.array && typeof row.info.values[0] === "number";
}
function record(row: TagRow, at: number): void {
  if (!numeric(row)) return;
  row.times.push(at / 1000);
  row.points.push(row.info.values[0] as number);
  const cut = Math.max(
    row.times.length - HISTORY_POINTS,
    row.times.findIndex((t) => t >= (at - HISTORY_MS) / 1000),
  );
  if (cut > 0) {
    row.times.splice(0, cut);
    row.points.splice(0, cut);
  }
  row.dirty = true;
}

function showValues(row: TagRow): void {
  if (!row.valueCell) return;
  const { info } = row;
  const text = info.array
    ? row.shown.map((v, i) => `[${row.start + i}] ${formatValue(v)}`).join("  ")
    : formatValue(info.values[0]);
  const target = row.valueCell.firstChild as HTMLElement;
  target.textContent = text;
  if (row.rangeLabel) {
    const last = Math.min(info.elements, row.start + ELEMENTS_PER_PAGE) - 1;
    row.rangeLabel.textContent = `${row.start}–${last} of ${info.elements}`;
  }
  if (row.errorCell) {
    row.errorCell.textContent = info.error ? hex(info.error) : "none";
    row.errorCell.classList.toggle("set", info.error !== 0);
  }
}

async function pageElements(row: TagRow, start: number): Promise<void> {
  const { info } = row;
  start = Math.max(0, Math.min(start, info.elements - 1));
  const end = Math.min(info.elements, start + ELEMENTS_PER_PAGE) - 1;
  if (start === 0 && info.values.length > end) {
    row.start = 0;
    row.shown = info.values.slice(0, end + 1);
    showValues(row);
    return;
  }
  // One fetch at a time per row: changes that come meanwhile make one more fetch, not one each.
  if (row.fetching) {
    row.fetching.again = true;
    return;
  }
  const fetching = { again: false };
  row.fetching = fetching;
  try {
    const what = `attribute[${start}-${end}]`;
    const reply = await api({ group: "tags", match: globEscape(info.name), command: what });
    const values = reply?.data.tags?.[info.name]?.[what];
    if (!Array.isArray(values)) return;
    row.start = start;
    row.shown = values;
    showValues(row);
  } finally {
    row.fetching = undefined;
    if (fetching.again) void pageElements(row, row.start);
  }
}

function openEditor(row: TagRow, opener: HTMLButtonElement): void {
  if (row.editor) {
    row.editor.querySelector("input")?.focus();
    return;
  }
  const { info } = row;
  const id = `edit-${Math.random().toString(36).slice(2)}`;
  const tr = el("tr", undefined, "editor");
  const td = el("td");
  td.colSpan = 6;
  const form = el("form");
  form.setAttribute("aria-label", `Edit ${info.name}`);
  const field = (label: string, name: string, value: string, mode: string) => {
    const l = el("label", label);
    l.htmlFor = `${id}-${name}`;
    const input = el("input");
    input.id = `${id}-${name}`;
    input.name = name;
    input.value = value;
    input.autocomplete = "off";
    input.inputMode = mode;
    form.append(l, input);
    return input;
  };
  const start = info.array ? field("First element", "start", String(row.start), "numeric") : undefined;
  const values = field(
    info.array ? "Values (comma-separated)" : "Value",
    "values",
    info.array ? "" : String(info.values[0] ?? ""),
    "text",
  );
  const error = field("Error status (0 = none)", "error", String(info.error), "numeric");
  const save = el("button", "Save");
  save.type = "submit";
  const cancel = el("button", "Cancel");
  cancel.type = "button";
  form.append(save, cancel);
  td.append(form);
  tr.append(td);
  row.row?.after(tr);
  row.editor = tr;
  const close = () => {
    tr.remove();
    row.editor = undefined;
    opener.focus();
  };
  cancel.addEventListener("click", close);
  form.addEventListener("keydown", (e) => {
    if (e.key === "Escape") close();
  });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const match = globEscape(info.name);
    let ok = true;
    if (values.value.trim() !== "") {
      const first = start ? Number.parseInt(start.value, 10) : 0;
      if (!Number.isInteger(first) || first < 0) {
        say("The first element must be a whole number from 0.", true);
        return;
      }
      const n = countValues(values.value);
      const what = n === 1 ? `attribute[${first}]` : `attribute[${first}-${first + n - 1}]`;
      ok = await command(
        { group: "tags", match, command: what, value: values.value },
        `${info.name} ${what} written.`,
      );
    }
    if (ok && error.value.trim() !== String(info.error))
      ok = await command(
        { group: "tags", match, command: "error", value: error.value.trim() },
        `${info.name} now answers with error ${error.value.trim()}.`,
      );
    if (ok) close();
  });
  (info.array ? (start as HTMLInputElement) : values).focus();
}

function buildRow(row: TagRow): HTMLTableRowElement {
  const { info } = row;
  const tr = el("tr");
  const name = el("th", info.name);
  name.scope = "row";
  const type = el("td", info.array ? `${info.type}[${info.elements}]` : info.type, "type");
  const value = el("td", undefined, "value");
  value.append(el("span"));
  row.rangeLabel = undefined;
  if (info.array && info.elements > ELEMENTS_PER_PAGE) {
    const pager = el("span", undefined, "element-pager");
    const prev = el("button", "‹");
    prev.type = "button";
    prev.setAttribute("aria-label", `Earlier elements of ${info.name}`);
    const next = el("button", "›");
    next.type = "button";
    next.setAttribute("aria-label", `Later elements of ${info.name}`);
    const label = el("span", "", "muted");
    prev.addEventListener("click", () => void pageElements(row, row.start - ELEMENTS_PER_PAGE));
    next.addEventListener("click", () => void pageElements(row, row.start + ELEMENTS_PER_PAGE));
    pager.append(prev, label, next);
    value.append(pager);
    row.rangeLabel = label;
  }
  const trend = el("td");
  if (numeric(row)) {
    const box = el("div", undefined, "spark");
    box.setAttribute("role", "img");
    box.setAttribute("aria-label", `Trend of ${info.name}`);
    trend.append(box);
  }
  const error = el("td", undefined, "error");
  const actions = el("td");
  const edit = el("button", "Edit");
  edit.type = "button";
  edit.setAttribute("aria-label", `Edit ${info.name}`);
  edit.addEventListener("click", () => openEditor(row, edit));
  actions.append(edit);
  if (historyOn) {
    const plot = el("button", "History");
    plot.type = "button";
    plot.setAttribute("aria-label", `Plot the history of ${info.name}`);
    plot.addEventListener("click", () => {
      $<HTMLInputElement>("history-tag").value = info.name;
      $("history-heading").focus();
      void plotHistory();
    });
    actions.append(plot);
  }
  tr.append(name, type, value, trend, error, actions);
  row.row = tr;
  row.valueCell = value;
  row.errorCell = error;
  showValues(row);
  return tr;
}

function drawSpark(row: TagRow): void {
  const box = row.row?.querySelector<HTMLElement>(".spark");
  if (!box || row.times.length < 2) return;
  const data: uPlot.AlignedData = [row.times, row.points];
  if (row.plot) {
    row.plot.setData(data);
    return;
  }
  row.plot = new uPlot(
    {
      width: box.clientWidth || 120,
      height: box.clientHeight || 28,
      legend: { show: false },
      cursor: { show: false },
      select: { show: false, left: 0, top: 0, width: 0, height: 0 },
      axes: [{ show: false }, { show: false }],
      padding: [3, 2, 3, 2],
      scales: {
        x: { time: false },
        // A steady value sits mid-height instead of on the edge.
        y: { range: (_u, min, max) => (min === max ? [min - 1, max + 1] : [min, max]) },
      },
      series: [
        {},
        {
          stroke: getComputedStyle(document.body).getPropertyValue("--accent").trim() || "#0550ae",
          width: 1.5,
          points: { show: false },
        },
      ],
    },
    data,
    box,
  );
}

function renderTags(): void {
  for (const row of visible) {
    row.plot?.destroy();
    row.plot = undefined;
    row.row = undefined;
    row.editor = undefined;
  }
  const matching = [...tags.values()].filter((r) => filterRe.test(r.info.name));
  const pages = Math.max(1, Math.ceil(matching.length / ROWS_PER_PAGE));
  page = Math.max(0, Math.min(page, pages - 1));
  const shown = matching.slice(page * ROWS_PER_PAGE, (page + 1) * ROWS_PER_PAGE);
  const body = $("tags").querySelector("tbody") as HTMLTableSectionElement;
  body.replaceChildren(...shown.map(buildRow));
  visible = shown;
  for (const row of shown) drawSpark(row);
  $("tag-count").textContent = `${matching.length} of ${tags.size} tags match`;
  $("tags-page").textContent = `Page ${page + 1} of ${pages}`;
  $<HTMLButtonElement>("tags-prev").disabled = page === 0;
  $<HTMLButtonElement>("tags-next").disabled = page >= pages - 1;
}

// ---- the event stream -----------------------------------------------------------------------------------------

function onHello(data: {
  at: number;
  tags: TagInfo[];
  identity: Record<string, unknown> | null;
  connections: Connection[];
  status: Status;
  history?: boolean;
}): void {
  banner(undefined);
  historyOn = data.history === true;
  $("history").hidden = !historyOn;
  $("history-tags").replaceChildren(
    ...data.tags.map((t) => {
      const option = el("option");
      option.value = t.name;
      return option;
    }),
  );
  $("token-form").hidden = true;
  const before = tags;
  const fresh = new Map<string, TagRow>();
  for (const info of data.tags) {
    const old = before.get(info.name);
    // A reconnection keeps each tag's trend.
    const row: TagRow = {
      info,
      start: 0,
      shown: info.values.slice(0, ELEMENTS_PER_PAGE),
      times: old?.times ?? [],
      points: old?.points ?? [],
      dirty: false,
    };
    fresh.set(info.name, row);
  }
  tags.clear();
  for (const [k, v] of fresh) tags.set(k, v);
  renderTags();
  showIdentity(data.identity);
  showConnections(data.connections);
  showStatus(data.status);
}

function onTags(data: { at: number; changes: { name: string; error: number; values: unknown[] }[] }): void {
  for (const change of data.changes) {
    const row = tags.get(change.name);
    if (!row) continue;
    row.info.values = change.values;
    row.info.error = change.error;
    record(row, data.at);
    if (!row.row) continue;
    if (row.start === 0) row.shown = change.values.slice(0, ELEMENTS_PER_PAGE);
    else void pageElements(row, row.start);
    showValues(row);
  }
}

function showIdentity(identity: Record<string, unknown> | null): void {
  const dl = $("identity");
  dl.replaceChildren();
  if (!identity) return;
  const rev = identity.revision as { major: number; minor: number } | undefined;
  const rows: [string, string][] = [
    ["Product", String(identity.productName ?? "")],
    ["Vendor", String(identity.vendorId ?? "")],
    ["Device type", String(identity.deviceType ?? "")],
    ["Product code", String(identity.productCode ?? "")],
    ["Revision", rev ? `${rev.major}.${rev.minor}` : ""],
    ["Serial", typeof identity.serialNumber === "number" ? hex(identity.serialNumber, 8) : ""],
    ["Status", typeof identity.status === "number" ? hex(identity.status, 4) : ""],
  ];
  for (const [k, v] of rows) dl.append(el("dt", k), el("dd", v));
}

function showConnections(list: Connection[]): void {
  const body = $("connections").querySelector("tbody") as HTMLTableSectionElement;
  // A Modbus server names unit ids where EtherNet/IP has a session.
  if (list.length > 0)
    $("connections-session").textContent = list.some((c) => c.units) ? "Unit ids" : "Session";
  const focused = document.activeElement?.getAttribute("data-connection");
  body.replaceChildren(
    ...list.map((c) => {
      const tr = el("tr");
      const id = el("th", c.id);
      id.scope = "row";
      const close = el("button", "Close");
      close.type = "button";
      close.dataset.connection = c.id;
      close.setAttribute("aria-label", `Close connection ${c.id}`);
      close.disabled = c.eof;
      close.addEventListener("click", () => {
        void command(
          { group: "connections", match: globEscape(c.id), command: "eof", value: "true" },
          `Connection ${c.id} closed.`,
        );
      });
      const actions = el("td");
      actions.append(close);
      tr.append(
        id,
        el("td", `${c.peer}:${c.port}`),
        el("td", c.units ? c.units.join(", ") || "none" : c.session ? hex(c.session, 8) : "none"),
        el("td", String(c.requests)),
        el("td", `${c.idle.toFixed(1)} s`, "idle"),
        actions,
      );
      return tr;
    }),
  );
  if (list.length === 0) {
    const tr = el("tr");
    const td = el("td", "No connections", "muted");
    td.colSpan = 6;
    tr.append(td);
    body.append(tr);
  }
  if (focused) body.querySelector<HTMLElement>(`[data-connection="${CSS.escape(focused)}"]`)?.focus();
}

function showStatus(s: Status & { at?: number }): void {
  // Each numeric tag's trend gets a point a second, changed or not, so a steady value draws a flat line.
  const at = s.at ?? Date.now();
  for (const row of tags.values()) record(row, at);
  const dl = $("counters");
  dl.replaceChildren(
    el("dt", "Requests/s"),
    el("dd", s.requestsPerSecond.toFixed(1)),
    el("dt", "Errors/s"),
    el("dd", s.errorsPerSecond.toFixed(1)),
    el("dt", "Requests"),
    el("dd", String(s.requests)),
    el("dt", "Errors"),
    el("dd", String(s.errors)),
    el("dt", "Dashboards open"),
    el("dd", String(s.clients)),
  );
  const value = $<HTMLInputElement>("delay-value");
  if (document.activeElement !== value) value.value = String(s.delay.value);
  rangeAllowed ||= s.delay.range !== null;
  $("range-form").hidden = !rangeAllowed;
  const range = $<HTMLInputElement>("delay-range");
  if (document.activeElement !== range)
    range.value = s.delay.range ? `${s.delay.range.min}-${s.delay.range.max}` : "none";
}

const listen = <T>(es: EventSource, name: string, handler: (data: T) => void) =>
  es.addEventListener(name, (e) => {
    performance.mark(`cpppo:${name}:start`);
    handler(JSON.parse((e as MessageEvent<string>).data) as T);
    performance.measure(`cpppo:${name}`, `cpppo:${name}:start`);
  });

/** Checks the server and the token, then opens the stream; retries each second while the server is away. */
async function connect(): Promise<void> {
  retry = undefined;
  source?.close();
  source = undefined;
  const headers: Record<string, string> = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  let res: Response;
  try {
    res = await fetch("/api.json?group=server&match=control&command=address", { headers, cache: "no-store" });
  } catch {
    banner("The server went away. Reconnecting…");
    retry = window.setTimeout(() => void connect(), 1000);
    return;
  }
  if (res.status === 401) {
    askToken(token ? "The web token was refused; enter it again." : "The server needs the web token.");
    return;
  }
  const es = new EventSource(`/api/events${token ? `?token=${encodeURIComponent(token)}` : ""}`);
  source = es;
  listen(es, "hello", onHello);
  listen(es, "tags", onTags);
  listen(es, "connections", (d: { connections: Connection[] }) => showConnections(d.connections));
  listen(es, "status", showStatus);
  es.addEventListener("error", () => {
    banner("The server went away. Reconnecting…");
    // A stream the browser gave up on (an HTTP error after a restart) is opened again by hand.
    if (es.readyState === EventSource.CLOSED && retry === undefined)
      retry = window.setTimeout(() => void connect(), 1000);
  });
}

// ---- the history plot ---------------------------------------------------------------------------------------

/** The zone segment in force at `t` (epoch seconds). */
function zoneAt(zone: HistoryReply["zone"], t: number): HistoryReply["zone"]["segments"][number] {
  let found = zone.segments[0] ?? { at: t, offset: 0, abbreviation: "UTC" };
  for (const s of zone.segments) if (s.at <= t) found = s;
  return found;
}
/** `t` in the server's zone: `[YYYY-MM-DD ]HH:MM[:SS] ABBR` (the date when asked, seconds when not zero). */
function zoneText(zone: HistoryReply["zone"], t: number, withDate: boolean): string {
  const s = zoneAt(zone, t);
  const iso = new Date(Math.round((t + s.offset) * 1000)).toISOString();
  const time = iso.slice(17, 19) === "00" ? iso.slice(11, 16) : iso.slice(11, 19);
  return `${withDate ? `${iso.slice(0, 10)} ` : ""}${time} ${s.abbreviation}`;
}
/** A Date whose local fields are the server zone's wall clock at `t`, so uPlot's ticks fall on its round times. */
function wallDate(zone: HistoryReply["zone"], t: number): Date {
  const ms = (t + zoneAt(zone, t).offset) * 1000;
  return new Date(ms + new Date(ms).getTimezoneOffset() * 60_000);
}

const SERIES_COLOURS = [
  "--accent",
  "#bc4c00",
  "#1a7f37",
  "#8250df",
  "#cf222e",
  "#0a7d8c",
  "#9a6700",
  "#57606a",
];

/** Reads the chosen tag's history over the chosen range and draws it. */
async function plotHistory(): Promise<void> {
  const name = $<HTMLInputElement>("history-tag").value.trim();
  if (name === "") return;
  const choice = $<HTMLSelectElement>("history-range").value;
  let until = Date.now() / 1000;
  let since = until - Number(choice);
  if (choice === "custom") {
    since = new Date($<HTMLInputElement>("history-since").value).getTime() / 1000;
    until = new Date($<HTMLInputElement>("history-until").value).getTime() / 1000;
    if (!Number.isFinite(since) || !Number.isFinite(until) || since >= until) {
      say("Choose a custom range whose start comes before its end.", true);
      return;
    }
  }
  const caption = $("history-caption");
  caption.textContent = `Reading the history of ${name}…`;
  const headers: Record<string, string> = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  const query = new URLSearchParams({ tag: name, since: String(since), until: String(until) });
  let res: Response;
  try {
    res = await fetch(`/api/history?${query}`, { headers, cache: "no-store" });
  } catch {
    caption.textContent = "The server did not answer.";
    return;
  }
  if (!res.ok) {
    caption.textContent = `The server refused: ${res.status} ${(await res.text()).trim()}`;
    return;
  }
  drawHistory((await res.json()) as HistoryReply);
}

function drawHistory(h: HistoryReply): void {
  const box = $("history-plot");
  historyPlot?.destroy();
  historyPlot = undefined;
  box.replaceChildren();
  const long = h.until - h.since > 86_400;
  const range = `${zoneText(h.zone, h.since, true)} to ${zoneText(h.zone, h.until, long)}`;
  const notes = [
    `${h.samples} recorded`,
    ...(h.decimated ? ["decimated"] : []),
    ...(h.partial ? ["cut short by the server's deadline"] : []),
  ];
  $("history-caption").textContent =
    h.count === 0
      ? `No points of ${h.tag} from ${range}${h.message ? `: ${h.message}` : ""}.`
      : `${h.count} points of ${h.tag} (${notes.join(", ")}) from ${range}.`;
  box.setAttribute("aria-label", `History of ${h.tag}: ${h.count} points from ${range}`);
  const axis = $("history-axis");
  axis.textContent = "";
  if (h.count === 0) return;
  const data = uPlot.join(h.series.map((s) => [s.times, s.values] as uPlot.AlignedData));
  const style = getComputedStyle(document.body);
  const colour = (c: string) => (c.startsWith("--") ? style.getPropertyValue(c).trim() || "#0550ae" : c);
  const fg = style.getPropertyValue("--fg").trim() || "#1b1f24";
  let labels: string[] = [];
  historyPlot = new uPlot(
    {
      width: Math.max(280, box.clientWidth || 600),
      height: 260,
      tzDate: (t) => wallDate(h.zone, t),
      scales: { x: { time: true, range: [h.since, h.until] } },
      axes: [
        {
          stroke: fg,
          // Room for "HH:MM:SS ABBR" (and a date on long ranges) between ticks.
          space: long ? 160 : 100,
          values: (_u, splits) => {
            labels = splits.map((t) => zoneText(h.zone, t, long));
            return labels;
          },
        },
        { stroke: fg },
      ],
      series: [
        { label: `Time (${h.zone.name})`, value: (_u, t) => (t == null ? "" : zoneText(h.zone, t, true)) },
        ...h.series.map((s, i) => ({
          label: s.name,
          stroke: colour(SERIES_COLOURS[i % SERIES_COLOURS.length] as string),
          width: 1.5,
          spanGaps: true,
        })),
      ],
      hooks: {
        draw: [
          () => {
            axis.textContent = `Time axis (${h.zone.name}): ${labels.join(", ")}`;
          },
        ],
      },
    },
    data,
    box,
  );
}

// ---- controls -------------------------------------------------------------------------------------------------

function wire(): void {
  $<HTMLFormElement>("token-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const input = $<HTMLInputElement>("token");
    token = input.value.trim() || undefined;
    input.value = "";
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
    void connect();
  });
  const filter = $<HTMLInputElement>("filter");
  filter.addEventListener("input", () => {
    try {
      filterRe = globRegExp(filter.value.trim() || "*");
      filter.removeAttribute("aria-invalid");
    } catch {
      filter.setAttribute("aria-invalid", "true");
      return;
    }
    page = 0;
    renderTags();
  });
  $("tags-prev").addEventListener("click", () => {
    page--;
    renderTags();
  });
  $("tags-next").addEventListener("click", () => {
    page++;
    renderTags();
  });
  $<HTMLFormElement>("delay-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const v = $<HTMLInputElement>("delay-value").value.trim();
    void command(
      { group: "options", match: "delay", command: "value", value: v },
      `Reply delay set to ${v} s.`,
    );
  });
  $<HTMLFormElement>("range-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const v = $<HTMLInputElement>("delay-range").value.trim();
    void command(
      { group: "options", match: "delay", command: "range", value: v },
      `Reply delay range set to ${v}.`,
    );
  });
  $<HTMLSelectElement>("history-range").addEventListener("change", (e) => {
    const custom = (e.target as HTMLSelectElement).value === "custom";
    $("history-custom").hidden = !custom;
    if (custom && $<HTMLInputElement>("history-until").value === "") {
      // Prefilled with the last hour in this browser's time (datetime-local is wall-clock time without a zone).
      const local = (ms: number) =>
        new Date(ms - new Date(ms).getTimezoneOffset() * 60_000).toISOString().slice(0, 19);
      $<HTMLInputElement>("history-until").value = local(Date.now());
      $<HTMLInputElement>("history-since").value = local(Date.now() - 3_600_000);
    }
  });
  $<HTMLFormElement>("history-form").addEventListener("submit", (e) => {
    e.preventDefault();
    void plotHistory();
  });
  // Sparklines of the rows in view are redrawn once a second at most.
  window.setInterval(() => {
    for (const row of visible)
      if (row.dirty) {
        row.dirty = false;
        drawSpark(row);
      }
  }, 1000);
}

filterRe = globRegExp("*");
wire();
void connect();

import { connect, type Socket } from "node:net";
import fc from "fast-check";
import { Controller } from "../src/controller/controller.js";
import { EnipServer } from "../src/server.js";
import { type ApiReply, fnmatchRegExp, negotiateMediaType, startWebApi, type WebApi } from "../src/web.js";

const DEADLINE_MS = 5_000;

async function until<T>(probe: () => Promise<T | undefined> | T | undefined, what: string): Promise<T> {
  const end = Date.now() + DEADLINE_MS;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** RegisterSession, session 0, protocol version 1 (cpppo reference §2.14). */
const REGISTER_SESSION = Uint8Array.from([
  0x65,
  0x00, // command RegisterSession
  0x04,
  0x00, // length 4
  0x00,
  0x00,
  0x00,
  0x00, // session handle
  0x00,
  0x00,
  0x00,
  0x00, // status
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00, // sender context
  0x00,
  0x00,
  0x00,
  0x00, // options
  0x01,
  0x00, // protocol version 1
  0x00,
  0x00, // option flags
]);

async function openClient(port: number): Promise<{ socket: Socket; ended: Promise<void> }> {
  const socket = connect(port, "127.0.0.1");
  const ended = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  socket.on("error", () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  const replied = new Promise<void>((resolve) => socket.once("data", () => resolve()));
  socket.write(REGISTER_SESSION);
  await replied;
  return { socket, ended };
}

describe("web API against a running EnipServer", () => {
  let server: EnipServer;
  let web: WebApi;
  let done: number;
  const get = (path: string, init?: RequestInit) =>
    fetch(`${web.url}${path}`, { redirect: "manual", signal: AbortSignal.timeout(DEADLINE_MS), ...init });
  const api = async (path: string, init?: RequestInit): Promise<ApiReply> => {
    const res = await get(path, init);
    expect(res.status).toBe(200);
    return (await res.json()) as ApiReply;
  };

  beforeEach(async () => {
    done = 0;
    const controller = new Controller({ tags: ["SCADA=INT[10]", "FLOAT=REAL", "Sensor=DINT[4]"] });
    server = await EnipServer.start({ controller, host: "127.0.0.1", port: 0 });
    web = await startWebApi({
      server,
      host: "127.0.0.1",
      port: 0,
      onDone: () => {
        done++;
      },
    });
  });
  afterEach(async () => {
    await web.close();
    await server.close();
  });

  it("GET /api reports every group in cpppo's JSON shape with cpppo's headers", async () => {
    const before = Date.now() / 1000;
    const res = await get("/api");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("no-cache");
    // Issue 10 (item 3) drops cpppo's wildcard CORS header: other sites' pages must not read the API.
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    const text = await res.text();
    // Sorted keys, 4-space indent, as json.dumps(sort_keys=True, indent=4).
    expect(
      text.startsWith(
        '{\n    "alarm": [],\n    "command": {},\n    "data": {\n        "connections": {},\n        "options": {',
      ),
    ).toBe(true);
    const reply = JSON.parse(text) as ApiReply;
    expect(Object.keys(reply)).toEqual(["alarm", "command", "data", "since", "until"]);
    expect(reply.since).toBeNull();
    expect(reply.until).toBeGreaterThanOrEqual(before);
    // Issue 9 item 12: cpppo's shape. No `range` unless the server was started with one.
    expect(reply.data.options).toEqual({ delay: { value: 0 } });
    const port = server.tcpAddress?.port;
    expect(reply.data.server).toEqual({
      control: {
        address: ["127.0.0.1", port],
        address_udp: ["127.0.0.1", port],
        disable: false,
        done: false,
        latency: 0.1,
        timeout: 0.2,
      },
    });
    expect(Object.keys(reply.data.tags ?? {})).toEqual(["FLOAT", "SCADA", "Sensor"]);
    expect(reply.data.tags?.SCADA).toEqual({
      attribute: server.controller.tags.get("SCADA")?.describe(),
      error: 0,
      path: null,
    });
    // The connections group is there even with no connection.
    expect(reply.data.connections).toEqual({});
  });

  it("options/delay: value by path, by = sugar and by query parameters; no range unless started with one", async () => {
    let reply = await api("/api/options/delay/value/0.5");
    expect(reply.command).toEqual({ message: "options.delay.value='0.5' (0.5)", success: true });
    expect(reply.data).toEqual({ options: { delay: { value: 0.5 } } });
    expect(server.delay.value).toBe(0.5);

    reply = await api("/api/options/delay/value=0.25");
    expect(server.delay.value).toBe(0.25);
    reply = await api("/api?group=options&match=delay&command=value&value=0.125");
    expect(reply.command?.success).toBe(true);
    expect(server.delay.value).toBe(0.125);

    // cpppo's rule: a server started without a delay range has none to change.
    reply = await api("/api/options/delay/range=0.5-1.5");
    expect(reply.command).toEqual({
      message:
        "options.delay.range='0.5-1.5' failed: the server was started without a delay range; start it with one (-d LO-HI) to change it here",
      success: false,
    });
    expect(server.delay.range).toBeUndefined();
    expect(server.delay.value).toBe(0.125);
    expect((await api("/api/options/delay/range=none")).command?.success).toBe(false);

    const unchanged = server.delay.value;
    reply = await api("/api/options/delay/value=fast");
    expect(reply.command).toEqual({
      message: `options.delay.value='fast' failed: delay value must be a number, got "fast"`,
      success: false,
    });
    reply = await api("/api/options/delay/range=2-1");
    expect(reply.command?.success).toBe(false);
    expect(server.delay.value).toBe(unchanged);
  });

  it("tags: attribute text, element reads and writes through the Tag API, forced error", async () => {
    const scada = server.controller.tags.get("SCADA");
    let reply = await api("/api/tags/SCADA/attribute[3]=4");
    expect(reply.command).toEqual({ message: "tags.SCADA.attribute[3]='4' (4)", success: true });
    expect(scada?.values(3, 1)).toEqual([4]);
    reply = await api("/api/tags/SCADA/attribute[3]");
    expect(reply.command).toEqual({});
    expect(reply.data).toEqual({ tags: { SCADA: { "attribute[3]": 4 } } });

    reply = await api("/api/tags/SCADA/attribute[5-7]=7,8,0x9");
    expect(reply.command?.success).toBe(true);
    expect(scada?.values(5, 3)).toEqual([7, 8, 9]);
    expect((await api("/api/tags/SCADA/attribute[5-7]")).data.tags?.SCADA).toEqual({
      "attribute[5-7]": [7, 8, 9],
    });

    reply = await api("/api/tags/FLOAT/attribute[0]=1.5");
    expect(server.controller.tags.get("FLOAT")?.values()).toEqual([1.5]);
    reply = await api("/api/tags/SCADA/attribute");
    expect(reply.data.tags?.SCADA?.attribute).toMatch(
      /^SCADA +INT\[10\] == \[0, 0, 0, 4, 0, 7, 8, 9, 0, 0\]$/,
    );

    reply = await api("/api/tags/SCADA/error=8");
    expect(reply.command).toEqual({ message: "tags.SCADA.error='8' (8)", success: true });
    expect(scada?.error).toBe(8);

    for (const bad of [
      "attribute[10]=1",
      "attribute[1]=x",
      "attribute[1]=70000",
      "error=300",
      "attribute[1-2]=1",
    ]) {
      reply = await api(`/api/tags/SCADA/${bad}`);
      expect(reply.command?.success).toBe(false);
    }
    expect(scada?.values(0, 3)).toEqual([0, 0, 0]);
  });

  it("matches groups and objects with fnmatch globs; nothing matched gives command null", async () => {
    let reply = await api("/api/tags/S*/error");
    expect(reply.data).toEqual({ tags: { SCADA: { error: 0 }, Sensor: { error: 0 } } });
    reply = await api("/api/tags/[!S]*/error=3");
    expect(reply.data).toEqual({ tags: { FLOAT: { error: 3 } } });
    reply = await api("/api/t%3Fgs/*/error");
    expect(Object.keys(reply.data.tags ?? {})).toHaveLength(3);
    reply = await api("/api/tags/NOPE/error=1");
    expect(reply.command).toBeNull();
    expect(reply.data).toEqual({});
    reply = await api("/api/tags/SCADA/nonsense");
    expect(reply.command).toBeNull();
  });

  it("connections: per-connection stats, and eof ends one connection or all", async () => {
    const port = server.tcpAddress?.port as number;
    const a = await openClient(port);
    const b = await openClient(port);
    const reply = await until(async () => {
      const r = await api("/api/connections");
      return Object.keys(r.data.connections ?? {}).length === 2 ? r : undefined;
    }, "two connections");
    const [idA] = Object.keys(reply.data.connections ?? {}).filter((id) =>
      id.endsWith(`_${a.socket.localPort}`),
    );
    expect(idA).toBe(`127_0_0_1_${a.socket.localPort}`);
    expect(reply.data.connections?.[idA as string]).toEqual({
      eof: false,
      interface: "127.0.0.1",
      port: a.socket.localPort,
      received: 28,
      requests: 1,
      processed: 1,
    });

    const ended = await api(`/api/connections/${idA}/eof/true`);
    expect(ended.command?.success).toBe(true);
    await a.ended;
    expect(b.socket.destroyed).toBe(false);
    await api("/api/connections/*/eof=true");
    await b.ended;
    await until(
      async () =>
        Object.keys((await api("/api/connections")).data.connections ?? { pending: 1 }).length === 0
          ? true
          : undefined,
      "no connections",
    );
  });

  it("server/control: disable closes and re-opens the listener; address is read-only; done calls back once", async () => {
    const port = server.tcpAddress?.port as number;
    let reply = await api("/api/server/control/disable/true");
    expect(reply.command?.success).toBe(true);
    expect(server.disabled).toBe(true);
    await expect(openClient(port)).rejects.toThrow(/ECONNREFUSED/);
    reply = await api("/api/server/control/disable=false");
    expect(server.disabled).toBe(false);
    expect(reply.data).toEqual({ server: { control: { disable: false } } });
    const client = await openClient(port);
    client.socket.destroy();

    reply = await api("/api/server/control/address=1");
    expect(reply.command).toEqual({
      message: "server.control.address='1' failed: address is read-only",
      success: false,
    });

    reply = await api("/api/server/control/done/true");
    expect(reply.command?.success).toBe(true);
    await until(() => (done === 1 ? true : undefined), "onDone");
    await api("/api/server/control/done/true");
    await new Promise((r) => setTimeout(r, 20));
    expect(done).toBe(1);
  });

  it("negotiates JSON, JavaScript, plain text and an HTML view; 406 for anything else", async () => {
    let res = await get("/api/tags/SCADA/error", { headers: { Accept: "text/html" } });
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const html = await res.text();
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain("<title>api/tags/SCADA/error</title>");
    expect(html).toMatch(/<h2>Queries:<\/h2>\n<pre>\{[^<]*&#34;command&#34;: &#34;error&#34;/);
    expect(html).toMatch(/<h2>Response:<\/h2>\n<pre>\{\n {4}&#34;alarm&#34;/);

    const browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    res = await get("/api", { headers: { Accept: browser } });
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    res = await get("/api.json", { headers: { Accept: browser } });
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(((await res.json()) as ApiReply).command).toEqual({});
    res = await get("/api/tags/SCADA/error.json", { headers: { Accept: "text/html" } });
    expect(((await res.json()) as ApiReply).data).toEqual({ tags: { SCADA: { error: 0 } } });
    res = await get("/api", { headers: { Accept: "text/plain" } });
    expect(res.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(JSON.parse(await res.text())).toHaveProperty("alarm");
    res = await get("/api", { headers: { Accept: "text/javascript" } });
    expect(res.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    res = await get("/api", { headers: { Accept: "application/xml" } });
    expect(res.status).toBe(406);
    res = await get("/api", { headers: { Accept: "text/html;q=0, application/json;q=0" } });
    expect(res.status).toBe(406);
  });

  it("redirects / to the HTML view of /api and drops trailing slashes; other paths and methods are refused", async () => {
    let res = await get("/");
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/api");
    res = await get("/static/index.html");
    expect(res.headers.get("location")).toBe("/api");
    res = await get("/api/tags/?since=5");
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/api/tags?since=5");
    res = await get("/elsewhere");
    expect(res.status).toBe(404);
    res = await get("/api", { method: "POST" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, HEAD");
    res = await get("/api/%E0%A4%A");
    expect(res.status).toBe(400);
    res = await get("/api?since=soon");
    expect(res.status).toBe(400);
    expect((await api("/api/options?since=12.5")).since).toBe(12.5);
    res = await get("/api", { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("");
  });
});

describe("web API token", () => {
  let server: EnipServer;
  let web: WebApi;
  beforeAll(async () => {
    server = await EnipServer.start({
      controller: new Controller({ tags: ["A=DINT"] }),
      host: "127.0.0.1",
      port: 0,
    });
    web = await startWebApi({ server, port: 0, token: "s3cret" });
  });
  afterAll(async () => {
    await web.close();
    await server.close();
  });
  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${web.url}${path}`, { headers, signal: AbortSignal.timeout(DEADLINE_MS) });

  it("binds 127.0.0.1 by default", () => {
    expect(web.address.address).toBe("127.0.0.1");
    expect(web.url).toBe(`http://127.0.0.1:${web.address.port}`);
  });

  it("refuses reads and changes without the right token", async () => {
    // Issue 10 (item 3): with a token set, reads need it too.
    expect((await get("/api/tags/A/error")).status).toBe(401);
    expect((await get("/api/tags/A/error", { Authorization: "Bearer s3cret" })).status).toBe(200);
    for (const [path, headers] of [
      ["/api/tags/A/error=5", {}],
      ["/api/tags/A/error=5", { Authorization: "Bearer wrong" }],
      ["/api/tags/A/error=5?token=s3cre", {}],
      ["/api/options/delay/value/1", { Authorization: "Basic s3cret" }],
    ] as const) {
      const res = await get(path, headers);
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
      expect(((await res.json()) as ApiReply).command?.success).toBe(false);
    }
    expect(server.controller.tags.get("A")?.error).toBe(0);
    expect(server.delay.value).toBe(0);

    expect((await get("/api/tags/A/error=5", { Authorization: "Bearer s3cret" })).status).toBe(200);
    expect(server.controller.tags.get("A")?.error).toBe(5);
    expect((await get("/api/tags/A/error=6?token=s3cret")).status).toBe(200);
    expect(server.controller.tags.get("A")?.error).toBe(6);
  });

  it("refuses an empty token and a bad port", async () => {
    await expect(startWebApi({ server, port: 0, token: "" })).rejects.toThrow(/"token" must not be empty/);
    await expect(startWebApi({ server, port: 70000 })).rejects.toThrow(
      /"port" must be an integer 0\.\.65535/,
    );
    await expect(startWebApi({ server, port: web.address.port })).rejects.toThrow(
      /cannot listen on 127\.0\.0\.1/,
    );
  });

  it("closes on abort", async () => {
    const abort = new AbortController();
    const other = await startWebApi({ server, port: 0, signal: abort.signal });
    abort.abort();
    await other.close();
    await expect(fetch(`${other.url}/api`, { signal: AbortSignal.timeout(DEADLINE_MS) })).rejects.toThrow();
  });
});

describe("fnmatch and content negotiation", () => {
  it("translates fnmatch patterns", () => {
    const m = (p: string, s: string) => fnmatchRegExp(p).test(s);
    expect(m("*", "")).toBe(true);
    expect(m("S*", "SCADA")).toBe(true);
    expect(m("s*", "SCADA")).toBe(false);
    expect(m("?CADA", "SCADA")).toBe(true);
    expect(m("[AS]CADA", "SCADA")).toBe(true);
    expect(m("[!S]CADA", "SCADA")).toBe(false);
    expect(m("[]]x", "]x")).toBe(true);
    expect(m("a.b", "axb")).toBe(false);
    expect(m("127_0_0_1_*", "127_0_0_1_60592")).toBe(true);
    expect(m("[", "[")).toBe(true);
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (s) => {
        const literal = s.replace(/[*?[]/g, "");
        return fnmatchRegExp(literal).test(literal) && fnmatchRegExp("*").test(s);
      }),
    );
  });

  it("picks the reply type by q-value, exactness, then JSON first", () => {
    expect(negotiateMediaType(undefined)).toBe("application/json");
    expect(negotiateMediaType("*/*")).toBe("application/json");
    expect(negotiateMediaType("text/*")).toBe("text/javascript");
    expect(negotiateMediaType("text/plain, text/html")).toBe("text/plain");
    expect(negotiateMediaType("text/html, application/json")).toBe("application/json");
    expect(negotiateMediaType("application/json;q=0.5, text/html")).toBe("text/html");
    expect(negotiateMediaType("image/png")).toBeUndefined();
  });
});

describe("web API parity with cpppo (issue 9, item 12)", () => {
  let server: EnipServer;
  let web: WebApi;
  afterEach(async () => {
    await web.close();
    await server.close();
  });
  const api = async (path: string): Promise<ApiReply> => {
    const res = await fetch(`${web.url}${path}`, { signal: AbortSignal.timeout(DEADLINE_MS) });
    expect(res.status).toBe(200);
    return (await res.json()) as ApiReply;
  };
  const start = async (delay?: { min: number; max: number }) => {
    const controller = new Controller({ tags: ["SCADA=INT[10]", "Motor_Velocity@0x93/3/10=REAL"] });
    server = await EnipServer.start({ controller, host: "127.0.0.1", port: 0, ...(delay && { delay }) });
    web = await startWebApi({ server, host: "127.0.0.1", port: 0 });
  };

  it("each tag's path: null, or cpppo's segment list for a tag defined at a numeric address", async () => {
    await start();
    const tags = (await api("/api/tags")).data.tags;
    expect(tags?.SCADA?.path).toBeNull();
    expect(tags?.Motor_Velocity?.path).toEqual({
      segment: [{ class: 0x93 }, { instance: 3 }, { attribute: 10 }],
    });
    expect((await api("/api/tags/Motor_Velocity/path")).data).toEqual({
      tags: { Motor_Velocity: { path: { segment: [{ class: 0x93 }, { instance: 3 }, { attribute: 10 }] } } },
    });
    // The connections group, empty, is in a read of it and of everything.
    expect((await api("/api/connections")).data).toEqual({ connections: {} });
    expect(Object.keys((await api("/api")).data)).toEqual(["connections", "options", "server", "tags"]);
  });

  it("a server started with a delay range shows it and lets the API change it; a value set by hand holds", async () => {
    await start({ min: 0.5, max: 0.5 });
    expect((await api("/api/options")).data.options).toEqual({ delay: { range: "0.5-0.5", value: 0.5 } });
    let reply = await api("/api/options/delay/range=0.25-0.75");
    expect(reply.command).toEqual({
      message: `options.delay.range='0.25-0.75' ("0.25-0.75")`,
      success: true,
    });
    expect(server.delay.range).toEqual({ min: 0.25, max: 0.75 });
    expect(server.delay.value).toBeGreaterThanOrEqual(0.25);
    expect(server.delay.value).toBeLessThanOrEqual(0.75);
    reply = await api("/api/options/delay/range=none");
    expect(reply.command?.success).toBe(true);
    expect(server.delay.range).toBeUndefined();
    expect((await api("/api/options")).data.options).toEqual({
      delay: { range: null, value: server.delay.value },
    });

    // Re-arm a range that always draws 0.5, then set the value by hand: it must not be re-drawn a second later.
    expect((await api("/api/options/delay/range=0.5-0.5")).command?.success).toBe(true);
    expect(server.delay.value).toBe(0.5);
    reply = await api("/api/options/delay/value=0");
    expect(reply.command).toEqual({ message: "options.delay.value='0' (0)", success: true });
    expect(server.delay.range).toBeUndefined();
    // The range's re-draw was due within 1 s of arming it; timers fire in due order, so this wait outlasts it.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(server.delay.value).toBe(0);
    expect((await api("/api/options")).data.options).toEqual({ delay: { range: null, value: 0 } });
  });

  it("setting the delay value of a ReplyDelay ends its range (the library, not just the API)", async () => {
    await start({ min: 0.5, max: 0.5 });
    server.delay.value = 0.125;
    expect(server.delay.range).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(server.delay.value).toBe(0.125);
  });
});

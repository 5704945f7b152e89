/**
 * Real WAMP peers through our router: autobahn-js (npm `autobahn` 22, ws 7, JSON and msgpack) and autobahn-python
 * (Debian's, under Twisted) as callers of the runtime and as a callee our client calls; WAMP-CRA with plain and
 * salted secrets, and refusals of a wrong secret, an unknown authid and a HELLO without wampcra.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import autobahn, { type Connection, type Session } from "autobahn";
import { WebSocket } from "ws";
import {
  connectPlc,
  decodeMsgpack,
  encodeMsgpack,
  type PlcClient,
  PlcService,
  startWampCallee,
  startWampRouter,
  type WampCallee,
  type WampCalleeOptions,
  type WampRouter,
  type WampRouterOptions,
} from "../src/index.js";
import { programBytes, removeWorkdirs, workdir } from "./support/helpers.js";

jest.setTimeout(120_000);

// autobahn-js logs each close (its own `log.warn`) and each error its callee raises (console.error); the tests assert
// outcomes instead.
const quiet = (autobahn as unknown as { log: { warn: (...a: unknown[]) => void } }).log;
const loud = quiet.warn;
beforeAll(() => {
  quiet.warn = () => undefined;
  jest.spyOn(console, "error").mockImplementation(() => undefined);
});
afterAll(() => {
  quiet.warn = loud;
  jest.restoreAllMocks();
});

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await removeWorkdirs();
});

const SERIALIZERS = ["json", "msgpack"] as const;
type Serializer = (typeof SERIALIZERS)[number];

/** Resolves `promise`, or rejects with `what` after `ms`. */
function within<T>(promise: Promise<T>, what: string, ms = 20_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms);
    }),
  ]);
}

async function router(options: WampRouterOptions = {}): Promise<WampRouter> {
  const r = await startWampRouter({ port: 0, ...options });
  cleanups.push(() => r.close());
  return r;
}

/** A service with a program loaded (status Stopped), registered as `id` with the router at `url`. */
async function service(
  url: string,
  id: string,
  extra: Partial<WampCalleeOptions> = {},
): Promise<{ service: PlcService; callee: WampCallee; logs: string[] }> {
  let callee: WampCallee | undefined;
  const logs: string[] = [];
  const s = await PlcService.start({
    workdir: await workdir(),
    port: 0,
    onEvent: (e) => {
      if (e.kind === "status") callee?.publishStatus(e.status);
    },
  });
  cleanups.push(() => s.quit("test over"));
  const local = await connectPlc(s.uri, { timeoutMs: 5000 });
  expect(await local.transfer(programBytes({ parts: [] }))).toBe(true);
  await local.close();
  callee = startWampCallee({
    url,
    id,
    target: s.target,
    reconnectMs: 50,
    log: (l) => logs.push(l),
    ...extra,
  });
  cleanups.push(() => callee?.close());
  return { service: s, callee, logs };
}

async function client(uri: string, options: Parameters<typeof connectPlc>[1] = {}): Promise<PlcClient> {
  const c = await connectPlc(uri, { timeoutMs: 5000, ...options });
  cleanups.push(() => c.close());
  return c;
}

/** An autobahn-js connection; `session` resolves on the first join, `closed` on a close it will not retry. */
function autobahnJs(
  url: string,
  serializer: Serializer,
  extra: Partial<ConstructorParameters<typeof Connection>[0]> = {},
): {
  connection: Connection;
  session: Promise<Session>;
  joins: Session[];
  closed: Promise<[string, unknown]>;
} {
  const connection = new autobahn.Connection({
    url,
    realm: "Automation",
    serializers: [
      serializer === "json"
        ? new autobahn.serializer.JSONSerializer()
        : new autobahn.serializer.MsgpackSerializer(),
    ],
    max_retries: 0,
    ...extra,
  });
  const joins: Session[] = [];
  let joined!: (s: Session) => void;
  let closedWith!: (v: [string, unknown]) => void;
  const session = new Promise<Session>((resolve) => {
    joined = resolve;
  });
  const closed = new Promise<[string, unknown]>((resolve) => {
    closedWith = resolve;
  });
  connection.onopen = (s) => {
    joins.push(s);
    joined(s);
  };
  connection.onclose = (reason, details) => {
    if (!(details as { will_retry?: boolean }).will_retry) closedWith([reason, details]);
    return undefined;
  };
  connection.open();
  cleanups.push(async () => {
    if (connection.isOpen) {
      connection.close();
      await within(closed, "autobahn-js close", 5000).catch(() => undefined);
    }
  });
  return { connection, session, joins, closed };
}

/** A queue of `<id>.status` events an autobahn-js session receives. */
async function statusEvents(session: Session, id: string): Promise<() => Promise<unknown>> {
  const seen: unknown[] = [];
  let wake: (() => void) | undefined;
  await session.subscribe(`${id}.status`, (args) => {
    seen.push(args[0]);
    wake?.();
  });
  return () =>
    within(
      new Promise<unknown>((resolve) => {
        const check = (): void => {
          if (seen.length === 0) return;
          wake = undefined;
          resolve(seen.shift());
        };
        wake = check;
        check();
      }),
      "status event",
    );
}

/** Runs the autobahn-python peer (test/support/wamp_peer.py); resolves its JSON lines and exit code. */
function autobahnPython(
  url: string,
  id: string,
  serializer: Serializer,
  auth?: [string, string],
): Promise<{ code: number | null; lines: unknown[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      "/usr/bin/python3",
      [join(__dirname, "support", "wamp_peer.py"), url, "Automation", id, serializer, ...(auth ?? [])],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    let err = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`autobahn-python peer hung: ${out} ${err}`));
    }, 60_000);
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      err += c.toString();
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      try {
        const lines = out
          .split("\n")
          .filter((l) => l.startsWith("["))
          .map((l) => JSON.parse(l) as unknown);
        resolve({ code, lines });
      } catch {
        reject(new Error(`autobahn-python peer printed ${out}; stderr ${err}`));
      }
    });
  });
}

/** A raw msgpack peer: sends a HELLO with `details` and resolves each message, and whether the socket closed. */
async function rawHello(url: string, details: Record<string, unknown>) {
  const socket = new WebSocket(url, ["wamp.2.msgpack"]);
  cleanups.push(() => socket.terminate());
  const inbox: unknown[][] = [];
  let wake: (() => void) | undefined;
  socket.on("message", (data: Buffer) => {
    inbox.push(decodeMsgpack(data) as unknown[]);
    wake?.();
  });
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  await within(new Promise((resolve) => socket.once("open", resolve)), "raw open");
  socket.send(encodeMsgpack([1, "Automation", { roles: { caller: {} }, ...details }]));
  return {
    send: (m: unknown[]) => socket.send(encodeMsgpack(m)),
    next: () =>
      within(
        new Promise<unknown[]>((resolve) => {
          const check = (): void => {
            const m = inbox.shift();
            if (m === undefined) return;
            wake = undefined;
            resolve(m);
          };
          wake = check;
          check();
        }),
        "raw WAMP message",
      ),
    closed,
  };
}

describe("autobahn-js (npm) through our router", () => {
  it.each(SERIALIZERS)(
    "calls <ID>.GetPLCstatus, StartPLC and StopPLC and receives <ID>.status events (%s)",
    async (ser) => {
      const r = await router();
      const { callee } = await service(r.url, "plc1");
      await within(callee.firstJoin, "runtime join");
      const ab = autobahnJs(r.url, ser);
      const session = await within(ab.session, "autobahn-js join");
      const next = await statusEvents(session, "plc1");
      const status = (await session.call("plc1.GetPLCstatus")) as [string, number[]];
      expect(status[0]).toBe("Stopped");
      expect(status[1]).toHaveLength(4);
      expect(await session.call("plc1.StartPLC")).toBe(true);
      expect(await next()).toBe("Started");
      expect(((await session.call("plc1.GetPLCstatus")) as [string])[0]).toBe("Started");
      expect(await session.call("plc1.StopPLC")).toBe(true);
      expect(await next()).toBe("Stopped");
      await expect(session.call("plc1.NoSuchMethod")).rejects.toMatchObject({
        error: "wamp.error.no_such_procedure",
      });
    },
  );

  it("keeps working across a router restart: the runtime registers again and autobahn-js reconnects", async () => {
    const first = await startWampRouter({ port: 0 });
    const port = first.port;
    const { callee, logs } = await service(first.url, "plc2");
    await within(callee.firstJoin, "runtime join");
    const ab = autobahnJs(first.url, "msgpack", {
      max_retries: -1,
      initial_retry_delay: 0.05,
      max_retry_delay: 0.3,
      retry_delay_growth: 1.2,
    });
    const session = await within(ab.session, "autobahn-js join");
    expect(((await session.call("plc2.GetPLCstatus")) as [string])[0]).toBe("Stopped");
    await first.close();
    const again = await router({ port });
    // Both ends reconnect by themselves; poll (with a deadline) until a call through the new router answers.
    const deadline = Date.now() + 30_000;
    let answer: unknown;
    while (answer === undefined && Date.now() < deadline) {
      const s = ab.joins.at(-1);
      if (ab.joins.length > 1 && s) answer = await s.call("plc2.GetPLCstatus").catch(() => undefined);
      if (answer === undefined) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect((answer as [string])?.[0]).toBe("Stopped");
    expect(ab.joins.length).toBeGreaterThan(1);
    expect(logs.filter((l) => l.startsWith("wamp joined")).length).toBeGreaterThanOrEqual(2);
    expect(again.url).toBe(first.url);
  });

  it.each(SERIALIZERS)(
    "an autobahn-js callee (%s) is called by our WAMP:// client, msgpack and JSON",
    async (ser) => {
      const r = await router();
      const ab = autobahnJs(r.url, ser);
      const session = await within(ab.session, "autobahn-js join");
      await session.register("abplc.GetPLCstatus", () => ["Stopped", [1, 2, 3, 4]]);
      await session.register("abplc.GetPLCID", () => ["abplc", "é".repeat(40)]);
      await session.register("abplc.StartPLC", () => {
        throw new autobahn_error("wamp.error.runtime_error", ["no program"]);
      });
      for (const protocol of ["wamp.2.msgpack", "wamp.2.json"]) {
        const c = await client(`WAMP://127.0.0.1:${r.port}/ws#Automation#abplc`, {
          wamp: { protocols: [protocol] },
        });
        expect(await c.GetPLCstatus()).toEqual(["Stopped", [1, 2, 3, 4]]);
        expect(await c.GetPLCID()).toEqual(["abplc", "é".repeat(40)]);
        expect(await c.StartPLC()).toBe(false);
        expect(c.lastError).toEqual({ code: "wamp.error.runtime_error", message: "no program" });
      }
    },
  );
});

/** autobahn-js's error class for a callee that fails with a URI. */
const autobahn_error = (autobahn as unknown as { Error: new (uri: string, args?: unknown[]) => Error }).Error;

describe("autobahn-python through our router", () => {
  it.each(SERIALIZERS)("calls the runtime and receives <ID>.status events (%s)", async (ser) => {
    const r = await router();
    const { callee } = await service(r.url, "plc3");
    await within(callee.firstJoin, "runtime join");
    expect(await autobahnPython(r.url, "plc3", ser)).toEqual({
      code: 0,
      lines: [
        ["joined", "anonymous", "anonymous"],
        ["status", ["Stopped", [0, 0, 0, 0]]],
        ["start", true],
        ["event", "Started"],
        ["stop", true],
        ["event", "Stopped"],
      ],
    });
  });
});

describe("WAMP-CRA", () => {
  const AUTH = {
    Automation: {
      plc4: { secret: "runtime-secret" },
      ide: { secret: "ide-secret", salt: "pepper", iterations: 100, keylen: 32 },
      scada: { secret: "scada-secret" },
    },
  };

  it("the runtime, our client, autobahn-js and autobahn-python authenticate (plain and salted secrets)", async () => {
    const r = await router({ auth: AUTH });
    const { callee } = await service(r.url, "plc4", { auth: { authid: "plc4", secret: "runtime-secret" } });
    await within(callee.firstJoin, "runtime join with wampcra");
    const uri = `WAMP://127.0.0.1:${r.port}/ws#Automation#plc4`;
    for (const protocol of ["wamp.2.msgpack", "wamp.2.json"]) {
      const c = await client(uri, {
        wamp: { auth: { authid: "ide", secret: "ide-secret" }, protocols: [protocol] },
      });
      expect((await c.GetPLCstatus())[0]).toBe("Stopped");
    }
    for (const [authid, secret] of [
      ["scada", "scada-secret"],
      ["ide", "ide-secret"],
    ] as const)
      for (const ser of SERIALIZERS) {
        const ab = autobahnJs(r.url, ser, {
          authmethods: ["wampcra"],
          authid,
          onchallenge: (_s, method, extra) => {
            expect(method).toBe("wampcra");
            const key =
              typeof extra.salt === "string"
                ? autobahn.auth_cra.derive_key(
                    secret,
                    extra.salt,
                    extra.iterations as number,
                    extra.keylen as number,
                  )
                : secret;
            return autobahn.auth_cra.sign(key, extra.challenge as string);
          },
        });
        const session = await within(ab.session, `autobahn-js ${authid} ${ser}`);
        expect(((await session.call("plc4.GetPLCstatus")) as [string])[0]).toBe("Stopped");
        ab.connection.close();
        await within(ab.closed, "autobahn-js close");
      }
    const py = await autobahnPython(r.url, "plc4", "msgpack", ["ide", "ide-secret"]);
    expect(py.code).toBe(0);
    expect(py.lines[0]).toEqual(["joined", "wampcra", "ide"]);
    expect(py.lines.at(-1)).toEqual(["event", "Stopped"]);
    const plain = await autobahnPython(r.url, "plc4", "json", ["scada", "scada-secret"]);
    expect(plain.lines[0]).toEqual(["joined", "wampcra", "scada"]);
    expect(plain.code).toBe(0);
  });

  it("a wrong secret, an unknown authid or no wampcra gets ABORT wamp.error.not_authorized and never a session", async () => {
    const r = await router({ auth: AUTH });
    // Raw: the router challenges, then aborts and closes; a CALL after that is never answered.
    for (const authid of ["scada", "nobody"]) {
      const raw = await rawHello(r.url, { authmethods: ["wampcra"], authid });
      const challenge = await raw.next();
      expect(challenge.slice(0, 2)).toEqual([4, "wampcra"]);
      raw.send([5, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", {}]);
      const abort = await raw.next();
      expect([abort[0], abort[2]]).toEqual([3, "wamp.error.not_authorized"]);
      await within(raw.closed, "router closes the refused socket");
    }
    const anonymous = await rawHello(r.url, {});
    const abort = await anonymous.next();
    expect([abort[0], abort[2]]).toEqual([3, "wamp.error.not_authorized"]);
    await within(anonymous.closed, "router closes the anonymous socket");

    // The runtime with a wrong secret never registers (and says why); a call finds no procedure.
    const { logs } = await service(r.url, "plc5", { auth: { authid: "plc4", secret: "wrong" } });
    const good = await service(r.url, "plc4", { auth: { authid: "plc4", secret: "runtime-secret" } });
    await within(good.callee.firstJoin, "runtime join");
    const deadline = Date.now() + 10_000;
    while (!logs.some((l) => l.includes("not_authorized")) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(logs.some((l) => l.includes("wamp.error.not_authorized"))).toBe(true);
    expect(logs.some((l) => l.startsWith("wamp joined"))).toBe(false);

    // Our client with a wrong secret: Disconnected, as for any transport failure.
    const bad = await client(`WAMP://127.0.0.1:${r.port}/ws#Automation#plc4`, {
      wamp: { auth: { authid: "ide", secret: "nope" } },
    });
    expect((await bad.GetPLCstatus())[0]).toBe("Disconnected");

    // autobahn-js and autobahn-python with a wrong secret.
    const ab = autobahnJs(r.url, "msgpack", {
      authmethods: ["wampcra"],
      authid: "scada",
      onchallenge: (_s, _m, extra) => autobahn.auth_cra.sign("wrong", extra.challenge as string),
    });
    const [, details] = await within(ab.closed, "autobahn-js refused");
    expect((details as { reason?: string }).reason).toBe("wamp.error.not_authorized");
    expect(ab.joins).toHaveLength(0);
    const py = await autobahnPython(r.url, "plc4", "json", ["ide", "wrong"]);
    expect(py.lines).toEqual([["leave", "wamp.error.not_authorized"]]);
  });
});

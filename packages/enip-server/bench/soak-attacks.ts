/**
 * The soak campaign's load: a normal client (`@cpppo/enip-client`) that writes and reads a tag at a steady rate and
 * times every operation, a swarm of sessions with reconnect storms, and the idle and half-frame socket floods.
 * Loopback only; every wait has a deadline; nothing here throws for what the server does.
 */
import { connect, type Socket } from "node:net";
import {
  decodeEnipMessage,
  EnipFramer,
  encodeEncapsulation,
  encodeSendRRData,
  readTagRequest,
} from "@cpppo/cip-codec";
// The client is a sibling package that depends on this one (its tests run our server), so it is reached by path.
import { EnipClient } from "../../enip-client/src/index.js";
import { SOAK_READ_ELEMENTS, SOAK_READ_TAG, SOAK_WATCH_ELEMENTS, SOAK_WATCH_TAG } from "./soak-server.js";

const HOST = "127.0.0.1";
const MAX_MESSAGES = 20;

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The p-th percentile (0..100) of sorted `values`; NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

/** p50, p99 and max of `values`, milliseconds. */
export function latencySummary(values: readonly number[]): {
  p50: number;
  p99: number;
  max: number;
  n: number;
} {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
    n: sorted.length,
  };
}

/** A list of messages that keeps the first few and counts the rest. */
export class Findings {
  count = 0;
  readonly messages: string[] = [];
  add(message: string): void {
    this.count++;
    if (this.messages.length < MAX_MESSAGES) this.messages.push(message);
  }
}

/**
 * The normal client: every `intervalMs` one operation, alternately Write Tag SoakWatch[i] = v and Read Tag
 * SoakWatch[i] (checked against v), each timed. Operations never overlap; a slow one delays the next. Latencies go
 * to the bucket `bucket` names at the time the operation started.
 */
export class NormalClient {
  readonly latencies = new Map<string, number[]>();
  readonly errors = new Findings();
  bucket = "baseline";
  operations = 0;
  private stopped = false;
  private running: Promise<void> | undefined;
  private client: EnipClient | undefined;

  constructor(
    private readonly port: number,
    private readonly intervalMs: number,
    private readonly timeoutMs = 5000,
  ) {}

  async start(): Promise<void> {
    this.client = await EnipClient.connect({
      host: HOST,
      port: this.port,
      timeout: this.timeoutMs,
      connectTimeout: this.timeoutMs,
      reconnect: true,
    });
    this.running = this.loop(this.client);
  }

  private record(ms: number): void {
    const list = this.latencies.get(this.bucket);
    if (list === undefined) this.latencies.set(this.bucket, [ms]);
    else list.push(ms);
  }

  private async loop(client: EnipClient): Promise<void> {
    let round = 0;
    let next = performance.now();
    while (!this.stopped) {
      round++;
      const element = round % SOAK_WATCH_ELEMENTS;
      const tag = `${SOAK_WATCH_TAG}[${element}]`;
      const value = (round * 2654435761) | 0;
      for (const op of ["write", "read"] as const) {
        next += this.intervalMs;
        const started = performance.now();
        try {
          if (op === "write") {
            const result = await client.write(tag, [value], { type: "DINT" });
            if (!result.ok) this.errors.add(`write ${tag}: ${result.statusText}`);
          } else {
            const result = await client.read(tag);
            if (!result.ok) this.errors.add(`read ${tag}: ${result.statusText}`);
            else if (result.value[0] !== value)
              this.errors.add(`read ${tag}: ${String(result.value[0])}, wrote ${value}`);
          }
        } catch (err) {
          this.errors.add(`${op} ${tag}: ${(err as Error).message}`);
        }
        this.record(performance.now() - started);
        this.operations++;
        const wait = next - performance.now();
        if (wait > 0) await sleep(wait);
        else next = performance.now();
        if (this.stopped) break;
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
    await this.client?.close().catch(() => undefined);
  }
}

/** One connect + RegisterSession + read + close by a new client; undefined on success, else the reason. */
export async function probeNewClient(port: number, timeoutMs = 5000): Promise<string | undefined> {
  let client: EnipClient | undefined;
  try {
    client = await EnipClient.connect({ host: HOST, port, timeout: timeoutMs, connectTimeout: timeoutMs });
    const result = await client.read(`${SOAK_WATCH_TAG}[0]`);
    return result.ok ? undefined : `read: ${result.statusText}`;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await client?.close().catch(() => undefined);
  }
}

/** A TCP connection that hands out whole frames. */
class FramedSocket {
  readonly socket: Socket;
  private readonly framer = new EnipFramer();
  private readonly waiters = new Map<number, (frame: Uint8Array | undefined) => void>();
  closed = false;
  closedByUs = false;
  connected: Promise<boolean>;

  constructor(port: number) {
    this.socket = connect({ port, host: HOST, noDelay: true });
    this.connected = new Promise((resolve) => {
      this.socket.once("connect", () => resolve(true));
      this.socket.once("close", () => resolve(false));
    });
    this.socket.on("error", () => undefined);
    this.socket.on("data", (chunk: Buffer) => {
      let frames: Uint8Array[];
      try {
        frames = this.framer.push(chunk);
      } catch {
        this.socket.destroy();
        return;
      }
      for (const frame of frames) {
        if (frame.length < 24) continue;
        const key = new DataView(frame.buffer, frame.byteOffset + 12, 4).getUint32(0, true);
        const waiter = this.waiters.get(key);
        this.waiters.delete(key);
        waiter?.(frame);
      }
    });
    this.socket.on("close", () => {
      this.closed = true;
      for (const waiter of this.waiters.values()) waiter(undefined);
      this.waiters.clear();
    });
  }

  /** Sends `frame` (whose sender context starts with `key`, u32 LE) and waits up to `ms` for the reply. */
  request(frame: Uint8Array, key: number, ms: number): Promise<Uint8Array | undefined> {
    return new Promise((resolve) => {
      if (this.closed) return resolve(undefined);
      const timer = setTimeout(() => {
        this.waiters.delete(key);
        resolve(undefined);
      }, ms);
      this.waiters.set(key, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      this.socket.write(frame);
    });
  }

  destroy(): void {
    this.closedByUs = true;
    this.socket.destroy();
  }
}

function context(key: number): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setUint32(0, key, true);
  return bytes;
}

/** Options of `runSessionStorms`. */
export interface StormOptions {
  port: number;
  sessions: number;
  durationMs: number;
  /** Milliseconds between two storms (every session drops and registers again). */
  stormEveryMs: number;
  /** Milliseconds between two reads of one session. */
  readEveryMs: number;
  /** Milliseconds a RegisterSession or a read may take. */
  timeoutMs?: number;
}

/** What the sessions saw. */
export interface StormReport {
  storms: number;
  registers: number;
  reads: number;
  /** Frames sent: RegisterSession, reads and UnRegisterSession. */
  frames: number;
  errors: Findings;
  readLatencies: number[];
  ms: number;
}

/**
 * `sessions` sessions on their own connections, each reading SoakRead every `readEveryMs` (first read at a random
 * offset), and every `stormEveryMs` a storm: all drop at once (half with UnRegisterSession and a FIN, half with a
 * reset) and register again straight away. An unanswered RegisterSession or read, an error status or a connection
 * the server closed is an error.
 */
export async function runSessionStorms(options: StormOptions): Promise<StormReport> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const report: StormReport = {
    storms: 0,
    registers: 0,
    reads: 0,
    frames: 0,
    errors: new Findings(),
    readLatencies: [],
    ms: 0,
  };
  const started = performance.now();
  const end = started + options.durationMs;
  let storm = 0;
  let stormSignal: () => void = () => undefined;
  let stormed = new Promise<void>((resolve) => {
    stormSignal = resolve;
  });
  let nextKey = 1;

  async function session(index: number): Promise<void> {
    while (performance.now() < end) {
      const generation = storm;
      const sock = new FramedSocket(options.port);
      if (!(await sock.connected)) {
        report.errors.add(`session ${index}: could not connect`);
        sock.destroy();
        await sleep(1000);
        continue;
      }
      const key = nextKey++;
      const reply = await sock.request(
        encodeEncapsulation({
          header: { senderContext: context(key) },
          body: { command: "registerSession", protocolVersion: 1, optionFlags: 0 },
        }),
        key,
        timeoutMs,
      );
      report.frames++;
      const handle = reply === undefined ? undefined : decodeEnipMessage(reply).header;
      if (handle === undefined || handle.status !== 0) {
        report.errors.add(
          `session ${index}: RegisterSession ${reply === undefined ? `not answered within ${timeoutMs} ms` : `status ${handle?.status}`}`,
        );
        sock.destroy();
        continue;
      }
      report.registers++;
      let first = true;
      while (performance.now() < end && storm === generation && !sock.closed) {
        const wait = first ? Math.random() * options.readEveryMs : options.readEveryMs;
        first = false;
        await Promise.race([sleep(Math.min(wait, Math.max(0, end - performance.now()))), stormed]);
        if (performance.now() >= end || storm !== generation || sock.closed) break;
        const readKey = nextKey++;
        const element = index % SOAK_READ_ELEMENTS;
        const t0 = performance.now();
        const got = await sock.request(
          encodeSendRRData({
            session: handle.session,
            senderContext: context(readKey),
            timeout: 5,
            message: readTagRequest([{ symbolic: SOAK_READ_TAG }, { element }], 1),
          }),
          readKey,
          timeoutMs,
        );
        report.frames++;
        if (got === undefined) {
          if (!sock.closed) report.errors.add(`session ${index}: no reply to a read within ${timeoutMs} ms`);
          break;
        }
        const cip = decodeEnipMessage(got).cip as { generalStatus?: number } | undefined;
        if (cip?.generalStatus !== 0)
          report.errors.add(`session ${index}: read status ${cip?.generalStatus}`);
        else {
          report.reads++;
          report.readLatencies.push(performance.now() - t0);
        }
      }
      if (sock.closed && !sock.closedByUs && performance.now() < end)
        report.errors.add(`session ${index}: the server closed the connection`);
      if (index % 2 === 0 && !sock.closed) {
        sock.socket.end(
          encodeEncapsulation({
            header: { session: handle.session },
            body: { command: "unRegisterSession" },
          }),
        );
        report.frames++;
        sock.closedByUs = true;
      } else sock.destroy();
    }
  }

  const stormer = (async () => {
    for (;;) {
      const left = end - performance.now();
      if (left <= options.stormEveryMs * 0.5) return;
      await sleep(Math.min(options.stormEveryMs, left));
      // No storm in the last quarter interval: the sessions would be ending rather than registering again.
      if (end - performance.now() < options.stormEveryMs * 0.25) return;
      storm++;
      report.storms++;
      const signal = stormSignal;
      stormed = new Promise<void>((resolve) => {
        stormSignal = resolve;
      });
      signal();
    }
  })();
  await Promise.all(Array.from({ length: options.sessions }, (_, i) => session(i)));
  await stormer;
  report.ms = performance.now() - started;
  return report;
}

/** Options of `runFlood`. */
export interface FloodOptions {
  port: number;
  /** Sockets to hold open. */
  sockets: number;
  /** What each socket sends once connected (nothing for the idle flood). */
  send?: Uint8Array;
  durationMs: number;
  /** Milliseconds after the server closes a socket before it is opened again (the flood keeps its size). */
  reopenMs?: number;
  /** Sockets connecting at once. */
  concurrency?: number;
}

/** What a flood saw. */
export interface FloodReport {
  /** Connections opened over the whole flood (reopenings included). */
  opened: number;
  /** Peak of sockets held open at once. */
  peakOpen: number;
  /** Sockets the server closed (reset or FIN) while the flood held them. */
  closedByServer: number;
  /** Connection attempts that failed (refused or reset before connecting). */
  failedConnects: number;
  ms: number;
}

/**
 * Holds `sockets` connections to the server for `durationMs`, each sending `send` (if any) and then nothing; a
 * socket the server closes is opened again after `reopenMs`. All are destroyed at the end.
 */
export async function runFlood(options: FloodOptions): Promise<FloodReport> {
  const reopenMs = options.reopenMs ?? 1000;
  const concurrency = options.concurrency ?? 256;
  const report: FloodReport = { opened: 0, peakOpen: 0, closedByServer: 0, failedConnects: 0, ms: 0 };
  const started = performance.now();
  const end = started + options.durationMs;
  const live = new Set<Socket>();
  let open = 0;
  let stopping = false;
  const timers = new Set<NodeJS.Timeout>();

  const openOne = (): Promise<void> =>
    new Promise((resolve) => {
      if (stopping) return resolve();
      const socket = connect({ port: options.port, host: HOST });
      live.add(socket);
      let connected = false;
      socket.on("error", () => undefined);
      socket.once("connect", () => {
        connected = true;
        report.opened++;
        open++;
        report.peakOpen = Math.max(report.peakOpen, open);
        if (options.send !== undefined) socket.write(options.send);
        resolve();
      });
      socket.once("close", () => {
        live.delete(socket);
        if (connected) open--;
        else {
          report.failedConnects++;
          resolve();
        }
        if (stopping) return;
        if (connected) report.closedByServer++;
        const timer = setTimeout(() => {
          timers.delete(timer);
          void openOne();
        }, reopenMs);
        timers.add(timer);
      });
    });

  for (let i = 0; i < options.sockets && performance.now() < end; i += concurrency)
    await Promise.all(Array.from({ length: Math.min(concurrency, options.sockets - i) }, openOne));
  const left = end - performance.now();
  if (left > 0) await sleep(left);
  stopping = true;
  for (const timer of timers) clearTimeout(timer);
  for (const socket of live) socket.destroy();
  report.ms = performance.now() - started;
  return report;
}

/** A SendRRData header promising 65,535 bytes of data, and none of them. */
export function halfFrameHeader(): Uint8Array {
  const header = new Uint8Array(24);
  const view = new DataView(header.buffer);
  view.setUint16(0, 0x6f, true);
  view.setUint16(2, 0xffff, true);
  return header;
}

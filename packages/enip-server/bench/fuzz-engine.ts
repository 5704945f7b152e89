/**
 * Hostile traffic for a running EnipServer, shared by the fuzz script (bench/fuzz.ts, ≥ 1M frames) and
 * the test suite (a smaller run): real frames (ones a client sends to the fuzz controller's tags, the
 * codec's vectors, the real ControlLogix capture), mutated by the codec's mutation engine, sent over
 * several TCP connections and some as UDP datagrams, while a watcher on its own connection keeps
 * writing and reading a tag no mutant names and checks every value.
 *
 * Most mutants get their encapsulation length fixed and the live session handle patched in, so they
 * reach the command and CIP handlers instead of being rejected at the door; the rest keep their
 * hostile length (or are shorter than a header) and are sent as a connection's last frame, since they
 * put the stream out of step. After each batch a ListServices with a unique context must be answered
 * within `syncTimeoutMs`, or the connection is dropped and reopened (counted as `syncTimeouts`).
 */
import { createSocket } from "node:dgram";
import { readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type CipMessage,
  decodeEnipMessage,
  EnipFramer,
  type EPath,
  encodeEncapsulation,
  encodeSendRRData,
  encodeSendUnitData,
  encodeValues,
  forwardCloseRequest,
  forwardOpenRequest,
  fromHex,
  getAttributeListRequest,
  getAttributeSingleRequest,
  getAttributesAllRequest,
  getInstanceAttributeListRequest,
  INT,
  type JsonDataType,
  LOGIX_STRING,
  multipleServicePacket,
  REAL,
  readModifyWriteTagRequest,
  readTagFragmentedRequest,
  readTagRequest,
  readTemplateRequest,
  unconnectedSend,
  writeTagFragmentedRequest,
  writeTagRequest,
} from "@cpppo/cip-codec";
import { mutate, prng } from "../../cip-codec/test/support/mutate.js";

// Jest runs this file as CommonJS (__dirname); the fuzz script runs it as an ES module (import.meta).
const here = typeof __dirname === "string" ? __dirname : dirname(fileURLToPath(import.meta.url));
const FIXTURES = join(here, "..", "..", "cip-codec", "fixtures");

/** The tag the watcher writes and reads; no seed names it, so no mutant can change it. */
export const WATCH_TAG = "FuzzWatch";
const WATCH_ELEMENTS = 4;

/** The ExampleSensor UDT of the codec's fixtures (pycomm3 JSON form). */
export function exampleSensorUdt(): JsonDataType {
  const tags = JSON.parse(readFileSync(join(FIXTURES, "ExampleSensor-tags.json"), "utf8")) as Record<
    string,
    { data_type: JsonDataType }
  >;
  const udt = tags.Input_MSG_ExampleSensor?.data_type;
  if (udt === undefined) throw new Error("ExampleSensor-tags.json has no Input_MSG_ExampleSensor");
  return udt;
}

/** Tag definitions of the fuzz controller (with `exampleSensorUdt()` as its UDT): every seed's target, and the watcher's tag. */
export const FUZZ_TAGS: readonly string[] = [
  "SCADA=INT[1000]",
  "D=DINT",
  "R=REAL",
  "S=STRING",
  "Sensor=Example_SENSOR[2]",
  "Program:Main.Local=INT[3]",
  `${WATCH_TAG}=DINT[${WATCH_ELEMENTS}]`,
];

const ZERO_CONTEXT = new Uint8Array(8);
const SYMBOL = (name: string): EPath => [{ symbolic: name }];
const BACKPLANE: EPath = [{ port: 1, link: 0 }];

/** Frames a real client would send to the fuzz controller, session 0 (patched when sent). */
function clientFrames(): Uint8Array[] {
  const session = 0;
  const rr = (message: CipMessage): Uint8Array =>
    encodeSendRRData({ session, senderContext: ZERO_CONTEXT, timeout: 5, message });
  const ints = encodeValues(INT, [1, -2, 3]);
  const messages: CipMessage[] = [
    readTagRequest([{ symbolic: "SCADA" }, { element: 5 }], 10),
    readTagFragmentedRequest(SYMBOL("SCADA"), 1000, 488),
    writeTagRequest([{ symbolic: "SCADA" }, { element: 1 }], { type: 0xc3 }, 3, ints),
    writeTagFragmentedRequest(SYMBOL("SCADA"), { type: 0xc3 }, 1000, 996, ints),
    writeTagRequest(SYMBOL("D"), { type: 0xc4 }, 1, new Uint8Array([1, 2, 3, 4])),
    writeTagRequest(SYMBOL("R"), { type: 0xca }, 1, encodeValues(REAL, [1.5])),
    readModifyWriteTagRequest(
      SYMBOL("D"),
      new Uint8Array([1, 0, 0, 0]),
      new Uint8Array([0xff, 0xff, 0xff, 0xfe]),
    ),
    readTagRequest(SYMBOL("S"), 1),
    writeTagRequest(
      SYMBOL("S"),
      { type: 0x02a0, structureHandle: 0x0fce },
      1,
      encodeValues(LOGIX_STRING, ["fuzz"]),
    ),
    readTagRequest([{ symbolic: "Sensor" }, { element: 1 }], 1),
    readTagRequest([{ symbolic: "Sensor" }, { element: 0 }, { symbolic: "SENSOR_ID" }], 1),
    readTagRequest([{ symbolic: "Program:Main" }, { symbolic: "Local" }, { element: 1 }], 2),
    multipleServicePacket([
      readTagRequest(SYMBOL("D"), 1),
      readTagRequest([{ symbolic: "SCADA" }, { element: 999 }], 1),
      writeTagRequest(SYMBOL("R"), { type: 0xca }, 1, encodeValues(REAL, [2.5])),
      readTagRequest(SYMBOL("Missing"), 1),
    ]),
    getAttributesAllRequest([{ class: 0x01 }, { instance: 1 }]),
    getAttributeSingleRequest([{ class: 0x01 }, { instance: 1 }, { attribute: 7 }]),
    getAttributeListRequest([{ class: 0xf5 }, { instance: 1 }], [1, 2, 3, 5, 6]),
    getAttributeListRequest([{ class: 0x6c }, { instance: 0x100 }], [4, 5, 2, 1]),
    getAttributesAllRequest([{ class: 0x6b }, { instance: 0 }]),
    getInstanceAttributeListRequest(0, [1, 2, 8]),
    getInstanceAttributeListRequest(0, [1, 2], "Program:Main"),
    readTemplateRequest(0x100, 200, 0),
    unconnectedSend(readTagRequest(SYMBOL("D"), 1), BACKPLANE),
    unconnectedSend(getAttributesAllRequest([{ class: 0x01 }, { instance: 1 }]), BACKPLANE),
    forwardOpenRequest({
      connectionSerial: 0x1234,
      originatorVendor: 0x1337,
      originatorSerial: 0xc0ffee,
      connectionPath: [...BACKPLANE, { class: 0x02 }, { instance: 1 }],
    }),
    forwardOpenRequest({
      connectionSerial: 0x1235,
      originatorVendor: 0x1337,
      originatorSerial: 0xc0ffee,
      size: 4002,
      connectionPath: [...BACKPLANE, { class: 0x02 }, { instance: 1 }],
    }),
    forwardCloseRequest({
      connectionSerial: 0x1234,
      originatorVendor: 0x1337,
      originatorSerial: 0xc0ffee,
      connectionPath: [...BACKPLANE, { class: 0x02 }, { instance: 1 }],
    }),
  ];
  const frames = messages.map(rr);
  frames.push(
    encodeSendUnitData({
      session,
      connectionId: 0x12345678,
      sequence: 2,
      message: readTagRequest(SYMBOL("D"), 1),
    }),
    encodeEncapsulation({ body: { command: "registerSession", protocolVersion: 1, optionFlags: 0 } }),
    encodeEncapsulation({ body: { command: "listIdentity" } }),
    encodeEncapsulation({ body: { command: "listServices" } }),
    encodeEncapsulation({ body: { command: "listInterfaces" } }),
    encodeEncapsulation({ body: { command: "nop", data: new Uint8Array([1, 2, 3, 4]) } }),
  );
  return frames;
}

/** Requests of the codec's vectors and of the real ControlLogix capture, as sent on the wire. */
function recordedFrames(): Uint8Array[] {
  const vectors = JSON.parse(readFileSync(join(FIXTURES, "enip-vectors.json"), "utf8")) as {
    frame: string;
    hex: string;
    direction?: string;
  }[];
  const capture = JSON.parse(
    readFileSync(join(FIXTURES, "controllogix-SCADA-read-write.frames.json"), "utf8"),
  ) as {
    frames: { direction: string; tcp_payload_hex: string }[];
  };
  return [
    ...vectors
      .filter((v) => v.frame === "full" && v.hex.length > 0 && v.direction !== "reply")
      .map((v) => fromHex(v.hex)),
    ...capture.frames.filter((f) => f.direction === "request").map((f) => fromHex(f.tcp_payload_hex)),
  ];
}

/** Every seed frame: what clients send to the fuzz controller, the codec's vectors and the real capture. */
export function fuzzSeeds(): Uint8Array[] {
  return [...clientFrames(), ...recordedFrames()];
}

/** Where the server under fuzz listens. */
export interface FuzzTarget {
  host: string;
  tcpPort: number;
  /** UDP port; no UDP frames are sent when absent. */
  udpPort?: number;
}

/** Options of `fuzzServer`. */
export interface FuzzOptions {
  /** Mutated frames to send in all (TCP and UDP). */
  frames: number;
  /** PRNG seed; a run is reproducible per seed (scheduling aside). */
  seed: number;
  /** Concurrent fuzzing TCP connections; defaults to 4. */
  connections?: number;
  /** One frame in this many goes over UDP (when the target has a UDP port); defaults to 50. */
  udpEvery?: number;
  /** Mutants sent between two sync round trips; defaults to 32. */
  batch?: number;
  /** Milliseconds a sync ListServices may take before its connection is dropped; defaults to 250. */
  syncTimeoutMs?: number;
  /** Milliseconds any one watcher request may take; defaults to 2000. */
  watcherTimeoutMs?: number;
  /** Called about every `frames / 20` frames with the count sent so far. */
  onProgress?: (sent: number) => void;
}

/** What happened during a fuzz run; `watcherErrors` and `failures` must be empty for a pass. */
export interface FuzzReport {
  frames: number;
  tcpFrames: number;
  udpFrames: number;
  /** Frames the server answered over TCP (sync replies excluded). */
  tcpReplies: number;
  udpReplies: number;
  /** TCP connections opened by the fuzzers. */
  connections: number;
  /** Connections the server closed before the fuzzer meant to end them. */
  closedByServer: number;
  /** Syncs not answered in time: the stream was out of step (a hostile length waiting for its bytes). */
  syncTimeouts: number;
  /** Write-then-read round trips the watcher completed, each value checked. */
  watcherReads: number;
  watcherErrors: string[];
  /** Transport-level failures of the fuzzers (a reply the codec cannot frame, a refused connection). */
  failures: string[];
  ms: number;
}

const SYNC_MAGIC = 0x7a5f; // marks sync contexts: "z_" in the first two context bytes

/** A TCP socket with whole-frame delivery and deadline-bound waits. */
class FrameSocket {
  readonly socket: Socket;
  private readonly framer = new EnipFramer();
  private waiter: ((frame: Uint8Array | undefined) => void) | undefined;
  private match: ((frame: Uint8Array) => boolean) | undefined;
  closed = false;
  replies = 0;
  error: string | undefined;

  constructor(host: string, port: number) {
    this.socket = connect(port, host);
    this.socket.setNoDelay(true);
    this.socket.on("data", (chunk: Buffer) => {
      let frames: Uint8Array[];
      try {
        frames = this.framer.push(chunk);
      } catch (err) {
        this.error = `the server sent bytes the codec cannot frame: ${(err as Error).message}`;
        this.socket.destroy();
        return;
      }
      for (const frame of frames) {
        if (this.match?.(frame)) {
          const w = this.waiter;
          this.waiter = undefined;
          this.match = undefined;
          w?.(frame);
        } else this.replies++;
      }
    });
    this.socket.on("error", () => undefined);
    this.socket.on("close", () => {
      this.closed = true;
      const w = this.waiter;
      this.waiter = undefined;
      w?.(undefined);
    });
  }

  opened(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      if (this.closed) return resolve(false);
      const timer = setTimeout(() => resolve(false), ms);
      this.socket.once("connect", () => {
        clearTimeout(timer);
        resolve(true);
      });
      this.socket.once("close", () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
  }

  /** Writes `bytes` and waits (up to `ms`) for the first frame `match` accepts; undefined on timeout or close. */
  exchange(
    bytes: Uint8Array,
    match: (frame: Uint8Array) => boolean,
    ms: number,
  ): Promise<Uint8Array | undefined> {
    return new Promise((resolve) => {
      if (this.closed) return resolve(undefined);
      const timer = setTimeout(() => {
        this.waiter = undefined;
        this.match = undefined;
        resolve(undefined);
      }, ms);
      this.match = match;
      this.waiter = (frame) => {
        clearTimeout(timer);
        resolve(frame);
      };
      this.socket.write(bytes);
    });
  }

  /** Ends our side and waits (up to `ms`) for the server to close, then destroys the socket. */
  async end(ms: number): Promise<void> {
    if (!this.closed) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        this.socket.once("close", () => {
          clearTimeout(timer);
          resolve();
        });
        this.socket.end();
      });
    }
    this.socket.destroy();
  }
}

const commandOf = (frame: Uint8Array): number => (frame[0] as number) | ((frame[1] as number) << 8);
const contextWord = (frame: Uint8Array, at: number): number =>
  frame.length >= 24 ? new DataView(frame.buffer, frame.byteOffset + 12 + at, 4).getUint32(0, true) : -1;

/** Registers a session over `sock`; returns its handle, or undefined when the server did not answer in time. */
async function register(sock: FrameSocket, ms: number): Promise<number | undefined> {
  const request = encodeEncapsulation({
    header: { senderContext: new Uint8Array([0x52, 0x45, 0x47, 0, 0, 0, 0, 0]) },
    body: { command: "registerSession", protocolVersion: 1, optionFlags: 0 },
  });
  const reply = await sock.exchange(
    request,
    (f) => commandOf(f) === 0x65 && contextWord(f, 0) === 0x474552,
    ms,
  );
  if (reply === undefined) return undefined;
  const message = decodeEnipMessage(reply);
  return message.header.status === 0 ? message.header.session : undefined;
}

function syncFrame(n: number): Uint8Array {
  const context = new Uint8Array(8);
  const view = new DataView(context.buffer);
  view.setUint16(0, SYNC_MAGIC, true);
  view.setUint32(4, n, true);
  return encodeEncapsulation({ header: { senderContext: context }, body: { command: "listServices" } });
}

const isSync = (n: number) => (frame: Uint8Array) =>
  commandOf(frame) === 0x04 && (contextWord(frame, 0) & 0xffff) === SYNC_MAGIC && contextWord(frame, 4) === n;

/** Fixes a mutant's length field and patches `session` in (returns false when it must stay hostile). */
function tame(frame: Uint8Array, session: number, random: () => number): boolean {
  if (frame.length < 24 || frame.length - 24 > 0xffff || random() < 0.01) return false;
  const view = new DataView(frame.buffer, frame.byteOffset, frame.length);
  view.setUint16(2, frame.length - 24, true);
  if (random() < 0.9) view.setUint32(4, session, true);
  return true;
}

/**
 * Fuzzes the server at `target` with `options.frames` mutants while a watcher checks a tag, and
 * resolves with what happened. Never rejects for anything the server does; every wait has a deadline.
 */
export async function fuzzServer(target: FuzzTarget, options: FuzzOptions): Promise<FuzzReport> {
  const seeds = fuzzSeeds();
  const connectionsWanted = options.connections ?? 4;
  const udpEvery = target.udpPort === undefined ? 0 : (options.udpEvery ?? 50);
  const batch = options.batch ?? 32;
  const syncTimeoutMs = options.syncTimeoutMs ?? 250;
  const watcherTimeoutMs = options.watcherTimeoutMs ?? 2000;
  const progressEvery = Math.max(1, Math.floor(options.frames / 20));
  const report: FuzzReport = {
    frames: 0,
    tcpFrames: 0,
    udpFrames: 0,
    tcpReplies: 0,
    udpReplies: 0,
    connections: 0,
    closedByServer: 0,
    syncTimeouts: 0,
    watcherReads: 0,
    watcherErrors: [],
    failures: [],
    ms: 0,
  };
  const started = performance.now();
  let claimed = 0;
  let syncCounter = 0;
  let done = false;
  let nextProgress = progressEvery;
  const take = (n: number): number => {
    const k = Math.min(n, options.frames - claimed);
    claimed += k;
    return k;
  };
  const sent = (n: number): void => {
    report.frames += n;
    if (options.onProgress && report.frames >= nextProgress) {
      nextProgress += progressEvery;
      options.onProgress(report.frames);
    }
  };

  const udp = udpEvery > 0 ? createSocket("udp4") : undefined;
  udp?.on("message", () => {
    report.udpReplies++;
  });
  udp?.on("error", (err) => {
    report.failures.push(`udp: ${err.message}`);
  });

  async function fuzzer(index: number): Promise<void> {
    const random = prng(options.seed * 7919 + index);
    let udpTurn = 0;
    while (claimed < options.frames && report.failures.length === 0) {
      const sock = new FrameSocket(target.host, target.tcpPort);
      report.connections++;
      if (!(await sock.opened(2000))) {
        report.failures.push(`fuzzer ${index}: could not connect`);
        sock.socket.destroy();
        return;
      }
      const session = await register(sock, 2000);
      if (session === undefined) {
        report.failures.push(`fuzzer ${index}: RegisterSession was not answered within 2000 ms`);
        sock.socket.destroy();
        return;
      }
      let endedByUs = false;
      while (!sock.closed && claimed < options.frames) {
        const n = take(batch);
        const parts: Uint8Array[] = [];
        let hostile: Uint8Array | undefined;
        let used = 0;
        while (used < n) {
          // Mutants shorter than a header are out of step too; redraw most of them, so that a connection
          // carries a few dozen frames on average before a hostile one ends it.
          let frame = mutate(seeds, random);
          for (let redraw = 0; frame.length < 24 && redraw < 2; redraw++) frame = mutate(seeds, random);
          used++;
          if (udp !== undefined && ++udpTurn % udpEvery === 0) {
            udp.send(frame, target.udpPort, target.host);
            report.udpFrames++;
            continue;
          }
          if (tame(frame, session, random)) parts.push(frame);
          else {
            hostile = frame;
            break;
          }
        }
        claimed -= n - used;
        const payload = Buffer.concat(parts);
        if (hostile !== undefined) {
          // A frame out of step ends this connection: send it last, then half-close.
          sock.socket.write(Buffer.concat([payload, hostile]));
          report.tcpFrames += parts.length + 1;
          sent(used);
          endedByUs = true;
          await sock.end(syncTimeoutMs);
          break;
        }
        const sync = ++syncCounter;
        const answer = await sock.exchange(
          Buffer.concat([payload, syncFrame(sync)]),
          isSync(sync),
          syncTimeoutMs,
        );
        report.tcpFrames += parts.length;
        sent(used);
        if (answer === undefined) {
          if (!sock.closed) report.syncTimeouts++;
          break;
        }
      }
      if (sock.error !== undefined) report.failures.push(`fuzzer ${index}: ${sock.error}`);
      if (sock.closed && !endedByUs) report.closedByServer++;
      report.tcpReplies += sock.replies;
      sock.socket.destroy();
    }
  }

  async function watcher(): Promise<void> {
    const fail = (what: string): void => {
      report.watcherErrors.push(what);
    };
    const sock = new FrameSocket(target.host, target.tcpPort);
    if (!(await sock.opened(watcherTimeoutMs))) return fail("the watcher could not connect");
    const session = await register(sock, watcherTimeoutMs);
    if (session === undefined) return fail("the watcher's RegisterSession was not answered");
    const context = new Uint8Array(8);
    const contextView = new DataView(context.buffer);
    let round = 0;
    while (!done && report.watcherErrors.length < 10) {
      round++;
      const element = round % WATCH_ELEMENTS;
      const value = (round * 2654435761) | 0;
      const path: EPath = [{ symbolic: WATCH_TAG }, { element }];
      const data = new Uint8Array(4);
      new DataView(data.buffer).setInt32(0, value, true);
      contextView.setUint32(0, round * 2, true);
      const write = encodeSendRRData({
        session,
        senderContext: context,
        timeout: 5,
        message: writeTagRequest(path, { type: 0xc4 }, 1, data),
      });
      const wrote = await sock.exchange(write, (f) => contextWord(f, 0) === round * 2, watcherTimeoutMs);
      if (wrote === undefined) {
        fail(`round ${round}: no reply to Write Tag ${WATCH_TAG}[${element}] within ${watcherTimeoutMs} ms`);
        break;
      }
      const wr = decodeEnipMessage(wrote).cip as { generalStatus?: number } | undefined;
      if (wr?.generalStatus !== 0) fail(`round ${round}: Write Tag answered status ${wr?.generalStatus}`);
      contextView.setUint32(0, round * 2 + 1, true);
      const read = encodeSendRRData({
        session,
        senderContext: context,
        timeout: 5,
        message: readTagRequest(path, 1),
      });
      const got = await sock.exchange(read, (f) => contextWord(f, 0) === round * 2 + 1, watcherTimeoutMs);
      if (got === undefined) {
        fail(`round ${round}: no reply to Read Tag ${WATCH_TAG}[${element}] within ${watcherTimeoutMs} ms`);
        break;
      }
      const reply = decodeEnipMessage(got).cip as {
        generalStatus?: number;
        type?: number;
        data?: Uint8Array;
      };
      const bytes = reply.data;
      const readValue =
        bytes !== undefined && bytes.length === 4
          ? new DataView(bytes.buffer, bytes.byteOffset, 4).getInt32(0, true)
          : NaN;
      if (reply.generalStatus !== 0 || reply.type !== 0xc4 || readValue !== value)
        fail(
          `round ${round}: read status ${reply.generalStatus} type ${reply.type} value ${readValue}, wrote ${value}`,
        );
      else report.watcherReads++;
    }
    if (sock.error !== undefined) fail(`the watcher: ${sock.error}`);
    if (sock.closed && !done) fail("the server closed the watcher's connection");
    await sock.end(1000);
  }

  const watching = watcher();
  await Promise.all(Array.from({ length: connectionsWanted }, (_, i) => fuzzer(i)));
  done = true;
  await watching;
  await new Promise<void>((resolve) => (udp ? udp.close(() => resolve()) : resolve()));
  report.ms = performance.now() - started;
  return report;
}

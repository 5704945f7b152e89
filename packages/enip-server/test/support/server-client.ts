/**
 * Test helpers for the transport suites: a raw TCP client that sends codec-encoded frames and collects
 * whole reply frames, a UDP round trip, and small request builders. Every wait has a deadline.
 */
import { createSocket } from "node:dgram";
import { connect, type Socket } from "node:net";
import {
  type CipReply,
  type CipRequest,
  decodeEnipMessage,
  EnipFramer,
  type EnipMessage,
  type EPath,
  encodeEncapsulation,
  encodeSendRRData,
  encodeSendUnitData,
  readTagRequest,
  writeTagRequest,
} from "@cpppo/cip-codec";
import { Controller, type RequestContext } from "../../src/controller/controller.js";

/** Milliseconds any single wait in the suites may take. */
export const DEADLINE_MS = 3000;

export function withDeadline<T>(promise: Promise<T>, what: string, ms = DEADLINE_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A context of 8 bytes holding `n` (so replies can be matched to requests). */
export function context(n: number): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setUint32(0, n, true);
  return bytes;
}

export function contextNumber(message: EnipMessage): number {
  const c = message.header.senderContext;
  return new DataView(c.buffer, c.byteOffset, 8).getUint32(0, true);
}

/** Symbolic path of `name[index]`. */
export function tagPath(name: string, index?: number): EPath {
  return index === undefined ? [{ symbolic: name }] : [{ symbolic: name }, { element: index }];
}

export function readTag(name: string, index?: number, elements = 1): CipRequest {
  return readTagRequest(tagPath(name, index), elements);
}

/** A Write Tag of INT values. */
export function writeInts(name: string, index: number, values: number[]): CipRequest {
  const data = new Uint8Array(values.length * 2);
  const view = new DataView(data.buffer);
  values.forEach((v, i) => {
    view.setInt16(i * 2, v, true);
  });
  return writeTagRequest(tagPath(name, index), { type: 0xc3 }, values.length, data);
}

/** INT values of a Read Tag reply's data. */
export function ints(reply: CipReply): number[] {
  const data = (reply as { data: Uint8Array }).data;
  const view = new DataView(data.buffer, data.byteOffset, data.length);
  const out: number[] = [];
  for (let i = 0; i + 1 < data.length; i += 2) out.push(view.getInt16(i, true));
  return out;
}

/** A raw EtherNet/IP client over TCP. */
export class TestClient {
  session = 0;
  private readonly framer = new EnipFramer();
  private readonly frames: Uint8Array[] = [];
  private waiter: (() => void) | undefined;
  private ended = false;
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      for (const frame of this.framer.push(chunk)) this.frames.push(frame);
      this.wake();
    });
    socket.on("error", () => undefined);
    this.closed = new Promise((resolve) =>
      socket.on("close", () => {
        this.ended = true;
        this.wake();
        resolve();
      }),
    );
  }

  static connect(port: number, host = "127.0.0.1"): Promise<TestClient> {
    return withDeadline(
      new Promise<TestClient>((resolve, reject) => {
        const socket = connect({ port, host, noDelay: true });
        socket.once("connect", () => resolve(new TestClient(socket)));
        socket.once("error", reject);
      }),
      `a connection to ${host}:${port}`,
    );
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }

  send(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** The next whole frame; rejects when the connection closes first or the deadline passes. */
  async nextFrame(ms = DEADLINE_MS): Promise<Uint8Array> {
    const deadline = Date.now() + ms;
    for (;;) {
      const frame = this.frames.shift();
      if (frame !== undefined) return frame;
      if (this.ended) throw new Error("the server closed the connection");
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no frame within ${ms} ms`);
      await withDeadline(
        new Promise<void>((resolve) => {
          this.waiter = resolve;
        }),
        "a frame",
        left,
      );
    }
  }

  async next(ms = DEADLINE_MS): Promise<EnipMessage> {
    return decodeEnipMessage(await this.nextFrame(ms));
  }

  /** Frames received and not yet taken. */
  get pending(): number {
    return this.frames.length;
  }

  async register(): Promise<number> {
    this.send(
      encodeEncapsulation({ body: { command: "registerSession", protocolVersion: 1, optionFlags: 0 } }),
    );
    const reply = await this.next();
    if (reply.header.status !== 0) throw new Error(`RegisterSession failed: ${reply.header.status}`);
    this.session = reply.header.session;
    return this.session;
  }

  /** Sends `message` in a SendRRData and returns the CIP reply. */
  async request(message: CipRequest, n = 0): Promise<CipReply> {
    this.send(encodeSendRRData({ session: this.session, senderContext: context(n), timeout: 5, message }));
    const reply = decodeEnipMessage(await this.nextFrame(), { hint: { request: message } });
    if (reply.header.status !== 0)
      throw new Error(`encapsulation status 0x${reply.header.status.toString(16)}`);
    return reply.cip as CipReply;
  }

  /** Sends `message` in a SendUnitData on `connectionId`; returns the whole reply frame decoded. */
  async connected(connectionId: number, sequence: number, message: CipRequest): Promise<EnipMessage> {
    this.send(encodeSendUnitData({ session: this.session, connectionId, sequence, message }));
    return this.next();
  }

  /** Resolves when the server closes the connection (rejects after the deadline). */
  waitClosed(ms = DEADLINE_MS): Promise<void> {
    return withDeadline(this.closed, "the server to close the connection", ms);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Sends one datagram and returns the first reply datagram. */
export function udpRoundTrip(port: number, bytes: Uint8Array, host = "127.0.0.1"): Promise<Uint8Array> {
  const socket = createSocket("udp4");
  return withDeadline(
    new Promise<Uint8Array>((resolve, reject) => {
      socket.once("message", (message) => resolve(new Uint8Array(message)));
      socket.once("error", reject);
      socket.send(bytes, port, host);
    }),
    "a UDP reply",
  ).finally(() => socket.close());
}

/** A controller with the tags the suites use: SCADA=INT[1000] unless told otherwise. */
export function makeController(tags: string[] = ["SCADA=INT[1000]"]): Controller {
  return new Controller({ tags });
}

/** The values of `name[start..start+count)` straight from the controller. */
export function tagValues(controller: Controller, name: string, start: number, count: number): unknown[] {
  return controller.tags.get(name)?.values(start, count) ?? [];
}

/** Records the context of every request `controller` executes, newest last. */
export function recordContexts(controller: Controller): RequestContext[] {
  const contexts: RequestContext[] = [];
  const execute = controller.execute.bind(controller);
  controller.execute = (request, context) => {
    contexts.push(context ?? {});
    return execute(request, context);
  };
  return contexts;
}

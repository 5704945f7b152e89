/**
 * Modbus/TCP (and Modbus/TCP Security over TLS) on modbus-serial, with its faults wrapped: our own connect, so a
 * deadline covers it; our own deadline over each whole transaction; the connection closed (and a new modbus-serial
 * client made on the next request) after any timeout, abort, bad reply or lost socket, so a late reply can never
 * be matched to a later request; one transaction in flight, FIFO; every pending operation rejected on close.
 */
import { connect as netConnect, type Socket } from "node:net";
import { type ConnectionOptions, connect as tlsConnect } from "node:tls";
import ModbusRTU from "modbus-serial";
import { onAbort } from "../core/abort.js";
import {
  InvalidArgumentError,
  ModbusAbortError,
  ModbusClosedError,
  ModbusConnectionError,
  ModbusReplyError,
  ModbusTimeoutError,
} from "../core/errors.js";
import type { ModbusReply, ModbusRequest, ModbusTransport, TransactOptions } from "./types.js";

/** The default deadline over one transaction: 1 s (cpppo's 50 ms is too short for a shared machine). */
export const DEFAULT_TIMEOUT_MS = 1_000;

/** Where and how to connect. */
export interface TcpTransportOptions {
  /** Host name or address (default "127.0.0.1"). */
  host?: string;
  /** TCP port (default 502, or 802 with `tls`). */
  port?: number;
  /** Default transaction deadline in ms (default 1000). */
  timeout?: number;
  /** Modbus/TCP Security: TLS options (`key`, `cert`, `ca`, …) for a mutual-TLS connection; default plain TCP. */
  tls?: ConnectionOptions;
}

interface Job {
  request: ModbusRequest;
  timeoutMs: number;
  signal: AbortSignal | undefined;
  onStart: (() => void) | undefined;
  resolve: (reply: ModbusReply) => void;
  reject: (error: Error) => void;
  /** Set once the job settles; later outcomes are ignored. */
  done: boolean;
  disposeAbort: () => void;
}

interface Link {
  socket: Socket;
  client: ModbusRTU;
}

/** A Modbus/TCP line built on modbus-serial's client, one transaction at a time. */
export class TcpTransport implements ModbusTransport {
  readonly host: string;
  readonly port: number;
  readonly timeoutMs: number;
  private readonly tls: ConnectionOptions | undefined;
  private readonly queue: Job[] = [];
  private running: Job | undefined;
  private link: Link | undefined;
  /** The socket being connected, destroyed when its job gives up. */
  private connecting: Socket | undefined;
  private isClosed = false;
  /** Connections opened so far (a reconnect after a fault counts). */
  connects = 0;

  /** A line to `host:port` (default 127.0.0.1:502); nothing connects until the first request. */
  constructor(options: TcpTransportOptions = {}) {
    this.host = options.host ?? "127.0.0.1";
    this.tls = options.tls;
    this.port = options.port ?? (options.tls ? 802 : 502);
    this.timeoutMs = options.timeout ?? DEFAULT_TIMEOUT_MS;
    if (!Number.isInteger(this.port) || this.port < 1 || this.port > 0xffff)
      throw new InvalidArgumentError(`"port" must be 1-65535, not ${String(options.port)}`);
    if (!(this.timeoutMs > 0)) throw new InvalidArgumentError(`"timeout" must be a positive number of ms`);
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Sends `request` once the line is free and resolves with its reply; rejects on timeout, abort, close or a bad reply. */
  transact(request: ModbusRequest, options: TransactOptions = {}): Promise<ModbusReply> {
    if (this.isClosed)
      return Promise.reject(new ModbusClosedError(`the transport to ${this.where} is closed`));
    if (options.signal?.aborted) return Promise.reject(new ModbusAbortError("aborted before it was sent"));
    return new Promise<ModbusReply>((resolve, reject) => {
      const job: Job = {
        request,
        timeoutMs: options.timeout ?? this.timeoutMs,
        signal: options.signal,
        onStart: options.onStart,
        resolve,
        reject,
        done: false,
        disposeAbort: () => undefined,
      };
      job.disposeAbort = onAbort(options.signal, () => {
        if (this.running === job)
          this.drop(); // a reply may still come: never let the next request see it
        else this.queue.splice(this.queue.indexOf(job), 1);
        this.settle(job, new ModbusAbortError(`${describe(request)} aborted`));
      });
      this.queue.push(job);
      this.pump();
    });
  }

  /** Closes the connection and rejects every queued and running operation with `ModbusClosedError`. Idempotent. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    const error = () => new ModbusClosedError(`the transport to ${this.where} was closed`);
    for (const job of this.queue.splice(0)) this.settle(job, error());
    if (this.running) this.settle(this.running, error());
    this.drop();
  }

  private get where(): string {
    return `${this.host}:${this.port}`;
  }

  private settle(job: Job, outcome: Error | ModbusReply): void {
    if (job.done) return;
    job.done = true;
    job.disposeAbort();
    if (outcome instanceof Error) job.reject(outcome);
    else job.resolve(outcome);
    if (this.running === job) {
      this.running = undefined;
      queueMicrotask(() => this.pump());
    }
  }

  private pump(): void {
    if (this.running || this.isClosed) return;
    const job = this.queue.shift();
    if (job === undefined) return;
    this.running = job;
    void this.run(job);
  }

  private async run(job: Job): Promise<void> {
    job.onStart?.();
    const timer = setTimeout(() => {
      if (job.done) return;
      this.drop();
      this.settle(
        job,
        new ModbusTimeoutError(
          `${describe(job.request)} to ${this.where} failed: Timeout after ${job.timeoutMs} ms`,
        ),
      );
    }, job.timeoutMs);
    try {
      const link = this.link ?? (await this.open(job));
      if (job.done) return;
      const reply = await this.send(link, job);
      if (!job.done) this.settle(job, reply);
    } catch (e) {
      if (!job.done) {
        this.drop();
        this.settle(job, e instanceof Error ? e : new ModbusConnectionError(String(e)));
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /** Connects (TCP or TLS) and links a fresh modbus-serial client to the socket; fails when `job` settles first. */
  private open(job: Job): Promise<Link> {
    return new Promise<Link>((resolve, reject) => {
      const socket = this.tls
        ? tlsConnect({ host: this.host, port: this.port, ...this.tls })
        : netConnect({ host: this.host, port: this.port });
      this.connecting = socket;
      const ready = this.tls ? "secureConnect" : "connect";
      const fail = (e: Error) => {
        socket.off(ready, ok);
        socket.off("error", fail);
        socket.off("close", closedEarly);
        if (this.connecting === socket) this.connecting = undefined;
        socket.destroy();
        reject(new ModbusConnectionError(`connect to ${this.where} failed: ${e.message}`, { cause: e }));
      };
      const ok = () => {
        socket.off("error", fail);
        socket.off("close", closedEarly);
        if (this.connecting === socket) this.connecting = undefined;
        if (job.done || this.isClosed) {
          socket.destroy();
          reject(new ModbusClosedError("gave up before the connection opened"));
          return;
        }
        socket.setNoDelay(true);
        const client = new ModbusRTU();
        const link: Link = { socket, client };
        // Errors and a close with a request in flight are ours to report: modbus-serial leaves that promise pending.
        client.on("error", () => this.drop(link));
        socket.on("error", () => this.drop(link));
        socket.once("close", () => this.lost(link));
        this.connects++;
        client
          .linkTCP(socket, { port: this.port })
          .then(() => {
            this.link = link;
            resolve(link);
          })
          .catch((e: Error) => fail(e));
      };
      const closedEarly = () => fail(new Error("closed while connecting"));
      socket.once(ready, ok);
      socket.once("error", fail);
      socket.once("close", closedEarly);
    });
  }

  /** The connection dropped under us: the running request cannot be answered any more. */
  private lost(link: Link): void {
    if (this.link !== link) return;
    this.link = undefined;
    const job = this.running;
    if (job)
      this.settle(
        job,
        new ModbusConnectionError(`${describe(job.request)} to ${this.where} failed: connection closed`),
      );
  }

  /** Closes the current connection, if any (the next request opens a new one, with a new client). */
  private drop(link: Link | undefined = this.link): void {
    this.connecting?.destroy();
    this.connecting = undefined;
    if (link === undefined) return;
    if (this.link === link) this.link = undefined;
    link.socket.destroy();
  }

  private async send(link: Link, job: Job): Promise<ModbusReply> {
    const { client } = link;
    const r = job.request;
    client.setID(r.unit);
    try {
      switch (r.fc) {
        case 1:
        case 2: {
          const res = await (r.fc === 1
            ? client.readCoils(r.offset, r.count)
            : client.readDiscreteInputs(r.offset, r.count));
          const bits = res.data as boolean[];
          if (bits.length < r.count)
            throw new ModbusReplyError(`${describe(r)}: ${bits.length} bits in the reply`);
          return { kind: "values", values: bits.slice(0, r.count).map(Number) };
        }
        case 3:
        case 4: {
          const res = await (r.fc === 3
            ? client.readHoldingRegisters(r.offset, r.count)
            : client.readInputRegisters(r.offset, r.count));
          const regs = res.data as number[];
          if (regs.length !== r.count)
            throw new ModbusReplyError(`${describe(r)}: ${regs.length} registers in the reply`);
          return { kind: "values", values: regs };
        }
        case 5:
          await client.writeCoil(r.offset, r.values[0] !== 0);
          return { kind: "values", values: [] };
        case 6:
          await client.writeRegister(r.offset, r.values[0] as number);
          return { kind: "values", values: [] };
        case 15:
          await client.writeCoils(
            r.offset,
            r.values.map((v) => v !== 0),
          );
          return { kind: "values", values: [] };
        case 16:
          await client.writeRegisters(r.offset, [...r.values]);
          return { kind: "values", values: [] };
      }
    } catch (e) {
      const code = (e as { modbusCode?: unknown }).modbusCode;
      if (typeof code === "number") return { kind: "exception", code };
      if (e instanceof ModbusReplyError) throw e;
      const message = e instanceof Error ? e.message : String(e);
      if (/Port Not Open/i.test(message) || (e as { errno?: string }).errno === "ECONNREFUSED")
        throw new ModbusConnectionError(`${describe(r)} to ${this.where} failed: ${message}`, { cause: e });
      throw new ModbusReplyError(`${describe(r)} to ${this.where} failed: ${message}`, { cause: e });
    }
  }
}

/** `FC3 unit 1 @0 ×10`: a request in a log line or error message. */
export function describe(r: ModbusRequest): string {
  return `FC${r.fc} unit ${r.unit} @${r.offset} ×${"count" in r ? r.count : r.values.length}`;
}

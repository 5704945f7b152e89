/**
 * A Modbus line on modbus-serial's client with its faults wrapped: our own deadline over each whole transaction
 * (connect included); the connection closed (and a new modbus-serial client made on the next request) after any
 * timeout, abort, bad reply or lost connection, so a late reply can never be matched to a later request; one
 * transaction in flight, FIFO; every pending operation rejected on close. TCP and RTU open the connection.
 */
import type ModbusRTU from "modbus-serial";
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

/** One operation, queued or running. */
interface Job {
  request: ModbusRequest;
  timeoutMs: number;
  signal: AbortSignal | undefined;
  onStart: (() => void) | undefined;
  resolve: (reply: ModbusReply) => void;
  reject: (error: Error) => void;
  /** When it times out (Date.now() ms), once it runs. */
  deadline: number;
  /** Set once the job settles; later outcomes are ignored. */
  done: boolean;
  disposeAbort: () => void;
  /** The connection the request went out on, once sent. */
  link: Link | undefined;
}

/** An open connection: modbus-serial's client on it, and how to tear it down. */
export interface Link {
  client: ModbusRTU;
  destroy(): void;
}

/**
 * A Modbus line on modbus-serial's client, one transaction at a time, FIFO: the deadline, abort, close and
 * reopen logic shared by TCP and RTU. Subclasses open the connection (`openLink`).
 */
export abstract class ModbusSerialLine implements ModbusTransport {
  readonly timeoutMs: number;
  /** Transactions in flight at most: 1 (the default, and always on a serial line), more only where a subclass allows. */
  readonly maxInFlight: number;
  private readonly queue: Job[] = [];
  private readonly running = new Set<Job>();
  private link: Link | undefined;
  private isClosed = false;
  /**
   * One deadline timer for the line rather than one per transaction: a lock-step poller starts hundreds of
   * transactions a second, and setting and clearing a timer for each cost more than the rest of the wrapper. It is
   * armed for the earliest deadline of the jobs running when it was set; when it fires it times out the jobs that
   * are due and re-arms for the rest, so a deadline is never late (a later job never pushes it back).
   */
  private deadlineTimer: NodeJS.Timeout | undefined;
  /** When `deadlineTimer` fires (Date.now() ms). */
  private deadlineDue = Number.POSITIVE_INFINITY;
  private readonly pumpSoon = (): void => this.pump();
  private readonly onDeadline = (): void => this.expire();
  /** Connections opened so far (a reconnect after a fault counts). */
  connects = 0;
  /** The most transactions that were in flight at once. */
  peakInFlight = 0;

  constructor(timeout: number | undefined, maxInFlight = 1) {
    this.timeoutMs = timeout ?? DEFAULT_TIMEOUT_MS;
    this.maxInFlight = maxInFlight;
    if (!(this.timeoutMs > 0)) throw new InvalidArgumentError(`"timeout" must be a positive number of ms`);
  }

  /** Where the line goes, for messages. */
  protected abstract get where(): string;

  /** Opens a connection for `job`; rejects when it fails, and gives up (rejects) once `isDone()`. */
  protected abstract openLink(isDone: () => boolean): Promise<Link>;

  /** Abandons a connection still being opened (the job gave up). */
  protected abstract abandonOpening(): void;

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
        deadline: Number.POSITIVE_INFINITY,
        done: false,
        disposeAbort: NO_ABORT,
        link: undefined,
      };
      if (options.signal !== undefined)
        job.disposeAbort = onAbort(options.signal, () => {
          const inFlight = this.running.has(job);
          if (!inFlight) this.queue.splice(this.queue.indexOf(job), 1);
          this.settle(job, new ModbusAbortError(`${describe(request)} aborted`));
          if (inFlight) this.drop(); // a reply may still come: never let a later request see it
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
    for (const job of [...this.running]) this.settle(job, error());
    this.drop();
    clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
    this.deadlineDue = Number.POSITIVE_INFINITY;
  }

  private settle(job: Job, outcome: Error | ModbusReply): void {
    if (job.done) return;
    job.done = true;
    job.disposeAbort();
    if (outcome instanceof Error) job.reject(outcome);
    else job.resolve(outcome);
    if (this.running.delete(job)) queueMicrotask(this.pumpSoon);
  }

  /** Arms the deadline timer for `deadline` unless it already fires at or before it. */
  private armDeadline(deadline: number): void {
    if (this.deadlineTimer !== undefined && this.deadlineDue <= deadline) return;
    clearTimeout(this.deadlineTimer);
    this.deadlineDue = deadline;
    this.deadlineTimer = setTimeout(this.onDeadline, Math.max(0, deadline - Date.now()));
    // It may outlive the last transaction by up to one timeout: it must not hold the process open (a transaction
    // in flight always has its socket or serial port, which do).
    this.deadlineTimer.unref();
  }

  /** The deadline timer fired: the running jobs that are due time out; it re-arms for the earliest of the rest. */
  private expire(): void {
    this.deadlineTimer = undefined;
    this.deadlineDue = Number.POSITIVE_INFINITY;
    const now = Date.now();
    let next = Number.POSITIVE_INFINITY;
    for (const job of [...this.running]) {
      if (job.done) continue;
      if (job.deadline > now) {
        next = Math.min(next, job.deadline);
        continue;
      }
      this.settle(
        job,
        new ModbusTimeoutError(
          `${describe(job.request)} to ${this.where} failed: Timeout after ${job.timeoutMs} ms`,
        ),
      );
      this.drop(job.link ?? this.link);
    }
    if (next !== Number.POSITIVE_INFINITY) this.armDeadline(next);
  }

  private pump(): void {
    while (!this.isClosed && this.queue.length > 0 && this.running.size < this.maxInFlight) {
      // While a connection is being opened, the one job opening it runs alone.
      if (this.link === undefined && this.running.size > 0) return;
      const job = this.queue.shift() as Job;
      this.running.add(job);
      this.peakInFlight = Math.max(this.peakInFlight, this.running.size);
      void this.run(job);
    }
  }

  private async run(job: Job): Promise<void> {
    job.onStart?.();
    job.deadline = Date.now() + job.timeoutMs;
    this.armDeadline(job.deadline);
    try {
      const link = this.link ?? (await this.open(job));
      if (job.done) return;
      job.link = link;
      if (this.running.size < this.maxInFlight) queueMicrotask(this.pumpSoon); // the connection is open now
      const reply = await this.send(link, job);
      if (!job.done) this.settle(job, reply);
    } catch (e) {
      if (!job.done) {
        this.settle(job, e instanceof Error ? e : new ModbusConnectionError(String(e)));
        this.drop(job.link ?? this.link);
      }
    }
  }

  private async open(job: Job): Promise<Link> {
    const link = await this.openLink(() => job.done || this.isClosed);
    if (job.done || this.isClosed) {
      link.destroy();
      throw new ModbusClosedError("gave up before the connection opened");
    }
    this.connects++;
    this.link = link;
    return link;
  }

  /** Called by a subclass when a connection ends or fails under us. */
  protected onLinkError(link: Link): void {
    this.drop(link);
  }

  /** The connection dropped under us: the requests in flight on it cannot be answered any more. */
  protected lost(link: Link): void {
    this.failInFlight(link, "connection closed");
    if (this.link === link) this.link = undefined;
  }

  /** Settles every request in flight on `link` with a connection error. */
  private failInFlight(link: Link, why: string): void {
    for (const job of [...this.running])
      if (job.link === link)
        this.settle(
          job,
          new ModbusConnectionError(`${describe(job.request)} to ${this.where} failed: ${why}`),
        );
  }

  /** Closes a connection (default the current one); the requests still in flight on it fail; the next request opens a new one. */
  private drop(link: Link | undefined = this.link): void {
    this.abandonOpening();
    if (link === undefined) return;
    if (this.link === link) this.link = undefined;
    link.destroy();
    this.failInFlight(link, "connection closed after a failed request on it");
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

const NO_ABORT = (): void => undefined;

/** `FC3 unit 1 @0 ×10`: a request in a log line or error message. */
export function describe(r: ModbusRequest): string {
  return `FC${r.fc} unit ${r.unit} @${r.offset} ×${"count" in r ? r.count : r.values.length}`;
}

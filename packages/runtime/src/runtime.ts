/**
 * The runtime object, Beremiz's PLCObject in this toolkit's terms: one plant program, its status
 * (Empty | Stopped | Started | Broken), md5-chained blob transfer, four log levels, trace variables, and a work
 * directory that keeps the last program across restarts. Every state change runs through one serialised queue.
 */
import { createHash, type Hash } from "node:crypto";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { InvalidArgumentError, ProgramError } from "./errors.js";
import {
  BUILTIN_PARTS,
  type PartFactory,
  type PlantPart,
  type PlantProgram,
  parseProgram,
  type TraceVariable,
} from "./program.js";

/** A runtime's status; `Disconnected` is only ever reported by clients (see `ClientStatus`). */
export type PlcStatus = "Empty" | "Stopped" | "Started" | "Broken";

/** Beremiz's log levels, by index: 0 CRITICAL, 1 WARNING, 2 INFO, 3 DEBUG. */
export const LOG_LEVEL_NAMES = ["CRITICAL", "WARNING", "INFO", "DEBUG"] as const;

/** The file that names the last program transferred (its md5), as Beremiz keeps it. */
export const LAST_PROGRAM_FILE = "lasttransferedPLC.md5";

/** `SetTraceVariablesList`'s answer when the program is not running (Beremiz's DEBUG_SUSPENDED). */
export const DEBUG_SUSPENDED = -5;

/** What happens inside a runtime, in order; the service logs them and tests assert their order. */
export type RuntimeEvent =
  | { kind: "status"; status: PlcStatus }
  | { kind: "loaded"; md5: string }
  | { kind: "started" }
  | { kind: "stopped" }
  | { kind: "unloaded" }
  | { kind: "fault"; error: unknown }
  | { kind: "log"; level: number; message: string };

/** Options of `RuntimeObject.open`. */
export interface RuntimeOptions {
  /** The work directory: programs, extra files and `lasttransferedPLC.md5` (created if missing). */
  workdir: string;
  /** Start the last program once loaded, as Beremiz's `-a`; default false. */
  autostart?: boolean;
  /** How long `StopPLC` waits for the parts to stop before the status is Broken; default 5000 ms, as Beremiz. */
  stopTimeoutMs?: number;
  /** Part kinds beyond the built-in ones (`enip`, `modbus`, `historize`, `playback`, `modbus-poller`, `fault`). */
  parts?: Record<string, PartFactory>;
  /** `GetPLCID`'s answer: the PSK identity and secret; default `["", ""]`. */
  id?: readonly [string, string];
  /** Called with every event, in order; must not throw. */
  onEvent?: (event: RuntimeEvent) => void;
}

/** One log message: text, the tick it was logged at, and its wall time in seconds and nanoseconds. */
interface LogEntry {
  message: string;
  tick: number;
  sec: number;
  nsec: number;
}

/** A blob being transferred: the running md5 of every byte so far, and the bytes. */
interface Blob {
  hash: Hash;
  chunks: Buffer[];
}

/** The loaded program: its parts (made, maybe started) and how many of them are running. */
interface Loaded {
  md5: string;
  parts: PlantPart[];
  started: number;
}

/** The most messages each log level keeps; older ones are forgotten (their ids stay counted). */
const MAX_LOG_ENTRIES = 10_000;

/** A name safe as a file in the work directory: its last path component, no leading dots. */
function fileName(name: string): string {
  const base = basename(name.replace(/\\/g, "/")).replace(/^\.+/, "");
  if (base === "") throw new InvalidArgumentError(`extra file name ${JSON.stringify(name)} names no file`);
  return base;
}

/** `"<md5>.json"`: where a program lives in the work directory. */
const programFile = (md5: string): string => `${md5}.json`;

/** A PLC runtime for plant programs, with Beremiz's method names and semantics (see the package README). */
export class RuntimeObject {
  private state: PlcStatus = "Empty";
  private queue: Promise<unknown> = Promise.resolve();
  private loaded: Loaded | undefined;
  private readonly blobs = new Map<string, Blob>();
  private readonly logs: LogEntry[][] = [[], [], [], []];
  private readonly logCounts = [0, 0, 0, 0];
  private readonly logBase = [0, 0, 0, 0];
  private tick = 0;
  private traceToken = 0;
  private traceOrders: { variable: TraceVariable; force: unknown }[] = [];
  private readonly factories: Record<string, PartFactory>;
  private readonly stopTimeoutMs: number;
  private closed = false;

  private constructor(private readonly options: RuntimeOptions) {
    this.factories = { ...BUILTIN_PARTS, ...options.parts };
    this.stopTimeoutMs = options.stopTimeoutMs ?? 5000;
  }

  /**
   * Opens a runtime on `options.workdir`: with a `lasttransferedPLC.md5` there it loads that program (Stopped, or
   * Broken when it does not load) and, with `autostart`, starts it; otherwise the status is Empty.
   */
  static async open(options: RuntimeOptions): Promise<RuntimeObject> {
    const runtime = new RuntimeObject(options);
    await mkdir(options.workdir, { recursive: true });
    await runtime.serial(() => runtime.autoLoad(options.autostart ?? false));
    return runtime;
  }

  /** The status now (synchronous; remote callers use `GetPLCstatus`). */
  get status(): PlcStatus {
    return this.state;
  }

  /** Runs `job` after every job queued before it: the one path for every state change. */
  private serial<T>(job: () => Promise<T> | T): Promise<T> {
    const run = this.queue.then(job, job);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private emit(event: RuntimeEvent): void {
    this.options.onEvent?.(event);
  }

  private setStatus(status: PlcStatus): void {
    if (status === this.state) return;
    this.state = status;
    this.emit({ kind: "status", status });
  }

  /** Logs `message` at `level` (0 CRITICAL … 3 DEBUG). */
  log(level: number, message: string): void {
    const l = Math.max(0, Math.min(3, Math.trunc(level)));
    const now = Date.now();
    const list = this.logs[l] as LogEntry[];
    list.push({ message, tick: this.tick, sec: Math.floor(now / 1000), nsec: (now % 1000) * 1e6 });
    if (list.length > MAX_LOG_ENTRIES) {
      list.shift();
      (this.logBase[l] as number)++;
    }
    (this.logCounts[l] as number)++;
    this.emit({ kind: "log", level: l, message });
  }

  private async autoLoad(autostart: boolean): Promise<void> {
    let md5: string;
    try {
      md5 = (await readFile(join(this.options.workdir, LAST_PROGRAM_FILE), "utf8")).trim();
    } catch {
      this.setStatus("Empty");
      return;
    }
    this.setStatus("Stopped");
    if (!(await this.load(md5))) return;
    if (autostart) await this.start();
  }

  /**
   * Reads, checks and makes the parts of program `md5` from the work directory (or from `bytes`, its content in hand
   * after NewPLC wrote it, rather than reading the file back): Stopped, or Broken.
   */
  private async load(md5: string, bytes?: Buffer): Promise<boolean> {
    try {
      // Parsed from a string: parseProgram would copy a buffer before decoding it.
      const program: PlantProgram = parseProgram(
        bytes?.toString("utf8") ?? (await readFile(join(this.options.workdir, programFile(md5)), "utf8")),
      );
      // Parts find each other by name (a historize part its enip part): every part is made before any starts.
      const made = new Map<string, PlantPart>();
      const environment = {
        extraDir: join(this.options.workdir, "extra"),
        workdir: this.options.workdir,
        parts: program.parts,
        part: (name: string) => made.get(name),
      };
      const parts = program.parts.map((config) => {
        const factory = this.factories[config.kind];
        if (factory === undefined)
          throw new ProgramError(
            `part ${JSON.stringify(config.name)} has unknown kind ${JSON.stringify(config.kind)}`,
          );
        const part = factory(config, environment);
        made.set(config.name, part);
        return part;
      });
      this.loaded = { md5, parts, started: 0 };
      this.emit({ kind: "loaded", md5 });
      this.setStatus("Stopped");
      return true;
    } catch (error) {
      this.log(0, `PLC program ${md5} did not load: ${(error as Error).message}`);
      this.setStatus("Broken");
      return false;
    }
  }

  private async start(): Promise<boolean> {
    const loaded = this.loaded;
    if (this.closed || this.state !== "Stopped" || loaded === undefined) return false;
    const context = {
      fault: (error: unknown) => this.fault(loaded, error),
      log: (level: number, message: string) => this.log(level, message),
    };
    try {
      for (const part of loaded.parts) {
        await part.start(context);
        loaded.started++;
      }
    } catch (error) {
      this.log(0, `PLC program did not start: ${(error as Error).message}`);
      await this.stopParts(loaded);
      this.setStatus("Broken");
      return false;
    }
    this.emit({ kind: "started" });
    this.log(2, "PLC started");
    this.setStatus("Started");
    return true;
  }

  /** Stops the started parts in reverse order of start, each error logged; resolves once all are stopped. */
  private async stopParts(loaded: Loaded): Promise<void> {
    while (loaded.started > 0) {
      const part = loaded.parts[--loaded.started] as PlantPart;
      try {
        await part.stop();
      } catch (error) {
        this.log(1, `part ${part.name} did not stop cleanly: ${(error as Error).message}`);
      }
    }
  }

  private async stop(): Promise<boolean> {
    const loaded = this.loaded;
    if (this.state !== "Started" || loaded === undefined) return false;
    this.traceOrders = [];
    let timer: NodeJS.Timeout | undefined;
    const stopped = this.stopParts(loaded).then(() => true);
    const late = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), this.stopTimeoutMs);
    });
    const inTime = await Promise.race([stopped, late]);
    clearTimeout(timer);
    if (!inTime) {
      this.log(0, "PLC timed out while stopping");
      this.setStatus("Broken");
      return false;
    }
    this.emit({ kind: "stopped" });
    this.log(2, "PLC stopped");
    this.setStatus("Stopped");
    return true;
  }

  /** Stops (if started) and forgets the loaded program: the seed commit's order, stop before unload. */
  private async unload(): Promise<void> {
    await this.stop();
    if (this.loaded === undefined) return;
    // A program that timed out while stopping (Broken) still gets its remaining parts stopped before it goes.
    await this.stopParts(this.loaded);
    this.loaded = undefined;
    this.traceOrders = [];
    this.emit({ kind: "unloaded" });
  }

  private fault(loaded: Loaded, error: unknown): void {
    if (this.loaded !== loaded || this.state !== "Started") return;
    this.log(0, `PLC program fault: ${(error as Error)?.message ?? String(error)}`);
    this.emit({ kind: "fault", error });
    void this.serial(async () => {
      if ((await this.stop()) || this.state === "Stopped") this.setStatus("Broken");
    });
  }

  /** Starts the loaded program; only from Stopped. Resolves true once Started, false otherwise (Broken on failure). */
  StartPLC(): Promise<boolean> {
    return this.serial(() => this.start());
  }

  /** Stops the running program within `stopTimeoutMs` (else Broken, logged); only from Started. */
  StopPLC(): Promise<boolean> {
    return this.serial(() => this.stop());
  }

  /** `[status, [CRITICAL, WARNING, INFO, DEBUG counts]]`. */
  GetPLCstatus(): Promise<[PlcStatus, [number, number, number, number]]> {
    return Promise.resolve([this.state, [...this.logCounts] as [number, number, number, number]]);
  }

  /** `[ID, PSK]` this runtime was given, or `["", ""]`. */
  GetPLCID(): Promise<[string, string]> {
    return Promise.resolve([...(this.options.id ?? ["", ""])] as [string, string]);
  }

  /** Starts a blob with `seed` as its first bytes; resolves its id, the md5 (hex) of the bytes so far. */
  SeedBlob(seed: Uint8Array): Promise<string> {
    return this.serial(() => {
      const hash = createHash("md5").update(seed);
      const id = hash.copy().digest("hex");
      this.blobs.set(id, { hash, chunks: [Buffer.from(seed)] });
      return id;
    });
  }

  /**
   * Appends `data` to blob `blobId`; resolves the new id (the running md5), or null for an unknown blob. The blob
   * keeps `data` itself, not a copy, until NewPLC or PurgeBlobs.
   */
  AppendChunkToBlob(data: Uint8Array, blobId: string): Promise<string | null> {
    return this.serial(() => {
      const blob = this.blobs.get(blobId);
      if (blob === undefined) return null;
      blob.hash.update(data);
      // Kept as a view, not copied: NewPLC joins the chunks into one new buffer anyway (the caller must not change
      // `data` before NewPLC or PurgeBlobs; the RPC layer hands over bytes it never reuses).
      blob.chunks.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
      const id = blob.hash.copy().digest("hex");
      this.blobs.delete(blobId);
      this.blobs.set(id, blob);
      return id;
    });
  }

  /** Drops every blob in transfer (an unfinished transfer leaves nothing behind). */
  PurgeBlobs(): Promise<void> {
    return this.serial(() => {
      this.blobs.clear();
    });
  }

  /**
   * Installs blob `programBlob` as program `md5`, with `extraFiles` (`[name, blobId]`), and loads it: only when
   * not Started. Unloads the old program first, removes its files, writes the new ones and
   * `lasttransferedPLC.md5`. Resolves true when it loaded (Stopped), false otherwise (refused, or Broken).
   */
  NewPLC(
    md5: string,
    programBlob: string,
    extraFiles: readonly (readonly [string, string])[] = [],
  ): Promise<boolean> {
    return this.serial(async () => {
      if (this.closed || this.state === "Started") return false;
      if (!/^[0-9a-f]{32}$/i.test(md5)) {
        this.log(0, `NewPLC: ${JSON.stringify(md5)} is not an md5`);
        return false;
      }
      const program = this.blobs.get(programBlob);
      const extras = extraFiles.map(([name, id]) => [fileName(name), this.blobs.get(id)] as const);
      if (program === undefined || extras.some(([, blob]) => blob === undefined)) {
        this.log(0, "NewPLC: a blob is missing (transfer cut or purged)");
        return false;
      }
      await this.unload();
      await this.purge();
      const dir = this.options.workdir;
      const bytes = Buffer.concat(program.chunks);
      await writeFile(join(dir, programFile(md5)), bytes);
      await mkdir(join(dir, "extra"), { recursive: true });
      for (const [name, blob] of extras)
        await writeFile(join(dir, "extra", name), Buffer.concat(blob?.chunks ?? []));
      await writeFile(join(dir, "extra_files.txt"), extras.map(([name]) => `${name}\n`).join(""));
      await writeFile(join(dir, LAST_PROGRAM_FILE), md5);
      this.blobs.clear();
      this.setStatus("Stopped");
      return this.load(md5, bytes);
    });
  }

  /** Removes the program files from the work directory: Empty. */
  private async purge(): Promise<void> {
    const dir = this.options.workdir;
    let md5: string | undefined;
    try {
      md5 = (await readFile(join(dir, LAST_PROGRAM_FILE), "utf8")).trim();
    } catch {}
    if (md5 !== undefined && /^[0-9a-f]{32}$/i.test(md5))
      await rm(join(dir, programFile(md5)), { force: true });
    await rm(join(dir, LAST_PROGRAM_FILE), { force: true });
    await rm(join(dir, "extra"), { recursive: true, force: true });
    await rm(join(dir, "extra_files.txt"), { force: true });
    this.setStatus("Empty");
  }

  /** True when `md5` names the last program transferred. */
  MatchMD5(md5: string): Promise<boolean> {
    return this.serial(async () => {
      try {
        return (await readFile(join(this.options.workdir, LAST_PROGRAM_FILE), "utf8")).trim() === md5;
      } catch {
        return false;
      }
    });
  }

  /** Unloads (stopping first) and deletes the program: Empty. */
  RepairPLC(): Promise<void> {
    return this.serial(async () => {
      await this.unload();
      await this.purge();
    });
  }

  /** `[message, tick, sec, nsec]` of message `msgId` at `level`, or null when there is none (or it was forgotten). */
  GetLogMessage(level: number, msgId: number): Promise<[string, number, number, number] | null> {
    const entry = this.logs[level]?.[msgId - (this.logBase[level] ?? 0)];
    return Promise.resolve(entry ? [entry.message, entry.tick, entry.sec, entry.nsec] : null);
  }

  /** Sets every log count back to 0 (and forgets the messages). */
  ResetLogCount(): Promise<void> {
    for (let l = 0; l < 4; l++) {
      this.logCounts[l] = 0;
      this.logBase[l] = 0;
      this.logs[l] = [];
    }
    return Promise.resolve();
  }

  /** The names of the running program's trace variables; an order's index is a position in this list. */
  TraceableVariables(): Promise<string[]> {
    return Promise.resolve(this.variables().map((v) => v.name));
  }

  private variables(): TraceVariable[] {
    return this.loaded?.parts.flatMap((p) => p.variables?.() ?? []) ?? [];
  }

  /**
   * Traces (and forces, when `force` is not null) the variables at the given indices; resolves a new debug token,
   * DEBUG_SUSPENDED (−5) when the program is not Started, or −1 for an index out of range.
   */
  SetTraceVariablesList(orders: readonly (readonly [number, unknown])[]): Promise<number> {
    return this.serial(() => {
      if (this.state !== "Started") return DEBUG_SUSPENDED;
      const all = this.variables();
      const picked: { variable: TraceVariable; force: unknown }[] = [];
      for (const [index, force] of orders) {
        const variable = all[index];
        if (variable === undefined) return -1;
        picked.push({ variable, force: force ?? null });
      }
      for (const { variable, force } of picked) if (force !== null) variable.write(force);
      this.traceOrders = picked;
      return ++this.traceToken;
    });
  }

  /** `[status, [[tick, values]]]`: one sample of the traced variables now; a stale token gets `["Broken", []]`. */
  GetTraceVariables(token: number): Promise<[PlcStatus, [number, unknown[]][]]> {
    if (token !== this.traceToken || this.state !== "Started") return Promise.resolve(["Broken", []]);
    const values = this.traceOrders.map(({ variable, force }) => {
      if (force !== null) variable.write(force);
      return variable.read();
    });
    return Promise.resolve([this.state, [[++this.tick, values]]]);
  }

  /** Stops the program, then unloads it (the seed commit); the runtime takes no further state change after. */
  quit(): Promise<void> {
    return this.serial(async () => {
      if (this.closed) return;
      this.closed = true;
      await this.unload();
    });
  }
}

/**
 * The client side of every connector: the same method set as the runtime, where a call never throws on transport
 * loss but resolves the method's default (as Beremiz's PLCObjDefaults) and marks the client `Disconnected`.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConnectorUriError, PskFileError } from "./errors.js";
import type { PskEntry } from "./psk.js";
import {
  type ClientStatus,
  type RpcClientOptions,
  type RpcOutcome,
  RpcTransport,
  type RpcTransportLike,
} from "./rpc.js";
import type { PlcStatus } from "./runtime.js";
import { parseConnectorUri } from "./uri.js";
import { WampCallerTransport, type WampClientOptions } from "./wamp.js";

/** What `GetPLCstatus` resolves: the status and the four log counts. */
export type StatusReply = [ClientStatus, [number, number, number, number]];

/** Options of `connectPlc`. */
export interface ConnectOptions extends RpcClientOptions {
  /** PYROS:// identities (a secrets file's lines): the one named by the URI's #ID, else the first. */
  psk?: readonly PskEntry[];
  /** LOCAL://: the service command and its leading arguments (e.g. `[node, "--import", "tsx", "plc-service.ts"]`). */
  localCommand?: readonly string[];
  /** LOCAL://: where the service's event lines go, "ignore" (default) or "inherit" (this process's stderr). */
  localStderr?: "ignore" | "inherit";
  /** LOCAL://: how long to wait for the service's `Ready:` line; default 20000 ms. */
  localStartTimeoutMs?: number;
  /** WAMP:// and WAMPS://: WAMP-CRA credentials, the CA to trust for wss://, the subprotocols offered. */
  wamp?: WampClientOptions;
}

/** A connected (or reconnecting) client; `status` is the last one seen, `Disconnected` after a transport loss. */
export class PlcClient {
  /** The last status seen: set by every GetPLCstatus, and to Disconnected by any call whose transport failed. */
  status: ClientStatus = "Disconnected";
  /** The last error the runtime answered with (a call that failed remotely resolves its default too). */
  lastError: { code: string; message: string } | undefined;
  /** How many calls found the transport failed (connect, loss or deadline) so far. */
  transportFailures = 0;

  constructor(
    private readonly transport: RpcTransportLike,
    private readonly onClose: () => Promise<void> = async () => {},
  ) {}

  /** Calls `method`: one `then` on the transport's promise, no async wrapper (each would add a promise hop). */
  private call<T>(method: string, args: unknown[], fallback: T): Promise<T> {
    return this.transport.call(method, args).then((outcome) => this.settle(outcome, fallback));
  }

  /** A call's value, or `fallback` when it failed (the transport: also marks the client Disconnected). */
  private settle<T>(outcome: RpcOutcome | undefined, fallback: T): T {
    if (outcome === undefined) {
      this.status = "Disconnected";
      this.transportFailures++;
      return fallback;
    }
    if (!outcome.ok) {
      this.lastError = outcome.error;
      return fallback;
    }
    return outcome.value as T;
  }

  StartPLC(): Promise<boolean> {
    return this.call("StartPLC", [], false);
  }
  StopPLC(): Promise<boolean> {
    return this.call("StopPLC", [], false);
  }
  /** `[status, counts]`; `["Disconnected", [0,0,0,0]]` when the transport failed. */
  GetPLCstatus(): Promise<StatusReply> {
    return this.transport.call("GetPLCstatus", []).then((outcome) => {
      const reply = this.settle<StatusReply>(outcome, ["Disconnected", [0, 0, 0, 0]]);
      this.status = reply[0];
      return reply;
    });
  }
  GetPLCID(): Promise<[string, string]> {
    return this.call("GetPLCID", [], ["", ""]);
  }
  SeedBlob(seed: Uint8Array): Promise<string | null> {
    return this.call("SeedBlob", [seed], null);
  }
  AppendChunkToBlob(data: Uint8Array, blobId: string): Promise<string | null> {
    return this.call("AppendChunkToBlob", [data, blobId], null);
  }
  PurgeBlobs(): Promise<null> {
    return this.call("PurgeBlobs", [], null);
  }
  NewPLC(md5: string, blobId: string, extraFiles: [string, string][] = []): Promise<boolean> {
    return this.call("NewPLC", [md5, blobId, extraFiles], false);
  }
  MatchMD5(md5: string): Promise<boolean> {
    return this.call("MatchMD5", [md5], false);
  }
  RepairPLC(): Promise<null> {
    return this.call("RepairPLC", [], null);
  }
  GetLogMessage(level: number, msgId: number): Promise<[string, number, number, number] | null> {
    return this.call("GetLogMessage", [level, msgId], null);
  }
  ResetLogCount(): Promise<null> {
    return this.call("ResetLogCount", [], null);
  }
  SetTraceVariablesList(orders: [number, unknown][]): Promise<number> {
    return this.call("SetTraceVariablesList", [orders], -1);
  }
  GetTraceVariables(token: number): Promise<[ClientStatus, [number, unknown[]][]]> {
    return this.call("GetTraceVariables", [token], ["Broken", []]);
  }
  TraceableVariables(): Promise<string[]> {
    return this.call("TraceableVariables", [], []);
  }
  /** Asks the service to quit: it stops the program, unloads it, closes its API and exits. */
  Quit(): Promise<boolean> {
    return this.call("Quit", [], false);
  }

  /** Calls any method by name (the CLI's generic path); resolves `{ok, value}` or undefined on transport loss. */
  async invoke(method: string, args: unknown[]) {
    const outcome = await this.transport.call(method, args);
    if (outcome === undefined) {
      this.status = "Disconnected";
      this.transportFailures++;
    }
    return outcome;
  }

  /**
   * Transfers `program` as Beremiz's IDE does: PurgeBlobs, SeedBlob, 1 MiB chunks each checked against the running
   * md5, then NewPLC. Chunks are pipelined: up to `inFlight` (default 4) are sent before the oldest one's reply is
   * checked, each reply against the id this side computed for it, in order; chunk k+1 names chunk k's expected id,
   * so a chunk the runtime got wrong makes every later one unknown to it. Resolves true once loaded; false when the
   * runtime refused it, a chunk's id disagreed, or the transport failed (then the runtime is left with no half
   * program).
   */
  async transfer(
    program: Uint8Array,
    options: {
      chunkBytes?: number;
      inFlight?: number;
      onProgress?: (sent: number, total: number) => void;
    } = {},
  ): Promise<boolean> {
    const chunk = options.chunkBytes ?? 1024 * 1024;
    const depth = Math.max(1, options.inFlight ?? 4);
    await this.PurgeBlobs();
    // The seed is empty, so the running md5 after the last chunk is the program's md5: each byte is hashed once.
    const running = createHash("md5");
    let id = await this.SeedBlob(new Uint8Array(0));
    let ok = id === running.copy().digest("hex");
    /** Each chunk in flight: whether its reply matched, and where it ends. */
    const waiting: { matched: Promise<boolean>; end: number }[] = [];
    const settleOldest = async (): Promise<void> => {
      const oldest = waiting.shift() as { matched: Promise<boolean>; end: number };
      if (!(await oldest.matched)) ok = false;
      else if (ok) options.onProgress?.(oldest.end, program.length);
    };
    for (let at = 0; ok && at < program.length; at += chunk) {
      const piece = program.subarray(at, at + chunk);
      running.update(piece);
      const expected = running.copy().digest("hex");
      waiting.push({
        matched: this.AppendChunkToBlob(piece, id as string).then((got) => got === expected),
        end: at + piece.length,
      });
      id = expected;
      if (waiting.length >= depth) await settleOldest();
    }
    while (waiting.length > 0) await settleOldest();
    if (!ok) {
      await this.PurgeBlobs();
      return false;
    }
    return this.NewPLC(running.digest("hex"), id as string, []);
  }

  /** Polls GetPLCstatus every `intervalMs` (default 500, as Beremiz's IDE) and reports each change; returns a stopper. */
  watchStatus(onStatus: (status: StatusReply) => void, intervalMs = 500): () => void {
    let last = "";
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const poll = async (): Promise<void> => {
      const reply = await this.GetPLCstatus();
      if (stopped) return;
      const text = JSON.stringify(reply);
      if (text !== last) {
        last = text;
        onStatus(reply);
      }
      timer = setTimeout(() => void poll(), intervalMs);
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }

  /** Closes the connection (LOCAL://: and stops the service, program first). */
  async close(): Promise<void> {
    this.transport.close();
    await this.onClose();
  }
}

/** Re-exported for callers that only need the type. */
export type { PlcStatus };

/** Starts a LOCAL:// service: `command -a 127.0.0.1:0 --workdir TMP --local`, waits for its `Ready:` line. */
async function startLocal(
  options: ConnectOptions,
): Promise<{ port: number; child: ChildProcess; workdir: string }> {
  const command = options.localCommand;
  if (command === undefined || command.length === 0)
    throw new ConnectorUriError("LOCAL:// needs the service command (ConnectOptions.localCommand)");
  const workdir = await mkdtemp(join(tmpdir(), "cpppo-plc-"));
  const child = spawn(
    command[0] as string,
    [...command.slice(1), "-a", "127.0.0.1:0", "--workdir", workdir, "--local"],
    {
      stdio: ["pipe", "pipe", options.localStderr ?? "ignore"],
    },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new ConnectorUriError(`LOCAL:// service printed no Ready line in time: ${out}`));
    }, options.localStartTimeoutMs ?? 20_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new ConnectorUriError(`LOCAL:// service exited (${code}) before it was ready: ${out}`));
    });
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const m = /Ready: PYRO:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
  });
  child.stdout?.resume();
  return { port, child, workdir };
}

/** Connects to the runtime `uri` names (LOCAL, PYRO, PYROS, WAMP, WAMPS); throws ConnectorUriError/PskFileError for bad input only. */
export async function connectPlc(uri: string, options: ConnectOptions = {}): Promise<PlcClient> {
  const parsed = parseConnectorUri(uri);
  switch (parsed.scheme) {
    case "PYRO":
      return new PlcClient(new RpcTransport({ host: parsed.host, port: parsed.port }, options));
    case "PYROS": {
      const entries = options.psk ?? [];
      const psk = entries.find((e) => e.identity === parsed.id) ?? entries[0];
      if (psk === undefined) throw new PskFileError(`${uri} needs a PSK (IDENTITY:KEY); give a --psk-file`);
      return new PlcClient(new RpcTransport({ host: parsed.host, port: parsed.port, psk }, options));
    }
    case "LOCAL": {
      const { port, child, workdir } = await startLocal(options);
      const exited = new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) resolve();
        else child.once("exit", () => resolve());
      });
      return new PlcClient(new RpcTransport({ host: "127.0.0.1", port }, options), async () => {
        // Closing its stdin asks the service to quit (program stopped first); it is killed if it does not.
        child.stdin?.end();
        const late = setTimeout(() => child.kill("SIGKILL"), 15_000);
        await exited;
        clearTimeout(late);
        await rm(workdir, { recursive: true, force: true });
      });
    }
    case "WAMP":
    case "WAMPS": {
      const url = `${parsed.scheme === "WAMPS" ? "wss" : "ws"}://${parsed.host.includes(":") ? `[${parsed.host}]` : parsed.host}:${parsed.port}${parsed.path}`;
      return new PlcClient(new WampCallerTransport(url, parsed.realm, parsed.id, options));
    }
  }
}

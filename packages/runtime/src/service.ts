/**
 * The PLC service: a runtime object served over PYRO:// or PYROS://, with Beremiz's quit order made explicit —
 * stop the program, unload it, then close the remote API (the seed commit "stop PLC before unloading").
 */
import type { PskEntry } from "./psk.js";
import { listenRpc, PLC_METHODS, type RpcListener } from "./rpc.js";
import { type RuntimeEvent, RuntimeObject, type RuntimeOptions } from "./runtime.js";

/** Events of a service: the runtime's, then `api-closed` once the remote API is down. */
export type ServiceEvent = RuntimeEvent | { kind: "api-closed" } | { kind: "quitting"; reason: string };

/** Options of `PlcService.start`. */
export interface ServiceOptions extends Omit<RuntimeOptions, "onEvent"> {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 3000; 0 picks a free port. */
  port?: number;
  /** Serve PYROS:// (TLS-PSK) with these identities. */
  psk?: readonly PskEntry[];
  /** Quit the whole service when a program part faults (default true): the program is stopped and unloaded first. */
  quitOnFault?: boolean;
  onEvent?: (event: ServiceEvent) => void;
}

/** A running service; `done` resolves once it has quit (program stopped and unloaded, API closed). */
export class PlcService {
  /** Resolves with the reason once `quit` has finished. */
  readonly done: Promise<string>;
  private resolveDone!: (reason: string) => void;
  private quitting: Promise<void> | undefined;
  /** Resolves once the runtime is open (its last program auto-loaded, and started with autostart). */
  private opened: Promise<RuntimeObject> | undefined;
  private listener!: RpcListener;
  /** The runtime it serves. */
  runtime!: RuntimeObject;
  /** The remotely callable methods (the runtime's and `Quit`), as every connector serves them. */
  target!: Record<string, (...args: never[]) => unknown>;

  private constructor(private readonly options: ServiceOptions) {
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
  }

  /** The URI it serves: `PYRO://host:port`, or `PYROS://host:port#ID` (the first identity). */
  get uri(): string {
    const id = this.options.psk?.[0]?.identity;
    return id === undefined
      ? `PYRO://${this.listener.host}:${this.listener.port}`
      : `PYROS://${this.listener.host}:${this.listener.port}#${id}`;
  }

  /** The bound port. */
  get port(): number {
    return this.listener.port;
  }

  /** Opens the runtime and serves it: the API is up before the last program is auto-loaded, as in Beremiz. */
  static async start(options: ServiceOptions): Promise<PlcService> {
    const service = new PlcService(options);
    const emit = (event: ServiceEvent): void => options.onEvent?.(event);
    const id =
      options.id ??
      (options.psk?.[0] ? [options.psk[0].identity, options.psk[0].key.toString("latin1")] : undefined);
    const target = {
      ...Object.fromEntries(
        // Every method but Quit is the runtime object's own; Quit ends the service (below).
        PLC_METHODS.filter((m) => m !== "Quit").map((m) => [
          m,
          (...args: unknown[]) => {
            // The API is up before the last program is auto-loaded (as in Beremiz): an early call waits for it.
            const call = (r: RuntimeObject): unknown =>
              (r as unknown as Record<string, (...a: unknown[]) => unknown>)[m]?.(...args);
            return service.runtime ? call(service.runtime) : opened.then(call);
          },
        ]),
      ),
      Quit: () => {
        setImmediate(() => void service.quit("Quit called"));
        return true;
      },
    };
    let resolveOpened!: (runtime: RuntimeObject) => void;
    const opened = new Promise<RuntimeObject>((resolve) => {
      resolveOpened = resolve;
    });
    service.opened = opened;
    service.target = target;
    service.listener = await listenRpc(target, options);
    service.runtime = await RuntimeObject.open({
      ...options,
      ...(id ? { id: id as [string, string] } : {}),
      onEvent: (event) => {
        emit(event);
        if (event.kind === "fault" && (options.quitOnFault ?? true)) void service.quit("program fault");
      },
    });
    resolveOpened(service.runtime);
    // Once open, each method is the runtime's own, bound: a call no longer goes through the waiting wrapper above
    // (a closure and a spread of its arguments per call).
    const runtime = service.runtime as unknown as Record<string, (...args: never[]) => unknown>;
    for (const m of PLC_METHODS)
      if (m !== "Quit") service.target[m] = (runtime[m] as (...args: never[]) => unknown).bind(runtime);
    return service;
  }

  /** Stops the program, unloads it, then closes the remote API; idempotent. Resolves once all is done. */
  quit(reason: string): Promise<void> {
    this.quitting ??= (async () => {
      this.options.onEvent?.({ kind: "quitting", reason });
      // A quit while the last program is still being auto-loaded waits for it, so that it is stopped too.
      await (this.runtime ?? (await this.opened))?.quit();
      await this.listener.close();
      this.options.onEvent?.({ kind: "api-closed" });
      this.resolveDone(reason);
    })();
    return this.quitting;
  }
}

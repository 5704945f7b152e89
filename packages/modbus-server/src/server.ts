/**
 * The public Modbus simulator: `ModbusServer` serves one set of stores over any number of TCP, TLS and RTU
 * transports. The layers: `core/` (errors, cpppo's address model), `store/` (ranges, the sparse store),
 * `engine/` (function codes, hooks, device identification) and `transport/` (TCP/TLS connections, RTU, evil).
 */
import { InvalidArgumentError } from "./core/errors.js";
import { Engine } from "./engine/engine.js";
import { ModbusStore } from "./store/store.js";
import { Hub } from "./transport/hub.js";
import {
  type Listener,
  listenTcp,
  listenTls,
  type TcpListenOptions,
  type TlsListenOptions,
} from "./transport/listen.js";
import { checkServerOptions, type ModbusServerOptions } from "./transport/options.js";
import { checkRtuOptions, openRtuPort, type RtuOptions, type RtuPort } from "./transport/rtu.js";

/** Unit ids an RTU line answers by default when one store serves every unit: 1…247 (0 is broadcast, 248… reserved). */
const RTU_UNITS = Array.from({ length: 247 }, (_, i) => i + 1);

/** A Modbus simulator: function codes 1-6, 15, 16, 22, 23 and 43/14 over TCP, TLS and RTU, on sparse stores. */
export class ModbusServer {
  /** The store every unit id uses, when the server was given one (or none and no units). */
  readonly store: ModbusStore | undefined;
  private readonly hub: Hub;
  private readonly listeners = new Set<Listener>();
  private readonly ports = new Set<RtuPort>();
  private readonly unitIds: number[] | undefined;
  private closing: Promise<void> | undefined;

  /** A server for `options.store` (every unit id) or `options.units`; throws `InvalidArgumentError` for bad options. */
  constructor(options: ModbusServerOptions = {}) {
    checkServerOptions(options);
    const units = options.units;
    let storeOf: (unitId: number) => ModbusStore | undefined;
    if (units === undefined) {
      const store = options.store ?? new ModbusStore();
      this.store = store;
      storeOf = () => store;
    } else if (Array.isArray(units)) {
      const store = options.store ?? new ModbusStore();
      this.store = store;
      const served = new Set(units as readonly number[]);
      this.unitIds = [...served];
      storeOf = (unitId) => (served.has(unitId) ? store : undefined);
    } else {
      const map = new Map<number, ModbusStore>(
        units instanceof Map
          ? units
          : Object.entries(units as Record<number, ModbusStore>).map(([k, v]) => [Number(k), v] as const),
      );
      for (const [id, store] of map)
        if (!(store instanceof ModbusStore))
          throw new InvalidArgumentError(`"units" ${id} must map to a ModbusStore`);
      this.unitIds = [...map.keys()];
      storeOf = (unitId) => map.get(unitId);
    }
    this.hub = new Hub(new Engine(storeOf, options.hooks, options.deviceIdentification), options);
  }

  /** Listens for Modbus/TCP on `host` (default "0.0.0.0") and `port` (default 502; 0 picks one); resolves with the bound address. */
  async listenTcp(options: TcpListenOptions = {}): Promise<Listener> {
    return this.track(await listenTcp(this.hub, options, () => this.closing === undefined));
  }

  /** Listens for Modbus/TCP Security (TLS ≥ 1.2, mutual X.509, role authorisation) on `port` (default 802). */
  async listenTls(options: TlsListenOptions): Promise<Listener> {
    return this.track(await listenTls(this.hub, options, () => this.closing === undefined));
  }

  /** Opens a serial port (default 9600 8N1) and answers Modbus RTU requests for `units` (default: the server's units, or 1…247) on it. */
  async openRtu(options: RtuOptions): Promise<RtuPort> {
    checkRtuOptions(options);
    if (this.closing !== undefined) throw new InvalidArgumentError("the server is closed");
    const port = await openRtuPort(this.hub.engine, options, options.units ?? this.unitIds ?? RTU_UNITS);
    this.ports.add(port);
    const close = port.close;
    return {
      path: port.path,
      stats: port.stats,
      close: () => {
        this.ports.delete(port);
        return close();
      },
    };
  }

  /** Open TCP and TLS connections, all listeners together. */
  get connectionCount(): number {
    return this.hub.connections.size;
  }

  /**
   * Stops accepting, answers the requests already received, then closes every connection and port; connections
   * still open after `deadlineMs` (default `closeTimeout`, 2 s) are destroyed. Idempotent; a later call's
   * `deadlineMs` also applies.
   */
  close(options: { deadlineMs?: number } = {}): Promise<void> {
    if (this.closing !== undefined) {
      // A later call with a deadline (a second Ctrl-C) may cut the first one's short.
      if (options.deadlineMs !== undefined)
        setTimeout(() => {
          for (const c of this.hub.connections) c.destroy();
        }, options.deadlineMs).unref();
      return this.closing;
    }
    const deadline = options.deadlineMs ?? this.hub.closeTimeoutMs;
    this.closing = (async () => {
      const timer = setTimeout(() => {
        for (const c of this.hub.connections) c.destroy();
      }, deadline);
      timer.unref();
      await Promise.all([...this.listeners].map((l) => l.close({ deadlineMs: deadline })));
      await Promise.all([...this.ports].map((p) => p.close()));
      clearTimeout(timer);
    })();
    return this.closing;
  }

  private track(listener: Listener): Listener {
    this.listeners.add(listener);
    const close = listener.close;
    return {
      host: listener.host,
      port: listener.port,
      family: listener.family,
      close: (options) => {
        this.listeners.delete(listener);
        return close(options);
      },
    };
  }
}

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
import { checkServerOptions, MAX_DELAY_S, type ModbusServerOptions } from "./transport/options.js";
import { checkRtuOptions, openRtuPort, type RtuOptions, type RtuPort } from "./transport/rtu.js";

/** Unit ids an RTU line answers by default when one store serves every unit: 1…247 (0 is broadcast, 248… reserved). */
const RTU_UNITS = Array.from({ length: 247 }, (_, i) => i + 1);

/** One open TCP or TLS connection, as `ModbusServer.connections()` lists it. */
export interface ModbusConnectionInfo {
  /** The peer as an id (`127_0_0_1_5020`), for `closeConnection`. */
  id: string;
  /** The peer's address and port. */
  peer: string;
  port: number;
  /** Unit ids its requests named, in the order first seen. */
  units: number[];
  /** Seconds since it last sent a byte (or since a reply it waits for began). */
  idle: number;
  /** Requests answered, and those answered with an exception. */
  requests: number;
  errors: number;
  /** Closing: it reads no more requests. */
  closing: boolean;
}

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

  /** The open TCP and TLS connections, all listeners together, oldest first. */
  connections(): ModbusConnectionInfo[] {
    const now = Date.now();
    return [...this.hub.connections].map((c) => {
      const peer = c.context.peer ?? "";
      const at = peer.lastIndexOf(":");
      return {
        id: c.id,
        peer: at < 0 ? peer : peer.slice(0, at),
        port: at < 0 ? 0 : Number(peer.slice(at + 1)),
        units: [...c.units],
        idle: Math.max(0, (now - c.lastActivity) / 1000),
        requests: c.requests,
        errors: c.errors,
        closing: c.closing,
      };
    });
  }

  /** Closes connection `id` as a peer's FIN would (answers what it received, then closes); false when none has it. */
  closeConnection(id: string): boolean {
    for (const c of this.hub.connections)
      if (c.id === id) {
        c.end();
        return true;
      }
    return false;
  }

  /** Requests answered over TCP and TLS since the start, and those answered with an exception (RTU ports count theirs in `stats`). */
  get counters(): { requests: number; errors: number } {
    return { requests: this.hub.requests, errors: this.hub.errors };
  }

  /**
   * The `delay` evil mode's reply delay in seconds (each reply drawn from `minS`…`maxS`), or undefined when replies
   * are not delayed. Setting it turns the delay on, changes it or (undefined) turns it off, for replies from then on;
   * throws `InvalidArgumentError` for a bad delay or while another evil mode (truncate, corrupt) is on.
   */
  get replyDelay(): { minS: number; maxS: number } | undefined {
    const evil = this.hub.evil;
    return evil?.mode === "delay" ? { minS: evil.minS, maxS: evil.maxS } : undefined;
  }

  set replyDelay(delay: { minS: number; maxS: number } | undefined) {
    const evil = this.hub.evil;
    if (evil !== undefined && evil.mode !== "delay")
      throw new InvalidArgumentError(
        `the server runs the "${evil.mode}" evil mode; it has no reply delay to set`,
      );
    if (delay === undefined) {
      this.hub.evil = undefined;
      return;
    }
    const ok = (s: unknown) => typeof s === "number" && Number.isFinite(s) && s >= 0 && s <= MAX_DELAY_S;
    if (!ok(delay.minS) || !ok(delay.maxS) || delay.maxS < delay.minS)
      throw new InvalidArgumentError(
        `"replyDelay" needs 0 <= minS <= maxS <= ${MAX_DELAY_S} seconds, got ${delay.minS} and ${delay.maxS}`,
      );
    this.hub.evil = { mode: "delay", minS: delay.minS, maxS: delay.maxS };
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

/** What every stream connection shares: the engine, the limits, the byte budget and the set of open connections. */
import type { Engine } from "../engine/engine.js";
import {
  DEFAULT_CLOSE_TIMEOUT_S,
  DEFAULT_IDLE_TIMEOUT_S,
  DEFAULT_MAX_BUFFERED_BYTES,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_PENDING,
  DEFAULT_PARTIAL_FRAME_TIMEOUT_S,
  type EvilMode,
  type ModbusServerOptions,
} from "./options.js";
import type { StreamConnection } from "./stream-connection.js";

/** The server-wide state of the TCP and TLS transports. */
export class Hub {
  readonly idleTimeoutMs: number;
  readonly partialTimeoutMs: number;
  readonly maxPending: number;
  readonly maxConnections: number;
  readonly maxBuffered: number;
  readonly closeTimeoutMs: number;
  /** The evil mode; `ModbusServer.replyDelay` may change a delay (or none) while serving. */
  evil: EvilMode | undefined;
  /** Requests answered over TCP and TLS since the start, and those answered with an exception. */
  requests = 0;
  errors = 0;
  /** Bytes held by all connections together: requests queued and partial frames. */
  buffered = 0;
  readonly connections = new Set<StreamConnection>();

  constructor(
    readonly engine: Engine,
    options: ModbusServerOptions,
  ) {
    this.idleTimeoutMs = (options.idleTimeout ?? DEFAULT_IDLE_TIMEOUT_S) * 1000;
    this.partialTimeoutMs = (options.partialFrameTimeout ?? DEFAULT_PARTIAL_FRAME_TIMEOUT_S) * 1000;
    this.maxPending = options.maxPendingRequests ?? DEFAULT_MAX_PENDING;
    this.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    this.maxBuffered = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
    this.closeTimeoutMs = (options.closeTimeout ?? DEFAULT_CLOSE_TIMEOUT_S) * 1000;
    this.evil = options.evil;
  }

  /** Room for one more connection: true at once under the cap, else after evicting the longest-idle idle one. */
  admit(): boolean {
    if (this.connections.size < this.maxConnections) return true;
    let victim: StreamConnection | undefined;
    for (const c of this.connections)
      if (c.evictable() && (victim === undefined || c.lastActivity < victim.lastActivity)) victim = c;
    if (victim === undefined) return false;
    victim.destroy();
    return true;
  }

  /** A connection now holds `delta` more bytes; over the budget, the connections holding the most are closed. */
  hold(delta: number): void {
    this.buffered += delta;
    while (this.buffered > this.maxBuffered) {
      let largest: StreamConnection | undefined;
      for (const c of this.connections) if (largest === undefined || c.held > largest.held) largest = c;
      if (largest === undefined || largest.held === 0) return;
      largest.destroy();
    }
  }
}

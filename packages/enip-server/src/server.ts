/**
 * The public EtherNet/IP server of the simulator: `EnipServer` binds a TCP listener and a UDP socket on one
 * address, and starts, disables and closes them. The protocol lives in `transport/`: options and delay
 * (`options.ts`), each TCP peer (`tcp-connection.ts`), command dispatch (`engine.ts`) and its handlers
 * (`session.ts`, `list-services.ts`, `unconnected.ts`, `connections.ts`), the read fast lane for repeated Read
 * Tag requests (`read-lane.ts`), and UDP (`udp.ts`).
 */
import type { Socket as UdpSocket } from "node:dgram";
import { type AddressInfo, createServer, type Server } from "node:net";
import type { Controller } from "./controller/controller.js";
import { Engine } from "./transport/engine.js";
import { checkOptions, DEFAULT_PORT, ReplyDelay, type ServerOptions } from "./transport/options.js";
import type { ConnectionInfo } from "./transport/tcp-connection.js";
import { bindUdp, closeUdp } from "./transport/udp.js";

export type { ServerOptions } from "./transport/options.js";
export { ReplyDelay } from "./transport/options.js";
export type { ConnectionInfo } from "./transport/tcp-connection.js";

/** Tries to find a port free for both TCP and UDP when the caller asks for port 0. */
const BIND_ATTEMPTS = 8;

/**
 * An EtherNet/IP server for one `Controller`: TCP (sessions, unconnected and connected messaging) and
 * UDP (the List commands) on one address. Start it with `EnipServer.start`, stop it with `close()`.
 */
export class EnipServer {
  /** The controller that executes every request. */
  readonly controller: Controller;
  /** The delay before each TCP reply; change `value` or `range` at any time. */
  readonly delay = new ReplyDelay();
  /** Resolves once `close()` has finished (all connections and sockets closed). */
  readonly closed: Promise<void>;
  private tcpServer: Server | undefined;
  private udpSocket: UdpSocket | undefined;
  private tcpBound: AddressInfo | undefined;
  private udpBound: AddressInfo | undefined;
  private readonly engine: Engine;
  private readonly host: string;
  private readonly options: ServerOptions;
  private isDisabled = false;
  private closing: Promise<void> | undefined;
  private resolveClosed!: () => void;
  private readonly onAbort = (): void => {
    void this.close();
  };

  private constructor(options: ServerOptions) {
    this.options = options;
    this.controller = options.controller;
    this.host = options.host ?? "0.0.0.0";
    const delay = options.delay;
    if (typeof delay === "number") this.delay.value = delay;
    else if (delay !== undefined) this.delay.range = delay;
    this.engine = new Engine(
      options.controller,
      this.delay,
      options,
      () => this.tcpBound?.port ?? 0,
      () => this.udpBound,
      () => (this.tcpBound ? `${this.tcpBound.address}:${this.tcpBound.port}` : ""),
    );
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
  }

  /**
   * Binds TCP and UDP on `host`:`port` and starts serving. Rejects with `InvalidArgumentError` for bad
   * options, with the socket error (e.g. EADDRINUSE) when the address cannot be bound, and with
   * `signal.reason` when the signal is already aborted.
   */
  static async start(options: ServerOptions): Promise<EnipServer> {
    checkOptions(options);
    options.signal?.throwIfAborted();
    const server = new EnipServer(options);
    try {
      await server.bind(options.port ?? DEFAULT_PORT);
    } catch (error) {
      server.delay.stop();
      throw error;
    }
    options.signal?.addEventListener("abort", server.onAbort, { once: true });
    return server;
  }

  /** The bound TCP address, or undefined when TCP is off (or the server is disabled or closed). */
  get tcpAddress(): AddressInfo | undefined {
    return this.tcpBound;
  }

  /** The bound UDP address, or undefined when UDP is off (or the server is disabled or closed). */
  get udpAddress(): AddressInfo | undefined {
    return this.udpBound;
  }

  /** True while `setDisabled(true)` holds the server closed. */
  get disabled(): boolean {
    return this.isDisabled;
  }

  /** The open TCP connections and their counters. */
  connections(): ConnectionInfo[] {
    const out: ConnectionInfo[] = [];
    for (const connection of this.engine.connections.values()) out.push(connection.info());
    return out;
  }

  /** Ends the TCP connection `id` (as in `ConnectionInfo.id`) after answering what it sent; false when there is none. */
  endConnection(id: string): boolean {
    const connection = this.engine.connections.get(id);
    if (connection === undefined) return false;
    connection.end(false);
    return true;
  }

  /**
   * `true` closes the listeners and every connection at once (cpppo's `server/control/disable`);
   * `false` binds the same TCP and UDP ports again. Does nothing when already in that state or closed.
   */
  setDisabled(disabled: boolean): Promise<void> {
    // Changes run one after another, so a quick true/false pair cannot bind before the unbind is done.
    const run = async (): Promise<void> => {
      if (this.closing !== undefined || disabled === this.isDisabled) return;
      this.isDisabled = disabled;
      if (disabled) {
        this.reopenPort = this.tcpBound?.port ?? this.udpBound?.port ?? 0;
        for (const connection of this.engine.connections.values()) connection.destroy();
        await this.unbind();
        return;
      }
      await this.bind(this.reopenPort, false);
    };
    const next = this.control.then(run, run);
    this.control = next.catch(() => undefined);
    return next;
  }

  private control: Promise<unknown> = Promise.resolve();
  private reopenPort = 0;

  /**
   * Stops accepting, answers the requests already received, half-closes every connection, and closes UDP.
   * Every connection still open `grace` seconds after the first call (default `closeTimeout`) is destroyed,
   * even one whose peer has stopped reading its replies. Idempotent; a later call with a shorter `grace`
   * (0: at once) brings that forward. Resolves when all is closed.
   */
  close(grace?: number): Promise<void> {
    this.destroyAfter(grace === undefined ? this.engine.closeTimeoutMs : Math.max(0, grace * 1000));
    if (this.closing !== undefined) return this.closing;
    this.options.signal?.removeEventListener("abort", this.onAbort);
    this.closing = (async () => {
      await this.control;
      this.delay.stop();
      const tcpServer = this.tcpServer;
      const serverClosed = tcpServer
        ? new Promise<void>((resolve) => tcpServer.close(() => resolve()))
        : undefined;
      this.tcpServer = undefined;
      const pending: Promise<void>[] = [];
      for (const connection of this.engine.connections.values()) {
        connection.end(false);
        pending.push(connection.closed);
      }
      await Promise.all(pending);
      await serverClosed;
      await this.closeUdp();
      this.engine.close();
      clearTimeout(this.destroyTimer);
      this.tcpBound = undefined;
      this.udpBound = undefined;
      this.resolveClosed();
    })();
    return this.closing;
  }

  private destroyTimer: NodeJS.Timeout | undefined;
  private destroyAt = Number.POSITIVE_INFINITY;

  /** Destroys every connection left open `ms` from now, unless an earlier call already set a sooner time. */
  private destroyAfter(ms: number): void {
    const at = Date.now() + ms;
    if (at >= this.destroyAt) return;
    this.destroyAt = at;
    clearTimeout(this.destroyTimer);
    this.destroyTimer = setTimeout(() => {
      for (const connection of this.engine.connections.values()) connection.destroy();
    }, ms);
    this.destroyTimer.unref();
  }

  /** Binds TCP then UDP on the port TCP got; with port 0, retries until a port is free for both. */
  private async bind(port: number, retry = true): Promise<void> {
    const tcp = this.options.tcp !== false;
    const udp = this.options.udp !== false;
    for (let attempt = 1; ; attempt++) {
      let bound = port;
      if (tcp) bound = await this.listenTcp(port);
      if (!udp) return;
      try {
        await this.bindUdp(bound);
        return;
      } catch (error) {
        const busy = (error as NodeJS.ErrnoException).code === "EADDRINUSE";
        if (!(busy && port === 0 && tcp && retry && attempt < BIND_ATTEMPTS)) {
          await this.unbind();
          throw error;
        }
        await this.unbind();
      }
    }
  }

  private listenTcp(port: number): Promise<number> {
    const server = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
      if (this.closing !== undefined || this.isDisabled) socket.destroy();
      else this.engine.accept(socket);
    });
    // No `server.maxConnections`: at the cap the engine evicts an idle connection to make room for the new one.
    return new Promise<number>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ port, host: this.host }, () => {
        server.off("error", reject);
        server.on("error", () => undefined);
        this.tcpServer = server;
        this.tcpBound = server.address() as AddressInfo;
        resolve(this.tcpBound.port);
      });
    });
  }

  private async bindUdp(port: number): Promise<void> {
    const socket = await bindUdp(
      this.engine,
      this.host,
      port,
      () => this.closing === undefined && !this.isDisabled,
    );
    this.udpSocket = socket;
    this.udpBound = socket.address();
  }

  private async unbind(): Promise<void> {
    const server = this.tcpServer;
    this.tcpServer = undefined;
    this.tcpBound = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    await this.closeUdp();
  }

  private closeUdp(): Promise<void> {
    const socket = this.udpSocket;
    this.udpSocket = undefined;
    this.udpBound = undefined;
    return closeUdp(socket);
  }
}

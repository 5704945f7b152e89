/** Modbus/TCP and Modbus/TCP Security (TLS) on modbus-serial: we connect the socket ourselves and link the client to it. */
import { connect as netConnect, type Socket } from "node:net";
import { type ConnectionOptions, connect as tlsConnect } from "node:tls";
import ModbusRTU from "modbus-serial";
import { InvalidArgumentError, ModbusClosedError, ModbusConnectionError } from "../core/errors.js";
import { type Link, ModbusSerialLine } from "./line.js";

/** Where and how to connect. */
export interface TcpTransportOptions {
  /** Host name or address (default "127.0.0.1"). */
  host?: string;
  /** TCP port (default 502, or 802 with `tls`). */
  port?: number;
  /** Default transaction deadline in ms (default 1000). */
  timeout?: number;
  /** Requests in flight at once on the connection (default 1; up to 128): pipelining, an opt-in. */
  pipeline?: number;
  /** Modbus/TCP Security: TLS options (`key`, `cert`, `ca`, …) for a mutual-TLS connection; default plain TCP. */
  tls?: ConnectionOptions;
}

/** A Modbus/TCP (or, with `tls`, Modbus/TCP Security) line on modbus-serial's client, one transaction at a time. */
export class TcpTransport extends ModbusSerialLine {
  readonly host: string;
  readonly port: number;
  private readonly tls: ConnectionOptions | undefined;
  /** The socket being connected, destroyed when its job gives up. */
  private connecting: Socket | undefined;

  /** A line to `host:port` (default 127.0.0.1:502, 802 with `tls`); nothing connects until the first request. */
  constructor(options: TcpTransportOptions = {}) {
    const pipeline = options.pipeline ?? 1;
    if (!Number.isInteger(pipeline) || pipeline < 1 || pipeline > 128)
      throw new InvalidArgumentError(`"pipeline" must be 1-128, not ${String(options.pipeline)}`);
    super(options.timeout, pipeline);
    this.host = options.host ?? "127.0.0.1";
    this.tls = options.tls;
    this.port = options.port ?? (options.tls ? 802 : 502);
    if (!Number.isInteger(this.port) || this.port < 1 || this.port > 0xffff)
      throw new InvalidArgumentError(`"port" must be 1-65535, not ${String(options.port)}`);
  }

  protected get where(): string {
    return `${this.host}:${this.port}`;
  }

  protected abandonOpening(): void {
    this.connecting?.destroy();
    this.connecting = undefined;
  }

  /** Connects (TCP or TLS) ourselves, so the deadline covers it, and links a fresh modbus-serial client to the socket. */
  protected openLink(isDone: () => boolean): Promise<Link> {
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
      const closedEarly = () => fail(new Error("closed while connecting"));
      const ok = () => {
        socket.off("error", fail);
        socket.off("close", closedEarly);
        if (this.connecting === socket) this.connecting = undefined;
        if (isDone()) {
          socket.destroy();
          reject(new ModbusClosedError("gave up before the connection opened"));
          return;
        }
        socket.setNoDelay(true);
        const client = new ModbusRTU();
        const link: Link = { client, destroy: () => socket.destroy() };
        // Errors and a close with a request in flight are ours to report: modbus-serial leaves that promise pending.
        client.on("error", () => this.onLinkError(link));
        socket.on("error", () => this.onLinkError(link));
        socket.once("close", () => this.lost(link));
        client
          .linkTCP(socket, { port: this.port })
          .then(() => resolve(link))
          .catch((e: Error) => fail(e));
      };
      socket.once(ready, ok);
      socket.once("error", fail);
      socket.once("close", closedEarly);
    });
  }
}

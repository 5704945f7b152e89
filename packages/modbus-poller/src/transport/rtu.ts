/**
 * Modbus RTU on a serial line through modbus-serial's buffered RTU port. Several pollers share one line by sharing
 * one `RtuTransport`: its FIFO keeps one transaction in flight, so frames never interleave. A reply spoiled by
 * noise (modbus-serial reports a CRC or length error rather than resynchronising) fails that request, and the port
 * is closed and reopened, which empties modbus-serial's buffer before the next request.
 */
import ModbusRTU from "modbus-serial";
import { InvalidArgumentError, ModbusConnectionError } from "../core/errors.js";
import { type Link, ModbusSerialLine } from "./line.js";

/** The serial line: its device and format (default 9600 8N1), and the default transaction deadline in ms (1000). */
export interface RtuTransportOptions {
  path: string;
  baudRate?: number;
  dataBits?: 5 | 6 | 7 | 8;
  parity?: "none" | "even" | "odd";
  stopBits?: 1 | 2;
  timeout?: number;
}

/** A Modbus RTU line on modbus-serial, one transaction at a time; share one between pollers on the same line. */
export class RtuTransport extends ModbusSerialLine {
  readonly path: string;
  private readonly options: RtuTransportOptions;
  /** The last port's close, awaited before the port is opened again. */
  private closing: Promise<void> = Promise.resolve();
  private opening: ModbusRTU | undefined;

  /** A line on `options.path`; nothing opens until the first request. */
  constructor(options: RtuTransportOptions) {
    super(options.timeout);
    if (typeof options.path !== "string" || options.path === "")
      throw new InvalidArgumentError(`"path" must name a serial device`);
    this.path = options.path;
    this.options = options;
  }

  protected get where(): string {
    return this.path;
  }

  protected abandonOpening(): void {
    const client = this.opening;
    this.opening = undefined;
    if (client) this.closing = closeClient(client);
  }

  protected async openLink(isDone: () => boolean): Promise<Link> {
    await this.closing;
    const client = new ModbusRTU();
    this.opening = client;
    try {
      await client.connectRTUBuffered(this.path, {
        baudRate: this.options.baudRate ?? 9600,
        dataBits: this.options.dataBits ?? 8,
        parity: this.options.parity ?? "none",
        stopBits: this.options.stopBits ?? 1,
      });
    } catch (e) {
      if (this.opening === client) this.opening = undefined;
      throw new ModbusConnectionError(`open ${this.path} failed: ${(e as Error).message}`, { cause: e });
    }
    if (this.opening === client) this.opening = undefined;
    const link: Link = {
      client,
      destroy: () => {
        this.closing = closeClient(client);
      },
    };
    if (isDone()) return link; // the caller destroys it
    client.on("error", () => this.onLinkError(link));
    (client as unknown as { on(e: "close", f: () => void): void }).on("close", () => this.lost(link));
    return link;
  }
}

/** Closes modbus-serial's port; resolves when it is closed (or could not be). */
function closeClient(client: ModbusRTU): Promise<void> {
  return new Promise((ok) => {
    try {
      if (!client.isOpen) {
        ok();
        return;
      }
      client.close(() => ok());
    } catch {
      ok();
    }
  });
}

/**
 * Modbus RTU on a serial port through `serialport`: the codec's RtuFramer finds each request through line noise and
 * skips frames for other units (another slave's traffic on the bus); each is answered in turn. Unit 0 (broadcast)
 * is executed without a reply when it is among the units served.
 */
import { encodeRtuAdu, RtuFramer, rtuTiming } from "@cpppo/modbus-codec";
import { SerialPort } from "serialport";
import { InvalidArgumentError } from "../core/errors.js";
import type { Engine, RequestContext } from "../engine/engine.js";

/** Options of `ModbusServer.openRtu`. */
export interface RtuOptions {
  /** The serial device, e.g. "/dev/ttyUSB0". */
  path: string;
  /** Defaults to 9600. */
  baudRate?: number;
  /** Defaults to 8. */
  dataBits?: 7 | 8;
  /** Defaults to "none". */
  parity?: "none" | "even" | "odd";
  /** Defaults to 1. */
  stopBits?: 1 | 2;
  /** The unit ids answered on this line; defaults to the server's units, or 1…247 with one store for all. */
  units?: readonly number[];
}

/** An open RTU line. */
export interface RtuPort {
  /** The serial device. */
  readonly path: string;
  /** Frame counters: requests answered, bytes of noise discarded, frames for other units skipped. */
  readonly stats: { requests: number; discardedBytes: number; skippedFrames: number };
  /** Sends the replies already due, then closes the port. */
  close(): Promise<void>;
}

const BROADCAST = 0;

export function checkRtuOptions(options: RtuOptions): void {
  if (
    typeof options !== "object" ||
    options === null ||
    typeof options.path !== "string" ||
    options.path === ""
  )
    throw new InvalidArgumentError('"path" must name a serial device, e.g. "/dev/ttyUSB0"');
  const { baudRate, dataBits, parity, stopBits, units } = options;
  if (baudRate !== undefined && (!Number.isInteger(baudRate) || baudRate <= 0))
    throw new InvalidArgumentError(`"baudRate" must be a positive integer, got ${baudRate}`);
  if (dataBits !== undefined && dataBits !== 7 && dataBits !== 8)
    throw new InvalidArgumentError(`"dataBits" must be 7 or 8 (Modbus RTU), got ${dataBits}`);
  if (parity !== undefined && !["none", "even", "odd"].includes(parity))
    throw new InvalidArgumentError(`"parity" must be "none", "even" or "odd", got ${String(parity)}`);
  if (stopBits !== undefined && stopBits !== 1 && stopBits !== 2)
    throw new InvalidArgumentError(`"stopBits" must be 1 or 2, got ${stopBits}`);
  if (
    units !== undefined &&
    (!Array.isArray(units) || units.some((u) => !Number.isInteger(u) || u < 0 || u > 247))
  )
    throw new InvalidArgumentError('"units" must be a list of unit ids from 0 to 247');
}

/** Opens `options.path` and answers the requests of `units` on it. */
export async function openRtuPort(
  engine: Engine,
  options: RtuOptions,
  units: readonly number[],
): Promise<RtuPort> {
  const baudRate = options.baudRate ?? 9600;
  const dataBits = options.dataBits ?? 8;
  const parity = options.parity ?? "none";
  const stopBits = options.stopBits ?? 1;
  const accepted = new Set(units);
  const framer = new RtuFramer({ direction: "request", accept: (unitId: number) => accepted.has(unitId) });
  const { silentMs } = rtuTiming(baudRate, { dataBits, parity, stopBits });
  const port = new SerialPort({ path: options.path, baudRate, dataBits, parity, stopBits, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
  const context: RequestContext = { peer: options.path };
  const stats = { requests: 0, discardedBytes: 0, skippedFrames: 0 };
  let silence: NodeJS.Timeout | undefined;
  // One reply on the line at a time: each is written out, then the line stays silent for t3.5 before the next, so
  // two replies never run together into what a master would read as one frame.
  let sending: Promise<void> = Promise.resolve();
  const send = (adu: Uint8Array): void => {
    sending = sending.then(
      () =>
        new Promise<void>((resolve) => {
          if (!port.isOpen) {
            resolve();
            return;
          }
          port.write(Buffer.from(adu));
          port.drain(() => setTimeout(resolve, Math.max(1, Math.ceil(silentMs))));
        }),
    );
  };
  port.on("error", () => undefined);
  port.on("data", (chunk: Buffer) => {
    framer.push(chunk);
    for (let frame = framer.next(); frame !== undefined; frame = framer.next()) {
      stats.requests++;
      let reply: Uint8Array | undefined;
      try {
        reply = engine.execute(frame.unitId, frame.pdu, context);
      } catch {
        reply = undefined;
      }
      if (reply !== undefined && frame.unitId !== BROADCAST) send(encodeRtuAdu(frame.unitId, reply));
    }
    stats.discardedBytes = framer.discardedBytes;
    stats.skippedFrames = framer.skippedFrames;
    // A t3.5 silence ends whatever partial frame is held: the next byte starts a new frame.
    if (silence !== undefined) clearTimeout(silence);
    silence = setTimeout(() => framer.silence(), Math.max(1, Math.ceil(silentMs)));
    silence.unref();
  });
  let closing: Promise<void> | undefined;
  return {
    path: options.path,
    stats,
    close() {
      // The replies already due go out first; then the port closes.
      closing ??= sending.then(
        () =>
          new Promise<void>((resolve) => {
            if (silence !== undefined) clearTimeout(silence);
            if (!port.isOpen) {
              resolve();
              return;
            }
            port.drain(() => port.close(() => resolve()));
          }),
      );
      return closing;
    },
  };
}

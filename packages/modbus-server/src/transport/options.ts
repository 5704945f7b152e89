/** The options of `ModbusServer`, their defaults and checks, and the evil modes. */
import { InvalidArgumentError } from "../core/errors.js";
import type { DeviceIdentification } from "../engine/device-id.js";
import type { ModbusHooks } from "../engine/hooks.js";
import type { ModbusStore } from "../store/store.js";

/** The MBAP field `corrupt` spoils in each reply (cpppo's `-e corrupt:<field>`); "registers" changes the amount of data. */
export type CorruptField = "transaction" | "protocol" | "unit" | "function" | "registers";

/**
 * A failure mode for testing clients (cpppo's `-e`), applied to TCP and TLS replies: `truncate` sends a random
 * prefix of 1…n−1 bytes of each reply; `delay` holds each reply `minS`…`maxS` seconds (drawn per reply) on its
 * own connection only, so other clients are answered meanwhile; `corrupt` spoils one field of each reply.
 */
export type EvilMode =
  | { mode: "truncate" }
  | { mode: "delay"; minS: number; maxS: number }
  | { mode: "corrupt"; field: CorruptField };

/** Options of `new ModbusServer`. */
export interface ModbusServerOptions {
  /** The store every unit id reads and writes (cpppo's `single`); defaults to an empty store (every address is exception 02). */
  store?: ModbusStore;
  /**
   * The units served: a list of unit ids that share `store`, or a map (or record) of unit id → store. A request
   * for any other unit gets no reply at all, on TCP as on RTU, as cpppo does (no exception 0x0B). Defaults to
   * every unit id.
   */
  units?: readonly number[] | ReadonlyMap<number, ModbusStore> | Readonly<Record<number, ModbusStore>>;
  /** Hooks that see, and may refuse or replace, every read and write. */
  hooks?: ModbusHooks;
  /** A failure mode for testing clients; defaults to none. */
  evil?: EvilMode;
  /** The FC 43/14 objects, id → text or bytes; defaults to VendorName "cpppo", ProductCode "modbus-sim", MajorMinorRevision "1.0". */
  deviceIdentification?: DeviceIdentification;
  /**
   * Most simultaneous TCP and TLS connections, all listeners together; defaults to 4096. At the cap a new
   * connection evicts the longest-idle one with no request in hand; when there is none it is closed at once.
   */
  maxConnections?: number;
  /** Seconds without a byte from the peer (and no request of its being answered) before a connection is closed; defaults to 120; 0 = never. */
  idleTimeout?: number;
  /** Seconds a request may take from its first byte to its last before the connection is closed; defaults to 10; 0 = no limit. */
  partialFrameTimeout?: number;
  /** Requests received but not yet answered on one connection before the server stops reading from it; defaults to 64. */
  maxPendingRequests?: number;
  /** Bytes of requests received and not yet answered, all connections together; over it the connection holding the most is closed. Defaults to 16777216 (16 MiB). */
  maxBufferedBytes?: number;
  /** Seconds `close()` waits for connections to finish before destroying them, unless `deadlineMs` says otherwise; defaults to 2. */
  closeTimeout?: number;
}

export const DEFAULT_MAX_CONNECTIONS = 4096;
export const DEFAULT_IDLE_TIMEOUT_S = 120;
export const DEFAULT_PARTIAL_FRAME_TIMEOUT_S = 10;
export const DEFAULT_MAX_PENDING = 64;
export const DEFAULT_MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
export const DEFAULT_CLOSE_TIMEOUT_S = 2;
/** The longest delay, in seconds: Node's timers run at most 2^31 - 1 ms. */
export const MAX_DELAY_S = 2_147_483;
const CORRUPT_FIELDS: readonly CorruptField[] = ["transaction", "protocol", "unit", "function", "registers"];
/** Largest MBAP ADU: a 7-byte header and a 253-byte PDU. */
const MAX_ADU = 260;

/** Checks the options; throws `InvalidArgumentError` naming the field. */
export function checkServerOptions(options: ModbusServerOptions): void {
  if (typeof options !== "object" || options === null)
    throw new InvalidArgumentError('"options" must be an object, e.g. { store }');
  const integer = (name: string, value: number | undefined, min: number, max: number): void => {
    if (value !== undefined && (!Number.isInteger(value) || value < min || value > max))
      throw new InvalidArgumentError(`"${name}" must be an integer from ${min} to ${max}, got ${value}`);
  };
  const seconds = (name: string, value: number | undefined): void => {
    if (
      value !== undefined &&
      (typeof value !== "number" || !Number.isFinite(value) || value < 0 || value > MAX_DELAY_S)
    )
      throw new InvalidArgumentError(
        `"${name}" must be a number of seconds from 0 to ${MAX_DELAY_S}, got ${value}`,
      );
  };
  integer("maxConnections", options.maxConnections, 1, 1_000_000);
  integer("maxPendingRequests", options.maxPendingRequests, 1, 1_000_000);
  integer("maxBufferedBytes", options.maxBufferedBytes, MAX_ADU, Number.MAX_SAFE_INTEGER);
  seconds("idleTimeout", options.idleTimeout);
  seconds("partialFrameTimeout", options.partialFrameTimeout);
  seconds("closeTimeout", options.closeTimeout);
  const evil = options.evil;
  if (evil !== undefined) {
    if (typeof evil !== "object" || evil === null)
      throw new InvalidArgumentError('"evil" must be { mode: "truncate" | "delay" | "corrupt", ... }');
    if (evil.mode === "delay") {
      seconds("evil.minS", evil.minS);
      seconds("evil.maxS", evil.maxS);
      if (typeof evil.minS !== "number" || typeof evil.maxS !== "number" || evil.maxS < evil.minS)
        throw new InvalidArgumentError('"evil" delay needs 0 <= minS <= maxS seconds');
    } else if (evil.mode === "corrupt") {
      if (!CORRUPT_FIELDS.includes(evil.field))
        throw new InvalidArgumentError(
          `"evil.field" must be one of ${CORRUPT_FIELDS.join(", ")}, got ${String(evil.field)}`,
        );
    } else if (evil.mode !== "truncate")
      throw new InvalidArgumentError(
        `"evil.mode" must be "truncate", "delay" or "corrupt", got ${String((evil as { mode?: unknown }).mode)}`,
      );
  }
  const units = options.units;
  if (units !== undefined) {
    const ids = Array.isArray(units)
      ? (units as number[])
      : units instanceof Map
        ? [...units.keys()]
        : Object.keys(units).map(Number);
    for (const id of ids)
      if (!Number.isInteger(id) || id < 0 || id > 255)
        throw new InvalidArgumentError(`"units" ids must be integers from 0 to 255, got ${String(id)}`);
    if (!Array.isArray(units) && options.store !== undefined)
      throw new InvalidArgumentError(
        '"units" maps each unit to its store: give "store" only with a list of unit ids',
      );
  }
}

/**
 * Many simulated controllers in one process: one `EnipServer` per address (127.0.0.1, 127.0.0.2, …),
 * all sharing the event loop. On Linux every 127.0.0.x address is loopback, so each controller can
 * listen on 44818 like a real plant.
 */
import { formatIpv4, parseIpv4 } from "@cpppo/cip-codec";
import { Controller, type ControllerOptions } from "./controller/controller.js";
import { InvalidArgumentError } from "./core/errors.js";
import { EnipServer, type ServerOptions } from "./server.js";

/** Options of `startPlant`. */
export interface PlantOptions {
  /** How many controllers to run (at least 1). */
  count: number;
  /** Address of the first controller; the i-th gets this address + i. Defaults to "127.0.0.1". */
  baseAddress?: string;
  /** Port every controller binds; defaults to 44818; 0 gives each a free port of its own. */
  port?: number;
  /** Options of the i-th controller (0-based); defaults to a controller with no tags. */
  controller?: (index: number) => ControllerOptions;
  /** Server options shared by every controller (address, port, controller and signal excepted). */
  server?: Omit<ServerOptions, "controller" | "host" | "port" | "signal">;
  /** Aborting closes the whole plant. */
  signal?: AbortSignal;
}

/** A running plant: its servers in address order, and one `close()` for all of them. */
export interface Plant {
  /** The servers, `servers[i]` on `baseAddress + i`. */
  readonly servers: readonly EnipServer[];
  /** Closes every server gracefully (see `EnipServer.close`); idempotent. */
  close(): Promise<void>;
}

/** Servers started at once: enough to keep the loop busy, few enough not to exhaust ephemeral ports. */
const START_BATCH = 64;

/**
 * Starts `count` controllers on consecutive addresses. If any fails to start, the ones already started
 * are closed and the error is thrown (`InvalidArgumentError` for bad options, else the socket error).
 */
export async function startPlant(options: PlantOptions): Promise<Plant> {
  const count = options.count;
  if (!Number.isInteger(count) || count < 1)
    throw new InvalidArgumentError(`"count" must be an integer of at least 1, got ${count}`);
  const base = options.baseAddress ?? "127.0.0.1";
  let first: number;
  try {
    first = parseIpv4(base);
  } catch (cause) {
    throw new InvalidArgumentError(`"baseAddress" must be an IPv4 address, got "${base}"`, { cause });
  }
  if (first + count - 1 > 0xffffffff)
    throw new InvalidArgumentError(`"baseAddress" ${base} + ${count} runs past 255.255.255.255`);
  options.signal?.throwIfAborted();
  const servers: EnipServer[] = [];
  const make = options.controller ?? (() => ({}));
  try {
    for (let start = 0; start < count; start += START_BATCH) {
      const batch: Promise<EnipServer>[] = [];
      for (let i = start; i < Math.min(count, start + START_BATCH); i++)
        batch.push(
          EnipServer.start({
            ...options.server,
            controller: new Controller(make(i)),
            host: formatIpv4(first + i),
            port: options.port ?? 44818,
          }),
        );
      const settled = await Promise.allSettled(batch);
      for (const result of settled) if (result.status === "fulfilled") servers.push(result.value);
      const failed = settled.find((result) => result.status === "rejected");
      if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
      options.signal?.throwIfAborted();
    }
  } catch (error) {
    await Promise.all(servers.map((server) => server.close()));
    throw error;
  }
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= Promise.all(servers.map((server) => server.close())).then(() => undefined);
    options.signal?.removeEventListener("abort", onAbort);
    return closing;
  };
  const onAbort = (): void => {
    void close();
  };
  options.signal?.addEventListener("abort", onAbort, { once: true });
  return { servers, close };
}

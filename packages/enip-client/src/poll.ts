/**
 * A cyclic poller (cpppo §3.6): reads parameters every `cycle` ms on a steady cadence; on failure it reports the
 * error, drops the session, waits with exponential back-off (min × multiplier^n, capped at max) and reconnects on
 * the next poll. It runs until its AbortSignal fires. Time and sleeping are injectable for tests.
 */
import { EnipClient, type EnipClientOptions } from "./client.js";
import { addAbortListener } from "./core/abort.js";
import { InvalidArgumentError } from "./core/errors.js";
import { type AttributeParameter, AttributeProxy, type ParameterResult } from "./proxy.js";

/** Options of `poll`. */
export interface PollOptions {
  /** How to reach the device: client options (a new client per connection), or a function making one. */
  connect: EnipClientOptions | (() => Promise<EnipClient>);
  /** Parameter names to read each cycle (see `PARAMETERS`), e.g. ["product_name", "Output Current"]. */
  parameters: readonly string[];
  /** Device parameters beyond the built-in ones. */
  definitions?: Record<string, AttributeParameter>;
  /** Milliseconds between polls; defaults to 1000. */
  cycle?: number;
  /** First back-off delay after a failure in ms; defaults to `cycle`. */
  backoffMin?: number;
  /** Growth of the back-off per consecutive failure; defaults to 1.5. */
  backoffMultiplier?: number;
  /** Longest back-off in ms; defaults to 10 × `backoffMin`. */
  backoffMax?: number;
  /** How each poll reads, over the current client; defaults to reading `parameters` through an `AttributeProxy`. */
  read?(client: EnipClient, proxy: AttributeProxy, signal?: AbortSignal): Promise<ParameterResult[]>;
  /** Called with each poll's results (every parameter, status included). */
  process(results: ParameterResult[]): void;
  /** Called with each failure (timeout, lost connection, refused connection…); defaults to ignoring it. */
  failure?(error: unknown): void;
  /** Stops polling; `poll` then resolves. */
  signal?: AbortSignal;
  /** Milliseconds now; defaults to `performance.now`. */
  now?: () => number;
  /** Waits `ms` (resolving early when `signal` aborts); defaults to a timer. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      disposeAbort();
      resolve();
    };
    const timer = setTimeout(done, ms);
    const disposeAbort = addAbortListener(signal, done);
  });
}

function positive(name: string, value: number): number {
  if (!(value > 0 && Number.isFinite(value)))
    throw new InvalidArgumentError(`"${name}" must be a positive number, got ${value}`);
  return value;
}

/** The delay before retry `failures` (1 = first failure): min × multiplier^(failures-1), at most max. */
export function backoffDelay(failures: number, min: number, multiplier: number, max: number): number {
  return Math.min(max, min * multiplier ** Math.max(0, failures - 1));
}

/**
 * Polls until `signal` aborts; resolves then (after closing its client). Keeps the cadence: the next poll is
 * due a whole number of cycles after the last one, so a slow poll skips cycles instead of drifting.
 */
export async function poll(options: PollOptions): Promise<void> {
  const cycle = positive("cycle", options.cycle ?? 1000);
  const min = positive("backoffMin", options.backoffMin ?? cycle);
  const multiplier = options.backoffMultiplier ?? 1.5;
  if (!(multiplier >= 1))
    throw new InvalidArgumentError(`"backoffMultiplier" must be at least 1, got ${multiplier}`);
  const max = positive("backoffMax", options.backoffMax ?? 10 * min);
  const now = options.now ?? (() => performance.now());
  const sleep = options.sleep ?? defaultSleep;
  const signal = options.signal;
  const connect =
    typeof options.connect === "function"
      ? options.connect
      : () => EnipClient.connect({ ...(options.connect as EnipClientOptions), signal });
  let client: EnipClient | undefined;
  let proxy: AttributeProxy | undefined;
  let failures = 0;
  let due = now();
  try {
    while (!signal?.aborted) {
      try {
        if (client === undefined) {
          client = await connect();
          proxy = new AttributeProxy(client, options.definitions);
        }
        const results = options.read
          ? await options.read(client, proxy as AttributeProxy, signal)
          : await (proxy as AttributeProxy).read(options.parameters, { signal });
        failures = 0;
        options.process(results);
      } catch (error) {
        if (signal?.aborted) break;
        failures++;
        options.failure?.(error);
        const dropped = client;
        client = undefined;
        proxy = undefined;
        await dropped?.close().catch(() => undefined);
        await sleep(backoffDelay(failures, min, multiplier, max), signal);
        due = now();
        continue;
      }
      const t = now();
      due += cycle;
      if (due < t) due += Math.ceil((t - due) / cycle) * cycle;
      await sleep(due - t, signal);
    }
  } finally {
    await client?.close().catch(() => undefined);
  }
}

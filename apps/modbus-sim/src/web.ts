/**
 * `modbus-sim -w`: the simulator's registers and coils through @cpppo/enip-server's web API and the live dashboard.
 * Each register range given on the command line is one "tag" named by its first cpppo address (e.g. "40001"): an
 * array of booleans (coils, discrete inputs) or of 0…65535 (registers). The page edits values and element ranges;
 * a non-zero `error` on a range refuses every request touching it (the client gets the server's refusal). Once the
 * server is attached, the page also shows its TCP and TLS connections (peer, unit ids, requests, idle time) with a
 * Close button, its requests/s and exceptions/s, and the `-e delay` reply delay, which it may set.
 */
import type { WebController, WebServer, WebTag } from "@cpppo/enip-server";
import type {
  ModbusAccess,
  ModbusHooks,
  ModbusServer,
  ModbusStore,
  RegisterRange,
} from "@cpppo/modbus-server";

const PREFIX = { coils: 0, discreteInputs: 1, inputRegisters: 3, holdingRegisters: 4 } as const;
const TYPE = {
  coils: "COIL",
  discreteInputs: "DISCRETE_INPUT",
  inputRegisters: "INPUT_REGISTER",
  holdingRegisters: "HOLDING_REGISTER",
} as const;

/** cpppo's 1-based address of a 0-based protocol address: 5 digits (40001) below 10000, else 6 (410001). */
export function cpppoAddress(table: RegisterRange["table"], address: number): string {
  const n = address + 1;
  return n < 10_000 ? String(PREFIX[table] * 10_000 + n) : String(PREFIX[table] * 100_000 + n);
}

class RangeTag implements WebTag {
  readonly name: string;
  readonly elements: number;
  readonly typeName: string;
  readonly isArray = true;
  error = 0;
  private readonly bits: boolean;
  constructor(
    private readonly store: ModbusStore,
    readonly range: RegisterRange,
  ) {
    this.name = cpppoAddress(range.table, range.address);
    this.elements = range.count;
    this.typeName = TYPE[range.table];
    this.bits = range.table === "coils" || range.table === "discreteInputs";
  }
  values(start = 0, count = this.elements - start): unknown[] {
    const raw = this.store.read(this.range.table, this.range.address + start, count);
    return this.bits ? raw.map((v) => v !== 0) : raw;
  }
  setValues(start: number, values: unknown[]): void {
    this.store.write(
      this.range.table,
      this.range.address + start,
      values.map((v) => (typeof v === "boolean" ? Number(v) : (v as number))),
    );
  }
  /** The range's values as bytes, read afresh: the event stream compares them to find changes. */
  get bytes(): Uint8Array {
    const words = Uint16Array.from(this.store.read(this.range.table, this.range.address, this.elements));
    return new Uint8Array(words.buffer);
  }
  describe(): string {
    const shown = this.values(0, Math.min(this.elements, 10)).map(String);
    return `${this.name.padEnd(14)} ${this.typeName}[${this.elements}] == [${shown.join(", ")}${this.elements > 10 ? ", …" : ""}]`;
  }
  overlaps(access: ModbusAccess): boolean {
    const { table, address, count } = this.range;
    return (
      access.table === table && access.address < address + count && address < access.address + access.count
    );
  }
}

/**
 * The web API's view of a Modbus simulator, the hooks that make its injected errors refuse requests, and `attach`,
 * which gives it the server (created with those hooks) for its connections, counters and reply delay.
 */
export function modbusWeb(
  store: ModbusStore,
  ranges: readonly RegisterRange[],
): { server: WebServer; hooks: ModbusHooks; attach(server: ModbusServer): void } {
  const tags = new Map<string, RangeTag>();
  for (const range of ranges) {
    const tag = new RangeTag(store, range);
    tags.set(tag.name, tag);
  }
  const controller: WebController = {
    tags: { names: () => [...tags.keys()], get: (name) => tags.get(name) },
  };
  const refused = (access: ModbusAccess) => {
    for (const tag of tags.values()) if (tag.error !== 0 && tag.overlaps(access)) return false;
    return undefined;
  };
  let modbus: ModbusServer | undefined;
  const attached = (): ModbusServer => {
    if (!modbus) throw new Error("the Modbus server has not started yet");
    return modbus;
  };
  // The API's delay: `value` a fixed delay (0 = none), `range` one drawn per reply; both are the `-e delay` mode's.
  const delay = {
    get value() {
      return modbus?.replyDelay?.minS ?? 0;
    },
    set value(seconds: number) {
      attached().replyDelay = seconds > 0 ? { minS: seconds, maxS: seconds } : undefined;
    },
    get range() {
      const d = modbus?.replyDelay;
      return d && d.maxS > d.minS ? { min: d.minS, max: d.maxS } : undefined;
    },
    set range(r: { min: number; max: number } | undefined) {
      const server = attached();
      const d = server.replyDelay;
      // No range: the delay holds at its low end (the API then sets `value`).
      server.replyDelay = r ? { minS: r.min, maxS: r.max } : d && { minS: d.minS, maxS: d.minS };
    },
  };
  const server: WebServer = {
    controller,
    delay,
    connections: () =>
      (modbus?.connections() ?? []).map((c) => ({
        id: c.id,
        peer: c.peer,
        port: c.port,
        received: c.requests,
        requests: c.requests,
        processed: c.requests,
        eof: c.closing,
        units: c.units,
      })),
    endConnection: (id) => modbus?.closeConnection(id) ?? false,
    counters: () => modbus?.counters ?? { requests: 0, errors: 0 },
    disabled: false,
    setDisabled: async () => {
      throw new Error("modbus-sim cannot be disabled from the web API");
    },
  };
  return {
    server,
    hooks: { onRead: refused, onWrite: refused },
    attach: (s) => {
      modbus = s;
    },
  };
}

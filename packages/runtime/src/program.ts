/**
 * A PLC program in this toolkit: a plant configuration (JSON) naming parts — EtherNet/IP and Modbus simulators,
 * history recording and playback, Modbus pollers (`src/parts/`), and any kind a caller registers — each with
 * `start` and `stop`.
 */
import { connect as netConnect, type Socket } from "node:net";
import { createServer as createTlsServer, type TlsOptions, type Server as TlsServer } from "node:tls";
import { Controller, EnipServer } from "@cpppo/enip-server";
import { ModbusServer, ModbusStore, parseRegisterRanges } from "@cpppo/modbus-server";
import { z } from "zod";
import { ProgramError } from "./errors.js";
import { historizePart } from "./parts/historize.js";
import {
  checked,
  issue,
  PART_CLOSE_GRACE_S,
  type PartConfig,
  type PartFactory,
  partFile,
  portField,
} from "./parts/part.js";
import { playbackPart } from "./parts/playback.js";
import { modbusPollerPart } from "./parts/poller.js";
import { parsePskSecrets, pskServerOptions } from "./psk.js";

export type {
  PartConfig,
  PartContext,
  PartEnvironment,
  PartFactory,
  PlantPart,
  TraceVariable,
} from "./parts/part.js";
export { historizePart, modbusPollerPart, playbackPart };

/** A validated program: its parts' configurations, in start order. */
export interface PlantProgram {
  name?: string | undefined;
  parts: PartConfig[];
}

const partShape = z.looseObject({
  kind: z.string().min(1, "needs a kind"),
  name: z.string().min(1, "needs a name"),
});
const programShape = z.object({
  name: z.string().optional(),
  parts: z.array(partShape),
});

/** Parses a program blob (UTF-8 JSON), checking its shape and that part names are unique; throws ProgramError. */
export function parseProgram(bytes: Uint8Array | string): PlantProgram {
  let json: unknown;
  try {
    json = JSON.parse(typeof bytes === "string" ? bytes : Buffer.from(bytes).toString("utf8"));
  } catch (error) {
    throw new ProgramError(`the program is not JSON: ${(error as Error).message}`, { cause: error });
  }
  const result = programShape.safeParse(json);
  if (!result.success)
    throw new ProgramError(`the program does not match the schema: ${issue(result.error)}`);
  const seen = new Set<string>();
  for (const part of result.data.parts) {
    if (seen.has(part.name)) throw new ProgramError(`two parts are named ${JSON.stringify(part.name)}`);
    seen.add(part.name);
  }
  return result.data as PlantProgram;
}

const enipShape = z.object({
  kind: z.literal("enip"),
  name: z.string(),
  host: z.string().default("127.0.0.1"),
  port: portField.default(44818),
  tags: z.array(z.string()).default([]),
  udp: z.boolean().default(false),
  tls: z
    .object({
      host: z.string().optional(),
      port: portField.default(2221),
      pskFile: z.string().optional(),
      cert: z.string().optional(),
      key: z.string().optional(),
    })
    .refine((t) => t.pskFile !== undefined || (t.cert !== undefined && t.key !== undefined), {
      message: "needs pskFile, or cert and key",
    })
    .optional(),
});
const modbusShape = z.object({
  kind: z.literal("modbus"),
  name: z.string(),
  host: z.string().default("127.0.0.1"),
  port: portField.default(502),
  ranges: z.array(z.string()).default([]),
});
const faultShape = z.object({
  kind: z.literal("fault"),
  name: z.string(),
  afterMs: z.number().int().min(0).default(0),
});

/**
 * An EtherNet/IP simulator part: `{kind:"enip", name, host?, port? (44818), tags: ["SCADA=INT[10]"], udp? (false),
 * tls?: {host?, port? (2221, CIP Security), pskFile? | cert + key}}`. With `tls`, the same simulator is also served
 * over TLS 1.2/1.3 — with a stunnel-style PSK file (the CIP Security ECDHE-PSK suites) or a certificate — each TLS
 * connection relayed to the simulator's TCP port on the loopback.
 */
export const enipPart: PartFactory = (config, environment) => {
  const c = checked(enipShape, config);
  let server: EnipServer | undefined;
  let tlsServer: TlsServer | undefined;
  const relays = new Set<Socket>();
  const controller = new Controller({ tags: c.tags });
  let tlsOptions: TlsOptions | undefined;
  if (c.tls !== undefined) {
    const t = c.tls;
    if (t.pskFile !== undefined) {
      const text = partFile(c.name, environment, t.pskFile).toString("latin1");
      try {
        tlsOptions = pskServerOptions(parsePskSecrets(text, t.pskFile));
      } catch (error) {
        throw new ProgramError(`part ${JSON.stringify(c.name)}: ${(error as Error).message}`);
      }
    } else
      tlsOptions = {
        cert: partFile(c.name, environment, t.cert as string),
        key: partFile(c.name, environment, t.key as string),
        minVersion: "TLSv1.2",
      };
  }
  return {
    name: c.name,
    controller,
    address: () => {
      const port = server?.tcpAddress?.port;
      return port === undefined ? undefined : { host: c.host, port };
    },
    async start(context) {
      server = await EnipServer.start({ controller, host: c.host, port: c.port, udp: c.udp });
      const plainPort = server.tcpAddress?.port as number;
      context.log(2, `part ${c.name} enip listening on ${c.host}:${plainPort}`);
      if (tlsOptions === undefined || c.tls === undefined) return;
      const tlsHost = c.tls.host ?? c.host;
      const relay = (secure: Socket): void => {
        const plain = netConnect({ host: "127.0.0.1", port: plainPort, noDelay: true });
        relays.add(secure).add(plain);
        const end = (): void => {
          secure.destroy();
          plain.destroy();
          relays.delete(secure);
          relays.delete(plain);
        };
        secure.on("error", end).on("close", end);
        plain.on("error", end).on("close", end);
        secure.pipe(plain).pipe(secure);
      };
      tlsServer = createTlsServer(tlsOptions, relay);
      tlsServer.on("tlsClientError", (_error, socket) => socket.destroy());
      const ts = tlsServer;
      await new Promise<void>((resolve, reject) => {
        ts.once("error", reject);
        ts.listen(c.tls?.port, tlsHost, () => {
          ts.off("error", reject);
          resolve();
        });
      });
      context.log(
        2,
        `part ${c.name} enip-tls listening on ${tlsHost}:${(ts.address() as { port: number }).port}`,
      );
    },
    async stop() {
      const ts = tlsServer;
      tlsServer = undefined;
      if (ts) {
        const closed = new Promise<void>((resolve) => ts.close(() => resolve()));
        for (const socket of relays) socket.destroy();
        await closed;
      }
      await server?.close(PART_CLOSE_GRACE_S);
      server = undefined;
    },
    variables() {
      return controller.tags.names().map((tagName) => {
        const tag = controller.tags.require(tagName);
        return {
          name: `${c.name}.${tagName}`,
          read: () => (tag.elements === 1 ? tag.values(0, 1)[0] : tag.values()),
          write: (value: unknown) => tag.setValues(0, Array.isArray(value) ? value : [value]),
        };
      });
    },
  };
};

/** A Modbus/TCP simulator part: `{kind:"modbus", name, host?, port? (502), ranges: ["40001-40010=0"]}`. */
export const modbusPart: PartFactory = (config) => {
  const c = checked(modbusShape, config);
  let server: ModbusServer | undefined;
  let listening: { host: string; port: number } | undefined;
  let store: ModbusStore;
  let ranges: ReturnType<typeof parseRegisterRanges>;
  try {
    ranges = parseRegisterRanges(c.ranges);
    store = ModbusStore.fromRanges(ranges);
  } catch (error) {
    throw new ProgramError(`part ${JSON.stringify(c.name)}: ${(error as Error).message}`, { cause: error });
  }
  return {
    name: c.name,
    store,
    address: () => listening,
    async start(context) {
      server = new ModbusServer({ store });
      const listener = await server.listenTcp({ host: c.host, port: c.port });
      listening = { host: c.host, port: listener.port };
      context.log(2, `part ${c.name} modbus listening on ${c.host}:${listener.port}`);
    },
    async stop() {
      listening = undefined;
      await server?.close({ deadlineMs: PART_CLOSE_GRACE_S * 1000 });
      server = undefined;
    },
    variables() {
      // One variable per range as written in the program (`<part>.<range text>`): its values, in order.
      return ranges.map((range, i) => ({
        name: `${c.name}.${(c.ranges[i] as string).split("=")[0]}`,
        read: () => {
          const values = store.read(range.table, range.address, range.count);
          return range.count === 1 ? values[0] : values;
        },
        write: (value: unknown) =>
          store.write(range.table, range.address, (Array.isArray(value) ? value : [value]) as number[]),
      }));
    },
  };
};

/** A part that raises a fault `afterMs` after it starts: `{kind:"fault", name, afterMs}` (for testing fault paths). */
export const faultPart: PartFactory = (config) => {
  const c = checked(faultShape, config);
  let timer: NodeJS.Timeout | undefined;
  return {
    name: c.name,
    async start(context) {
      timer = setTimeout(
        () => context.fault(new ProgramError(`part ${c.name} failed on purpose`)),
        c.afterMs,
      );
    },
    async stop() {
      clearTimeout(timer);
      timer = undefined;
    },
  };
};

/** The part kinds every runtime knows; callers add theirs with `RuntimeOptions.parts`. */
export const BUILTIN_PARTS: Readonly<Record<string, PartFactory>> = {
  enip: enipPart,
  modbus: modbusPart,
  historize: historizePart,
  playback: playbackPart,
  "modbus-poller": modbusPollerPart,
  fault: faultPart,
};

/**
 * The `modbus-poller` part: @cpppo/modbus-poller's `ModbusPoller` reading cpppo register ranges from a Modbus/TCP
 * server (a `modbus` part of the same program, or any host:port) every `rate` seconds. The polled values are trace
 * variables, and a `mirror` copies each value change into the tags of an `enip` part: a Modbus to EtherNet/IP
 * gateway. Its stop closes the poller, its loop timer and its socket.
 */
import type { Tag } from "@cpppo/enip-server";
import { ModbusPoller, type ValueEvent, wireAddressOf } from "@cpppo/modbus-poller";
import { z } from "zod";
import { ProgramError } from "../errors.js";
import {
  checked,
  checkReference,
  type PartContext,
  type PartFactory,
  type PlantPart,
  partError,
  portField,
  referencedPart,
  type TraceVariable,
} from "./part.js";

const pollerShape = z
  .object({
    kind: z.literal("modbus-poller"),
    name: z.string(),
    part: z.string().min(1).optional(),
    host: z.string().default("127.0.0.1"),
    port: portField.min(1).optional(),
    unit: z.number().int().min(0).max(255).optional(),
    ranges: z.array(z.string()).min(1, "needs at least one register range, e.g. 40001-40010"),
    rate: z.number().positive().default(1),
    reach: z.number().int().min(0).optional(),
    timeout: z.number().positive().default(1),
    mirror: z
      .object({
        part: z.string().min(1),
        tags: z.record(z.string(), z.string().min(1)),
      })
      .optional(),
  })
  .refine((c) => (c.part === undefined) !== (c.port === undefined), {
    message: "needs either part (a modbus part of the program) or port (and host) of a Modbus/TCP server",
  });

/** A polled range: `count` cpppo addresses from `begin`, as the program wrote it. */
interface PollRange {
  text: string;
  begin: number;
  count: number;
}

const RANGE = /^(\d{1,6})(?:-(\d{1,6}))?$/;

/** A range `<begin>[-<end>]` in cpppo's 1-based addresses, within one table; throws ProgramError. */
function pollRange(part: string, text: string): PollRange {
  const m = RANGE.exec(text.trim());
  const begin = Number(m?.[1]);
  const end = m?.[2] === undefined ? begin : Number(m[2]);
  const first = wireAddressOf(begin);
  const last = wireAddressOf(end);
  if (
    !m ||
    !first ||
    !last ||
    first.table !== last.table ||
    last.offset - first.offset !== end - begin ||
    end < begin
  )
    throw partError(
      part,
      `range ${JSON.stringify(text)} is not <begin>[-<end>] within one table (e.g. 40001-40010, 1-16)`,
    );
  return { text, begin, count: end - begin + 1 };
}

/** `TAG` or `TAG[index]`: the tag and the element a mirrored range starts at. */
function tagTarget(part: string, text: string): { tag: string; index: number } {
  const m = /^(.+?)(?:\[(\d+)\])?$/.exec(text.trim());
  if (!m) throw partError(part, `mirror tag ${JSON.stringify(text)} is not TAG or TAG[index]`);
  return { tag: m[1] as string, index: Number(m[2] ?? 0) };
}

/** A register or bit value as the tag's type takes it: INT is signed, BOOL a boolean, the rest as polled. */
function tagValue(tag: Tag, value: number): unknown {
  if (tag.typeName === "INT") return value > 0x7fff ? value - 0x10000 : value;
  if (tag.typeName === "BOOL") return value !== 0;
  return value;
}

/** A mirrored range resolved at start: the range, the tag and its first element. */
interface Mirror {
  range: PollRange;
  tag: Tag;
  index: number;
}

/** The tags of part `target` that the mirror names, checked; throws ProgramError for a tag it lacks or one too short. */
function mirrorsOf(
  name: string,
  target: PlantPart,
  ranges: readonly PollRange[],
  tags: Record<string, string>,
): Mirror[] {
  const controller = target.controller;
  if (controller === undefined) throw partError(name, `part ${target.name} has no tags`);
  return Object.entries(tags).map(([rangeText, tagText]) => {
    const range = ranges.find((r) => r.text === rangeText) as PollRange;
    const { tag: tagName, index } = tagTarget(name, tagText);
    const tag = controller.tags.get(tagName);
    if (tag === undefined) throw partError(name, `part ${target.name} has no tag ${tagName}`);
    if (index + range.count > tag.elements)
      throw partError(name, `tag ${tagText} has no room for the ${range.count} values of ${rangeText}`);
    return { range, tag, index };
  });
}

/**
 * A Modbus/TCP poller part: `{kind:"modbus-poller", name, part | host? (127.0.0.1) + port, unit?, ranges:
 * ["40001-40010", "1-16"], rate? (1 s, cpppo's --rate), reach? (100), timeout? (1 s), mirror?: {part, tags:
 * {"40001-40010": "SCADA" | "SCADA[2]"}}}`. With `part` it polls that `modbus` part of the program, which must be
 * listed before it. Trace variables: `<name>.<range>` (the last values, null before the first poll or while
 * offline; forcing one writes it to the server) and `<name>.online`. A mirror writes each changed value into the
 * tag (INT signed, BOOL true for non-zero); a value the tag cannot take is a fault.
 */
export const modbusPollerPart: PartFactory = (config, environment) => {
  const c = checked(pollerShape, config);
  if (c.part !== undefined) checkReference(c.name, environment, c.part, ["modbus"], true);
  if (c.mirror !== undefined) checkReference(c.name, environment, c.mirror.part, ["enip"]);
  const ranges = c.ranges.map((text) => pollRange(c.name, text));
  for (const key of Object.keys(c.mirror?.tags ?? {})) {
    if (!ranges.some((r) => r.text === key))
      throw partError(c.name, `mirror names range ${JSON.stringify(key)}, which is not one of its ranges`);
    tagTarget(c.name, c.mirror?.tags[key] as string);
  }
  let poller: ModbusPoller | undefined;
  let context: PartContext | undefined;
  /** Forces a range: the values written to the server between two poll blocks; a failure is logged. */
  const force = (range: PollRange, value: unknown): void => {
    const values = (Array.isArray(value) ? value : [value]).map(Number);
    const p = poller;
    if (p === undefined) return;
    p.write(range.begin, values.length === 1 ? (values[0] as number) : values).then(
      (outcome) => {
        if (outcome.exception !== undefined)
          context?.log(1, `part ${c.name}: forcing ${range.text}: Modbus exception ${outcome.exception}`);
      },
      (error: unknown) =>
        context?.log(1, `part ${c.name}: forcing ${range.text}: ${(error as Error).message}`),
    );
  };
  return {
    name: c.name,
    async start(partContext) {
      context = partContext;
      let host = c.host;
      let port = c.port as number;
      if (c.part !== undefined) {
        const address = referencedPart(c.name, environment, c.part).address?.();
        if (address === undefined) throw partError(c.name, `part ${c.part} is not listening`);
        // A part listening on every address is reached on the loopback.
        host = address.host === "0.0.0.0" ? "127.0.0.1" : address.host === "::" ? "::1" : address.host;
        port = address.port;
      }
      const mirrors =
        c.mirror === undefined
          ? []
          : mirrorsOf(c.name, referencedPart(c.name, environment, c.mirror.part), ranges, c.mirror.tags);
      const p = new ModbusPoller({
        host,
        port,
        unit: c.unit,
        period: c.rate * 1000,
        reach: c.reach,
        timeout: c.timeout * 1000,
      });
      poller = p;
      p.on("value", (e: ValueEvent) => {
        for (const m of mirrors) {
          const at = e.address - m.range.begin;
          if (at < 0 || at >= m.range.count) continue;
          try {
            m.tag.setValues(m.index + at, [tagValue(m.tag, e.value)]);
          } catch (error) {
            partContext.fault(
              partError(c.name, `mirror into ${m.tag.name}: ${(error as Error).message}`, error),
            );
          }
        }
      });
      p.on("online", () => partContext.log(2, `part ${c.name} online: ${host}:${port}`));
      p.on("offline", () => partContext.log(1, `part ${c.name} offline: ${host}:${port}`));
      for (const range of ranges) p.poll(range.begin, range.count);
      partContext.log(2, `part ${c.name} modbus-poller polling ${host}:${port} every ${c.rate} s`);
    },
    async stop() {
      const p = poller;
      poller = undefined;
      await p?.close();
    },
    variables() {
      const list: TraceVariable[] = ranges.map((range) => ({
        name: `${c.name}.${range.text}`,
        read: () => {
          const values: (number | null)[] = [];
          for (let a = range.begin; a < range.begin + range.count; a++) values.push(poller?.read(a) ?? null);
          return range.count === 1 ? values[0] : values;
        },
        write: (value: unknown) => force(range, value),
      }));
      list.push({
        name: `${c.name}.online`,
        read: () => poller?.online ?? false,
        write: () => {
          throw new ProgramError(`${c.name}.online is read only`);
        },
      });
      return list;
    },
  };
};

/**
 * The `playback` part: replays a history file (or rotated set) at the historical pace into the tags of an
 * EtherNet/IP simulator part or the registers of a Modbus simulator part (@cpppo/history's `playback` and
 * `driveTags`). Its stop aborts the replay, which clears its timer and closes the files.
 */
import { isAbsolute, join } from "node:path";
import { driveTags, parseTimestamp, playback, rotatedFiles, type TagSink } from "@cpppo/history";
import { parseModbusAddress } from "@cpppo/modbus-server";
import { z } from "zod";
import { ProgramError } from "../errors.js";
import {
  checked,
  checkReference,
  type PartContext,
  type PartEnvironment,
  type PartFactory,
  type PlantPart,
  partError,
  referencedPart,
  workdirOf,
} from "./part.js";

/** A historical time: epoch seconds, or cpppo's timestamp text (`2014-11-01 01:02:03.456 America/Edmonton`). */
const timeField = z.union([z.number(), z.string().min(1)]);

const playbackShape = z.object({
  kind: z.literal("playback"),
  name: z.string(),
  path: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  part: z.string().min(1, "needs the enip or modbus part to drive"),
  speed: z.number().positive().default(1),
  loop: z.boolean().default(false),
  loopGap: z.number().positive().optional(),
  since: timeField.optional(),
  until: timeField.optional(),
  reads: z.boolean().default(true),
});

/** Epoch seconds of a `since`/`until` entry; throws ProgramError naming the part and field for bad text. */
function epoch(part: string, field: string, value: number | string | undefined): number | undefined {
  if (value === undefined || typeof value === "number") return value;
  try {
    return parseTimestamp(value);
  } catch (error) {
    throw partError(part, `${field}: ${(error as Error).message}`, error);
  }
}

/** A history path of the program: absolute as is; relative, a file sent with the program, else one in the work dir. */
function historyPath(environment: PartEnvironment, path: string): string {
  if (isAbsolute(path)) return path;
  const sent = join(environment.extraDir, path);
  return rotatedFiles(sent).length > 0 ? sent : join(workdirOf(environment), path);
}

/** Where replayed values go: true when they were written, false when the target lacks the tag or register. */
type Writer = (name: string, index: number, values: unknown[]) => boolean;

/** Writes replayed values into `target`'s tags (enip) or registers (modbus, register frames `{"40001": 5}`). */
function writerOf(name: string, target: PlantPart, context: PartContext): Writer {
  const unknown = new Set<string>();
  const skip = (what: string): false => {
    if (!unknown.has(what)) {
      unknown.add(what);
      context.log(1, `part ${name}: part ${target.name} has no ${what}; its records are skipped`);
    }
    return false;
  };
  const { controller, store } = target;
  if (controller !== undefined)
    return (tagName, index, values) => {
      const tag = controller.tags.get(tagName);
      if (tag === undefined) return skip(`tag ${tagName}`);
      tag.setValues(index, values);
      return true;
    };
  if (store !== undefined)
    return (register, index, values) => {
      if (!/^\d{1,6}$/.test(register)) return skip(`register ${register}`);
      const at = parseModbusAddress(register);
      if (!store.has(at.table, at.address + index, values.length)) return skip(`register ${register}`);
      store.write(at.table, at.address + index, values as number[]);
      return true;
    };
  throw partError(name, `part ${target.name} has neither tags nor registers`);
}

/**
 * A history playback part: `{kind:"playback", name, path (a file or rotated set, or a list of them), part, speed?
 * (1), loop? (false), loopGap?, since?, until?, reads? (true)}` replays the records into the tags of the `enip`
 * part (historize records) or the registers of the `modbus` part (register frames) named `part`, from `since` (epoch
 * seconds or timestamp text) at `speed` times the historical pace, looping when asked. A relative path names a file
 * transferred with the program, else one in the work directory. A history that names no file fails the start; a
 * value the target cannot take is a fault (a tag or register it lacks is skipped, with one warning). Trace variable
 * `<name>.applied`: the writes applied so far (a register frame writes each register).
 */
export const playbackPart: PartFactory = (config, environment) => {
  const c = checked(playbackShape, config);
  checkReference(c.name, environment, c.part, ["enip", "modbus"]);
  const since = epoch(c.name, "since", c.since);
  const until = epoch(c.name, "until", c.until);
  let abort: AbortController | undefined;
  let running: Promise<void> | undefined;
  let applied = 0;
  return {
    name: c.name,
    async start(context) {
      const paths = (Array.isArray(c.path) ? c.path : [c.path]).map((p) => historyPath(environment, p));
      for (const path of paths)
        if (rotatedFiles(path).length === 0) throw partError(c.name, `no history file ${path}`);
      const write = writerOf(c.name, referencedPart(c.name, environment, c.part), context);
      const sink: TagSink = {
        write: (tagName, index, values) => {
          if (write(tagName, index, values)) applied++;
        },
      };
      abort = new AbortController();
      const signal = abort.signal;
      const warn = (message: string): void => context.log(1, `part ${c.name}: ${message}`);
      const events = playback(paths, {
        speed: c.speed,
        loop: c.loop,
        loopGap: c.loopGap,
        since,
        until,
        signal,
        onWarning: warn,
      });
      running = driveTags(events, sink, { reads: c.reads, onWarning: warn }).then(
        (result) => {
          if (!signal.aborted)
            context.log(2, `part ${c.name} playback ended: ${result.applied} records applied`);
        },
        (error: unknown) => {
          if (!signal.aborted) context.fault(partError(c.name, (error as Error).message, error));
        },
      );
      context.log(2, `part ${c.name} playback of ${paths.join(", ")} into ${c.part} at ${c.speed}x`);
    },
    async stop() {
      abort?.abort();
      await running;
      abort = undefined;
      running = undefined;
    },
    variables() {
      return [
        {
          name: `${c.name}.applied`,
          read: () => applied,
          write: () => {
            throw new ProgramError(`${c.name}.applied is read only`);
          },
        },
      ];
    },
  };
};

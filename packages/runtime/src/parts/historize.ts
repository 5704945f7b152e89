/**
 * The `historize` part: every tag read and write an EtherNet/IP simulator part serves becomes a record of a history
 * file in cpppo's historize format (enip-server's `historize` hook into @cpppo/history's `HistoryWriter`). Its stop
 * unhooks, then flushes and closes the file, so every record of an answered request is on disk once the program
 * has stopped.
 */
import { isAbsolute, join } from "node:path";
import { type HistorizeWriter, historize } from "@cpppo/enip-server";
import { HistoryWriter } from "@cpppo/history";
import { z } from "zod";
import {
  checked,
  checkReference,
  type PartContext,
  type PartFactory,
  type PlantPart,
  partError,
  referencedPart,
  workdirOf,
} from "./part.js";

const historizeShape = z.object({
  kind: z.literal("historize"),
  name: z.string(),
  path: z.string().min(1, "needs a file path"),
  part: z.string().min(1).optional(),
  rotateBytes: z.number().positive().optional(),
  rotateSeconds: z.number().positive().optional(),
  keep: z.number().int().min(0).optional(),
  fsync: z.boolean().default(false),
});

/**
 * A history recording part: `{kind:"historize", name, path, part?, rotateBytes?, rotateSeconds?, keep?, fsync?
 * (false)}` records the tag reads and writes of the `enip` part named `part`, or of every `enip` part of the program
 * when it is left out, to `path` (`.gz`, `.xz` or plain; relative to the work directory), rotated by size or age as
 * `HistoryWriter` does. A file that cannot be written is a fault of the part (the program stops, Broken).
 */
export const historizePart: PartFactory = (config, environment) => {
  const c = checked(historizeShape, config);
  if (c.part !== undefined) checkReference(c.name, environment, c.part, ["enip"]);
  const path = isAbsolute(c.path) ? c.path : join(workdirOf(environment), c.path);
  let writer: HistoryWriter | undefined;
  let unhooks: (() => void)[] = [];
  let logged: PartContext["log"] | undefined;
  const targets = (): PlantPart[] => {
    if (c.part !== undefined) return [referencedPart(c.name, environment, c.part)];
    const names = (environment.parts ?? []).filter((p) => p.kind === "enip").map((p) => p.name);
    return names.map((name) => referencedPart(c.name, environment, name));
  };
  return {
    name: c.name,
    async start(context) {
      logged = context.log;
      const parts = targets();
      if (parts.length === 0) throw partError(c.name, "the program has no enip part to record");
      const controllers = parts.map((part) => {
        if (part.controller === undefined) throw partError(c.name, `part ${part.name} has no tags`);
        return part.controller;
      });
      let open: HistoryWriter;
      try {
        open = new HistoryWriter(path, {
          rotateBytes: c.rotateBytes,
          rotateSeconds: c.rotateSeconds,
          keep: c.keep,
          fsync: c.fsync,
          onError: (error) => context.fault(partError(c.name, error.message, error)),
          onResume: () => context.log(1, `part ${c.name} history file ${path} writable again`),
          onWarning: (message) => context.log(1, `part ${c.name}: ${message}`),
        });
      } catch (error) {
        throw partError(c.name, (error as Error).message, error);
      }
      writer = open;
      // The hook does not wait for the file: a record it cannot write is reported once through onError (a fault).
      const sink: HistorizeWriter = {
        write: (data, options) => open.write(data, options).catch(() => undefined),
        comment: (text) => open.comment(text).catch(() => undefined),
      };
      unhooks = controllers.map((controller) => historize(controller, sink));
      context.log(2, `part ${c.name} historize ${parts.map((p) => p.name).join(", ")} to ${path}`);
    },
    async stop() {
      // Unhook first (last hooked, first restored), so that no record arrives after the file is closed.
      for (const unhook of unhooks.reverse()) unhook();
      unhooks = [];
      const open = writer;
      writer = undefined;
      await open?.close();
      if (open !== undefined) logged?.(2, `part ${c.name} closed ${path}`);
    },
  };
};

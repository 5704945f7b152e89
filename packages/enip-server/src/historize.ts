/**
 * cpppo's historize: every tag read and write the simulator serves becomes a history record, serial
 * `["Tag", [first, last]]` and data `{"read": […]}` or `{"write": […]}`, with a comment
 * `<UTC time>: Started recording Tag: <name>` before a tag's first record. The records go to any writer with
 * cpppo's logger methods (`HistoryWriter` of @cpppo/history), so this package needs no file code of its own.
 */
import type { Controller } from "./controller/controller.js";
import type { TagAccess, TagHooks } from "./tags/hooks.js";

/** Where historize records go: `HistoryWriter` of @cpppo/history, or anything with its `write` and `comment`. */
export interface HistorizeWriter {
  /** Appends one record: `data` at `now` (epoch seconds) with `serial`. */
  write(data: unknown, options: { now: number; serial: unknown }): unknown;
  /** Appends a comment line (`# text`). */
  comment(text: string): unknown;
}

/** Options of `historize`. */
export interface HistorizeOptions {
  /** The clock, in epoch seconds; default `Date.now() / 1000`. */
  now?: () => number;
}

/** The UTC time as history files write it: `YYYY-MM-DD HH:MM:SS.mmm`. */
function utcText(seconds: number): string {
  return new Date(Math.round(seconds * 1000)).toISOString().replace("T", " ").replace("Z", "");
}

/**
 * Records every tag read and write of `target` (an EnipServer's or a bare Controller) to `writer` in cpppo's
 * historize format, after the hooks already set (which still run first: a value an `onRead` hook substitutes is the
 * value recorded, and a write an `onWrite` hook refuses is not recorded). Returns a function that stops recording
 * and restores the hooks that were set before.
 */
export function historize(
  target: { controller: Controller } | Controller,
  writer: HistorizeWriter,
  options: HistorizeOptions = {},
): () => void {
  const controller = "controller" in target ? target.controller : target;
  const now = options.now ?? (() => Date.now() / 1000);
  const previous = controller.hooks;
  const started = new Set<string>();

  const record = (access: TagAccess, values: readonly unknown[]) => {
    const at = now();
    if (!started.has(access.name)) {
      started.add(access.name);
      writer.comment(`${utcText(at)}: Started recording Tag: ${access.name}`);
    }
    writer.write(access.write ? { write: values } : { read: values }, {
      now: at,
      serial: [access.name, [access.start, access.start + access.count - 1]],
    });
  };
  /** cpppo's comment for an access whose hook failed; the failure is then the client's (status 0x1F). */
  const failed = (access: TagAccess, error: unknown) => {
    const what = access.write ? "Write" : "Read ";
    const range = `[${access.start}-${access.start + access.count - 1}]`;
    writer.comment(
      `${utcText(now())}: PLC I/O ${what} Tag ${access.name}${range} Exception: ${(error as Error)?.message ?? String(error)}`,
    );
  };

  const hooks: TagHooks = {
    onRead(access) {
      let override: unknown[] | undefined;
      try {
        override = previous?.onRead?.(access) ?? undefined;
      } catch (error) {
        failed(access, error);
        throw error;
      }
      record(access, override ?? access.values);
      return override;
    },
    onWrite(access) {
      let verdict: boolean | undefined;
      try {
        verdict = previous?.onWrite?.(access) ?? undefined;
      } catch (error) {
        failed(access, error);
        throw error;
      }
      if (verdict !== false) record(access, access.values);
      return verdict;
    },
  };
  controller.hooks = hooks;
  return () => {
    if (controller.hooks === hooks) controller.hooks = previous;
  };
}

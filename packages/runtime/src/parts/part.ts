/**
 * What a part of a plant program is (start, stop, trace variables), what it gets from the runtime, and the
 * helpers every part kind shares: checking its entry against its zod schema, reading its files, naming the other
 * parts it works on.
 */
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import type { Controller } from "@cpppo/enip-server";
import type { ModbusStore } from "@cpppo/modbus-server";
import { z } from "zod";
import { ProgramError } from "../errors.js";

/** A tag of the running program that trace orders can read and force. */
export interface TraceVariable {
  /** `<part>.<tag>`. */
  readonly name: string;
  read(): unknown;
  write(value: unknown): void;
}

/** What a part gets from the runtime: a way to report a fault of its own and to log. */
export interface PartContext {
  /** Reports an exception the part cannot handle: the runtime stops the program. */
  fault(error: unknown): void;
  /** Logs at a Beremiz level: 0 CRITICAL, 1 WARNING, 2 INFO, 3 DEBUG. */
  log(level: number, message: string): void;
}

/** One part of a plant: started in program order, stopped in reverse. */
export interface PlantPart {
  readonly name: string;
  /** Opens the part's sockets and timers; rejects when it cannot. */
  start(context: PartContext): Promise<void>;
  /** Closes every socket and timer the part opened (and flushes what it buffers). */
  stop(): Promise<void>;
  /** The variables trace orders can name; none by default. */
  variables?(): TraceVariable[];
  /** An EtherNet/IP simulator part's controller (its tags and hooks), for the parts that record or drive them. */
  readonly controller?: Controller;
  /** A Modbus simulator part's registers, for the parts that drive them. */
  readonly store?: ModbusStore;
  /** Where a server part listens once started (the bound port when configured with 0); undefined when stopped. */
  address?(): { host: string; port: number } | undefined;
}

/** Where a part is made: the work directory, the program's other parts, and the files transferred with it. */
export interface PartEnvironment {
  /** Relative paths in a part's configuration (key files) resolve here: NewPLC's extra files. */
  extraDir: string;
  /** The work directory (default: the parent of `extraDir`); relative history paths resolve here. */
  workdir?: string;
  /** Every part entry of the program, in start order, so that a part can check the names it refers to. */
  parts?: readonly PartConfig[];
  /** The part made for the entry named `name`; every part of the program is made before any starts. */
  part?(name: string): PlantPart | undefined;
}

/** Makes a part from its (already shape-checked) configuration entry; throws ProgramError for a bad entry. */
export type PartFactory = (config: PartConfig, environment: PartEnvironment) => PlantPart;

/** One entry of a program's `parts`: its `kind` picks the factory; the other fields belong to that kind. */
export interface PartConfig {
  kind: string;
  name: string;
  [field: string]: unknown;
}

/** `path: message` of the first zod issue. */
export function issue(error: z.ZodError): string {
  const first = error.issues[0];
  return first ? `${first.path.join(".") || "program"}: ${first.message}` : "invalid";
}

/** Checks one part entry against its kind's schema, naming the part in the ProgramError. */
export function checked<S extends z.ZodType>(schema: S, config: PartConfig): z.output<S> {
  const result = schema.safeParse(config);
  if (!result.success) throw new ProgramError(`part ${JSON.stringify(config.name)}: ${issue(result.error)}`);
  return result.data;
}

/** A TCP port in a part entry: 0 picks a free one. */
export const portField = z.number().int().min(0).max(65535);

/** How long a simulator part's `stop` lets connections finish before destroying them. */
export const PART_CLOSE_GRACE_S = 1;

/** A ProgramError naming part `part`. */
export function partError(part: string, message: string, cause?: unknown): ProgramError {
  return new ProgramError(
    `part ${JSON.stringify(part)}: ${message}`,
    cause === undefined ? undefined : { cause },
  );
}

/** Reads a key file of a part, relative paths in the program's extra files; throws ProgramError naming the part. */
export function partFile(part: string, environment: PartEnvironment, path: string): Buffer {
  try {
    return readFileSync(isAbsolute(path) ? path : join(environment.extraDir, path));
  } catch (error) {
    throw partError(part, `cannot read ${path}: ${(error as Error).message}`);
  }
}

/** The work directory of `environment`: given, else the folder that holds the extra files. */
export function workdirOf(environment: PartEnvironment): string {
  return environment.workdir ?? dirname(environment.extraDir);
}

/**
 * Checks, when the part is made, that `target` names another part of the program of one of `kinds` (and, with
 * `before`, one listed earlier, so that it is started first); throws ProgramError naming both.
 */
export function checkReference(
  part: string,
  environment: PartEnvironment,
  target: string,
  kinds: readonly string[],
  before = false,
): void {
  const parts = environment.parts;
  if (parts === undefined) return;
  const at = parts.findIndex((p) => p.name === target);
  const entry = parts[at];
  if (entry === undefined || target === part)
    throw partError(part, `names no other part ${JSON.stringify(target)}`);
  if (!kinds.includes(entry.kind))
    throw partError(
      part,
      `part ${JSON.stringify(target)} is of kind ${entry.kind}, not ${kinds.join(" or ")}`,
    );
  if (before && at > parts.findIndex((p) => p.name === part))
    throw partError(
      part,
      `part ${JSON.stringify(target)} must be listed before it (parts start in list order)`,
    );
}

/** The part named `target` once the program is made (from `start` on); throws ProgramError when there is none. */
export function referencedPart(part: string, environment: PartEnvironment, target: string): PlantPart {
  const found = environment.part?.(target);
  if (found === undefined) throw partError(part, `names no other part ${JSON.stringify(target)}`);
  return found;
}

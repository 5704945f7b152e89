/**
 * The rotated set of a history file, as cpppo names and orders it: `name` (the newest), `name.0`,
 * `name.1`, `name.1.gz`, `name.2.gz`, …, each later file starting earlier in time; a number may appear
 * both uncompressed and compressed (a file being compressed), and the uncompressed one is preferred.
 */
import { readdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";

const COMPRESSED = /\.(gz|bz2|xz)$/;
const SUFFIX = /^(?:\.(\d+))?(?:\.(gz|bz2|xz))?$/;

/** One file of a rotated set. */
export interface RotatedFile {
  /** Its path. */
  path: string;
  /** Its place in the set: -1 for the current file, N for `name.N`. */
  index: number;
  /** Whether another file of the set has the same index and is preferred to it (an uncompressed twin). */
  duplicate: boolean;
}

/** The base name of a set: the path without a compression suffix (`hist.gz` → `hist`). */
export function rotatedBase(name: string): string {
  return name.replace(COMPRESSED, "");
}

/**
 * Lists the existing files of `name`'s rotated set with their index, newest first (cpppo's natural order
 * of the suffixes: `name`, `name.gz`, `name.0`, `name.1`, `name.1.gz`, `name.2.gz`, …, `name.10.gz`), and
 * marks the compressed twin of an uncompressed file as a duplicate. `name` may carry a compression suffix
 * (`hist.gz`'s set is `hist.gz`, `hist.0.gz`, …, and not `hist` or `hist.xz`). Only names of that form belong to the set.
 */
export function listRotated(name: string): RotatedFile[] {
  const base = rotatedBase(name);
  // A name given with its compression suffix is that current file exactly (`hist.gz` is not the twin of `hist`).
  const exact = base === name ? undefined : basename(name);
  const dir = dirname(base);
  const stem = basename(base);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const found: { path: string; index: number; rank: number }[] = [];
  for (const entry of names) {
    if (!entry.startsWith(stem)) continue;
    const m = SUFFIX.exec(entry.slice(stem.length));
    if (m === null) continue;
    const index = m[1] === undefined ? -1 : Number(m[1]);
    if (index === -1 && exact !== undefined && entry !== exact) continue;
    const rank = m[2] === undefined ? 0 : m[2] === "gz" ? 1 : m[2] === "bz2" ? 2 : 3;
    found.push({ path: join(dir, entry), index, rank });
  }
  found.sort((a, b) => a.index - b.index || a.rank - b.rank);
  return found.map((f, i) => ({
    path: f.path,
    index: f.index,
    duplicate: i > 0 && found[i - 1]?.index === f.index,
  }));
}

/** The paths of `name`'s rotated set, newest first, in cpppo's order, duplicates included (see `listRotated`). */
export function rotatedFiles(name: string): string[] {
  return listRotated(name).map((f) => f.path);
}

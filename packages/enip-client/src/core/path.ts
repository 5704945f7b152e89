/** Paths as callers give them: EPATH text or segments. */
import { type EPath, parseEPath } from "@cpppo/cip-codec";
import { InvalidArgumentError } from "./errors.js";

/** A tag or attribute path given as text (`"SCADA[1]"`, `"@1/1/7"`) or as segments. */
export type PathLike = string | EPath;

/** Segments of `path`, parsing text with the codec's EPATH notation; throws `InvalidArgumentError` for bad text. */
export function toPath(path: PathLike): EPath {
  if (typeof path !== "string") return path;
  try {
    return parseEPath(path);
  } catch (error) {
    throw new InvalidArgumentError(`cannot read the path "${path}": ${(error as Error).message}`, {
      cause: error,
    });
  }
}

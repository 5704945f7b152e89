/** Every CLI's `--version`: the version of the package.json of the app it ships in, read when asked. */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { defineError } from "@cpppo/automata/errors";

/** The CLI's own package.json cannot be found or has no version: a broken install (code `ERR_CLI_VERSION`). */
export class VersionError extends defineError("ERR_CLI_VERSION", "VersionError") {}

/**
 * The `version` of the nearest package.json at or above the folder of `moduleUrl` (pass `import.meta.url`),
 * read from disk now: from `src/` under tsx or jest and from a built `dist/` alike, that is the app's own.
 */
export function packageVersion(moduleUrl: string | URL): string {
  const from = fileURLToPath(moduleUrl);
  for (let dir = dirname(from); ; dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest)) {
      const { version } = JSON.parse(readFileSync(manifest, "utf8")) as { version?: unknown };
      if (typeof version !== "string") throw new VersionError(`${manifest} has no "version" string`);
      return version;
    }
    if (dirname(dir) === dir) throw new VersionError(`no package.json at or above ${from}`);
  }
}

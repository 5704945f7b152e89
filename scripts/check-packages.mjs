#!/usr/bin/env node
// After `turbo run build`: every library's published entry points load, in both module systems, with the
// same exports, and its manifest points at files that exist (ESM, CJS, .d.ts, .d.cts; bins of the apps).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const root = resolve(import.meta.dirname, "..");
const require = createRequire(import.meta.url);
let failures = 0;
const fail = (message) => {
  failures++;
  console.error(`check-packages: ${message}`);
};

for (const dir of readdirSync(join(root, "packages"))) {
  const base = join(root, "packages", dir);
  const manifest = JSON.parse(readFileSync(join(base, "package.json"), "utf8"));
  const exported = manifest.publishConfig?.exports?.["."];
  if (!exported) {
    fail(`${manifest.name}: no publishConfig.exports["."]`);
    continue;
  }
  const files = [
    exported.import.default,
    exported.import.types,
    exported.require.default,
    exported.require.types,
  ];
  for (const file of files)
    if (!existsSync(join(base, file))) fail(`${manifest.name}: ${file} is missing (run the build)`);
  if (failures) continue;
  const cjs = Object.keys(require(join(base, exported.require.default))).sort();
  const esm = Object.keys(await import(pathToFileURL(join(base, exported.import.default)).href)).sort();
  if (cjs.join() !== esm.join()) fail(`${manifest.name}: CJS and ESM export different names`);
  if (esm.length === 0) fail(`${manifest.name}: exports nothing`);
  console.log(`${manifest.name}: ${esm.length} exports, ESM and CJS agree`);
}

for (const dir of readdirSync(join(root, "apps"))) {
  const base = join(root, "apps", dir);
  const manifest = JSON.parse(readFileSync(join(base, "package.json"), "utf8"));
  for (const [bin, file] of Object.entries(manifest.bin ?? {})) {
    const path = join(base, file);
    if (!existsSync(path)) fail(`${manifest.name}: bin ${bin} → ${file} is missing (run the build)`);
    else if (!readFileSync(path, "utf8").startsWith("#!/usr/bin/env node")) fail(`${bin}: no shebang`);
    else if (!existsSync(join(root, "node_modules", ".bin", bin)))
      fail(`${bin}: not linked at the root (pnpm exec ${bin})`);
  }
}
process.exit(failures ? 1 : 0);

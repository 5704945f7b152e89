#!/usr/bin/env node
// After `turbo run build`: every library's published entry points load, in both module systems, with the
// same exports, and its manifest points at files that exist (ESM, CJS, .d.ts, .d.cts; bins of the apps).
// Each library's public surface (every exported value and type, from its built .d.ts) is compared with the
// checked-in `packages/<name>/exports.txt`, so a change to the surface shows in review; `--update` rewrites it.
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import ts from "typescript";

const root = resolve(import.meta.dirname, "..");
const require = createRequire(import.meta.url);
const update = process.argv.includes("--update");
const errorTable = readFileSync(join(root, "docs", "errors.md"), "utf8");
let failures = 0;
const fail = (message) => {
  failures++;
  console.error(`check-packages: ${message}`);
};

/** `value Name` / `type Name` lines, sorted, for every export of a declaration file. */
function surfaceOf(dts) {
  const program = ts.createProgram([dts], {
    noEmit: true,
    skipLibCheck: true,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
  });
  const checker = program.getTypeChecker();
  const module = checker.getSymbolAtLocation(program.getSourceFile(dts));
  return checker
    .getExportsOfModule(module)
    .map((symbol) => {
      const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
      return `${target.flags & ts.SymbolFlags.Value ? "value" : "type"} ${symbol.name}`;
    })
    .sort((a, b) => a.slice(a.indexOf(" ")).localeCompare(b.slice(b.indexOf(" "))) || a.localeCompare(b));
}

for (const dir of readdirSync(join(root, "packages"))) {
  const base = join(root, "packages", dir);
  const manifest = JSON.parse(readFileSync(join(base, "package.json"), "utf8"));
  const entries = Object.entries(manifest.publishConfig?.exports ?? {});
  if (!entries.some(([subpath]) => subpath === ".")) {
    fail(`${manifest.name}: no publishConfig.exports["."]`);
    continue;
  }
  // The surface of every entry point: "." lines bare, a subpath's lines prefixed with it ("./errors value X").
  const surface = [];
  let values = 0;
  for (const [subpath, exported] of entries) {
    const entry = subpath === "." ? manifest.name : `${manifest.name}/${subpath.slice(2)}`;
    const files = [
      exported.import.default,
      exported.import.types,
      exported.require.default,
      exported.require.types,
    ];
    const missing = files.filter((file) => !existsSync(join(base, file)));
    for (const file of missing) fail(`${entry}: ${file} is missing (run the build)`);
    if (missing.length) continue;
    const cjs = Object.keys(require(join(base, exported.require.default))).sort();
    const module = await import(pathToFileURL(join(base, exported.import.default)).href);
    const esm = Object.keys(module).sort();
    if (cjs.join() !== esm.join()) fail(`${entry}: CJS and ESM export different names`);
    if (esm.length === 0) fail(`${entry}: exports nothing`);

    // Every exported error class (a CpppoError subclass with a static code) has its row in docs/errors.md.
    for (const [name, value] of Object.entries(module))
      if (typeof value === "function" && value.prototype instanceof Error && typeof value.code === "string")
        if (!errorTable.includes(`| \`${value.code}\` | \`${name}\` |`))
          fail(`${entry}: ${name} (${value.code}) has no row in docs/errors.md`);

    const lines = surfaceOf(join(base, exported.import.types));
    const declared = lines.filter((line) => line.startsWith("value ")).map((line) => line.slice(6));
    if (declared.sort().join() !== esm.join())
      fail(`${entry}: the .d.ts and the ESM build export different values`);
    values += declared.length;
    surface.push(...lines.map((line) => (subpath === "." ? line : `${subpath} ${line}`)));
  }
  const snapshot = join(base, "exports.txt");
  const text = `${surface.join("\n")}\n`;
  if (update) writeFileSync(snapshot, text);
  else if (!existsSync(snapshot))
    fail(`${manifest.name}: no exports.txt (run node scripts/check-packages.mjs --update)`);
  else {
    const before = new Set(readFileSync(snapshot, "utf8").split("\n").filter(Boolean));
    const after = new Set(surface);
    const added = surface.filter((line) => !before.has(line));
    const removed = [...before].filter((line) => !after.has(line));
    if (added.length || removed.length)
      fail(
        `${manifest.name}: the public surface differs from exports.txt (review, then --update):\n` +
          [...added.map((l) => `  + ${l}`), ...removed.map((l) => `  - ${l}`)].join("\n"),
      );
  }
  console.log(
    `${manifest.name}: ${entries.length} entry point(s), ${values} values and ${surface.length - values} types exported, ESM and CJS agree`,
  );
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

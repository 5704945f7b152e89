#!/usr/bin/env node
// Fails on an import cycle among a package's own source modules, or between workspace packages through
// their dependencies or devDependencies, as turbo's build graph follows both (CONTRIBUTING.md, Shape: dependencies
// point one way); and on an import against a package's layer order (LAYERS below: a module may import
// from its own folder and the folders listed before it). Reads the `import … from "./x.js"` edges of
// every src/**/*.ts.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";

const root = resolve(import.meta.dirname, "..");
/** Each layered package's src/ folders, lowest first (see the package README). */
const LAYERS = {
  "@cpppo/cip-codec": ["core", "types", "encapsulation", "cip", "bodies", "message", "frame"],
  "@cpppo/enip-client": ["core", "transport", "session", "operations", "pipeline"],
  "@cpppo/enip-server": ["core", "tags", "objects", "controller", "transport"],
  "@cpppo/modbus-codec": ["core", "words", "pdu", "adu", "framing"],
  "@cpppo/modbus-server": ["core", "store", "engine", "transport"],
  "@cpppo/modbus-poller": ["core", "transport", "poller"],
  "@cpppo/history": ["time", "records", "files", "playback", "plot"],
};
// Type-only imports are erased by the compiler, so they cannot form a cycle at run time.
const IMPORT = /(?:import|export)\s+(?!type\s)([^;]*?)from\s+"([^"]+)"/g;
const onlyTypes = (clause) =>
  /^\{[^}]*\}\s*$/.test(clause.trim()) &&
  clause
    .replace(/[{}\s]/g, "")
    .split(",")
    .filter(Boolean)
    .every((s) => s.startsWith("type"));

function sources(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sources(path));
    else if (name.endsWith(".ts") && !name.endsWith(".test.ts")) out.push(path);
  }
  return out;
}

/** The first cycle of `graph` (node → neighbours) as a list of nodes, or undefined. */
function findCycle(graph) {
  const state = new Map(); // 1 = on the stack, 2 = done
  const stack = [];
  const visit = (node) => {
    state.set(node, 1);
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 1) return [...stack.slice(stack.indexOf(next)), next];
      if (!state.has(next)) {
        const cycle = visit(next);
        if (cycle) return cycle;
      }
    }
    stack.pop();
    state.set(node, 2);
    return undefined;
  };
  for (const node of graph.keys())
    if (!state.has(node)) {
      const cycle = visit(node);
      if (cycle) return cycle;
    }
  return undefined;
}

let failed = false;
const packages = new Map();
for (const group of ["packages", "apps", "tools"])
  for (const dir of readdirSync(join(root, group))) {
    const base = join(root, group, dir);
    const manifest = JSON.parse(readFileSync(join(base, "package.json"), "utf8"));
    packages.set(
      manifest.name,
      Object.keys({ ...manifest.dependencies, ...manifest.devDependencies }).filter((d) =>
        d.startsWith("@cpppo/"),
      ),
    );
    const layers = LAYERS[manifest.name];
    const layerOf = (file) => {
      const folder = relative(join(base, "src"), file).split(sep)[0];
      const layer = layers.indexOf(folder);
      return layer < 0 ? layers.length : layer; // src/index.ts sits above every layer
    };
    const graph = new Map();
    for (const file of sources(join(base, "src"))) {
      const edges = [];
      for (const [, clause, spec] of readFileSync(file, "utf8").matchAll(IMPORT))
        if (spec.startsWith(".")) {
          const target = resolve(dirname(file), spec.replace(/\.js$/, ".ts"));
          if (!onlyTypes(clause)) edges.push(target);
          if (layers && layerOf(target) > layerOf(file)) {
            failed = true;
            console.error(
              `check-cycles: ${manifest.name}: ${relative(base, file)} imports ${relative(base, target)}, a higher layer`,
            );
          }
        }
      graph.set(file, edges);
    }
    const cycle = findCycle(graph);
    if (cycle) {
      failed = true;
      console.error(`check-cycles: ${manifest.name}: ${cycle.map((f) => relative(base, f)).join(" → ")}`);
    }
  }
const cycle = findCycle(packages);
if (cycle) {
  failed = true;
  console.error(`check-cycles: workspace packages: ${cycle.join(" → ")}`);
}
if (!failed) console.log(`check-cycles: no import cycles in ${packages.size} packages`);
process.exit(failed ? 1 : 0);

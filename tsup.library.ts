import { defineConfig } from "tsup";

/** How every library in packages/ is built: ESM, CJS and .d.ts from src/index.ts, for Node 20. */
export default defineConfig({
  entry: ["src/index.ts"],
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "node20",
});

import { defineConfig } from "tsup";

export default defineConfig({
  entry: { "modbus-poll": "src/bin/modbus-poll.ts" },
  format: ["esm"],
  dts: false,
  sourcemap: true,
  clean: true,
  target: "node20",
  banner: { js: "#!/usr/bin/env node" },
});

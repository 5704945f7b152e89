import { defineConfig } from "tsup";

export default defineConfig({
  entry: { "enip-server": "src/bin/enip-server.ts" },
  format: ["esm"],
  dts: false,
  sourcemap: true,
  clean: true,
  target: "node20",
  banner: { js: "#!/usr/bin/env node" },
});

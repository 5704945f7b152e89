import { defineConfig } from "tsup";

export default defineConfig({
  entry: {
    "plc-service": "src/bin/plc-service.ts",
    "plc-client": "src/bin/plc-client.ts",
    "wamp-router": "src/bin/wamp-router.ts",
  },
  format: ["esm"],
  dts: false,
  sourcemap: true,
  clean: true,
  target: "node20",
  banner: { js: "#!/usr/bin/env node" },
});

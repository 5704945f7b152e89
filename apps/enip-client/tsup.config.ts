import { defineConfig } from "tsup";

export default defineConfig({
  entry: {
    "enip-client": "src/bin/enip-client.ts",
    "enip-get-attribute": "src/bin/enip-get-attribute.ts",
    "enip-thruput": "src/bin/enip-thruput.ts",
    "enip-list-identity": "src/bin/enip-list-identity.ts",
    "enip-poll": "src/bin/enip-poll.ts",
  },
  format: ["esm"],
  dts: false,
  sourcemap: true,
  clean: true,
  target: "node20",
  banner: { js: "#!/usr/bin/env node" },
});

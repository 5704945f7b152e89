// The shared library build (tsup.library.ts at the repository root), with shims: the CJS build finds dist/page
// through import.meta.url too. The page itself is bundled by scripts/build-page.mjs (the package's build runs both).
import { defineConfig, type Options } from "tsup";
import library from "../../tsup.library.ts";

export default defineConfig({ ...(library as Options), shims: true });

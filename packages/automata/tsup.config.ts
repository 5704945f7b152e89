import { defineConfig } from "tsup";
import library from "../../tsup.library.ts";

// The shared library build, plus the `@cpppo/automata/errors` entry: the one error base without the regex
// compiler, so that packages which need only `CpppoError` do not load refa (about 20 MB of RSS).
export default defineConfig({ ...library, entry: ["src/index.ts", "src/errors.ts"] });

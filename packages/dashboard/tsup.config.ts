// The shared library build (tsup.library.ts at the repository root); the page bundle is built by the dashboard engineer's script.
export { default } from "../../tsup.library.ts";

// The shared library build (tsup.library.ts at the repository root).
export { default } from "../../tsup.library.ts";

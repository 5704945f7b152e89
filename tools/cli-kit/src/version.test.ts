import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { packageVersion } from "./version.js";

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "cli-kit-version-"));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

const moduleIn = (...parts: string[]): string => pathToFileURL(join(root, ...parts, "main.js")).href;

test("the nearest package.json above the module gives the version, from src/ and dist/ alike", () => {
  writeFileSync(join(root, "package.json"), JSON.stringify({ name: "app", version: "1.2.3" }));
  mkdirSync(join(root, "src", "bin"), { recursive: true });
  mkdirSync(join(root, "dist"));
  expect(packageVersion(moduleIn("src"))).toBe("1.2.3");
  expect(packageVersion(moduleIn("src", "bin"))).toBe("1.2.3");
  expect(packageVersion(new URL(moduleIn("dist")))).toBe("1.2.3");
});

test("it is read when asked, not remembered", () => {
  mkdirSync(join(root, "dist"));
  writeFileSync(join(root, "package.json"), JSON.stringify({ version: "1.0.0" }));
  expect(packageVersion(moduleIn("dist"))).toBe("1.0.0");
  writeFileSync(join(root, "package.json"), JSON.stringify({ version: "1.0.1" }));
  expect(packageVersion(moduleIn("dist"))).toBe("1.0.1");
});

test("a package.json without a version string is an error naming the file", () => {
  writeFileSync(join(root, "package.json"), JSON.stringify({ name: "app", version: 1 }));
  expect(() => packageVersion(moduleIn())).toThrow(/package\.json has no "version" string/);
});

test("this kit's own version, found from its source", () => {
  expect(packageVersion(pathToFileURL(__filename))).toBe("0.0.0");
});

import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { main } from "../src/main.js";

const appDir = resolve(__dirname, "..");
const { version } = JSON.parse(readFileSync(resolve(appDir, "package.json"), "utf8")) as { version: string };

test("--version prints the app's package.json version and exits 0; --help wins over it", async () => {
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l), readStdin: async () => "" };
  expect(await main(["--version", "ab+", "abbb"], io)).toBe(0);
  expect(out).toEqual([`automata-demo ${version}`]);
  expect(await main(["--version", "--help"], io)).toBe(0);
  expect(out[1]).toMatch(/^usage: automata-demo/);
  expect(out).toContain("  --version     show the version");
  expect(err).toEqual([]);
});

test("the executable prints it too, run from source with tsx", async () => {
  const { stdout, stderr } = await promisify(execFile)(
    process.execPath,
    ["--import", "tsx", "--conditions=@cpppo/source", "src/cli.ts", "--version"],
    { cwd: appDir },
  );
  expect(stderr).toBe("");
  expect(stdout).toBe(`automata-demo ${version}\n`);
}, 30_000);

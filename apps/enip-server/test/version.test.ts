import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { main } from "../src/main.js";
import { Sink } from "./support/sink.js";

const appDir = resolve(__dirname, "..");
const { version } = JSON.parse(readFileSync(resolve(appDir, "package.json"), "utf8")) as { version: string };

test("--version prints the app's package.json version and exits 0", async () => {
  const stdout = new Sink();
  const stderr = new Sink();
  expect(await main(["--version", "-a", "127.0.0.1:0", "X=DINT"], { stdout, stderr })).toBe(0);
  expect(stdout.text).toBe(`enip-server ${version}\n`);
  expect(stderr.text).toBe("");
});

test("the executable prints it too, run from source with tsx", async () => {
  const { stdout, stderr } = await promisify(execFile)(
    process.execPath,
    ["--import", "tsx", "--conditions=@cpppo/source", "src/bin/enip-server.ts", "--version"],
    { cwd: appDir },
  );
  expect(stderr).toBe("");
  expect(stdout).toBe(`enip-server ${version}\n`);
}, 30_000);

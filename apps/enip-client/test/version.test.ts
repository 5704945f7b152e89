import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { main as enipClient } from "../src/enip-client.js";
import { main as enipGetAttribute } from "../src/enip-get-attribute.js";
import { main as enipListIdentity } from "../src/enip-list-identity.js";
import { main as enipPoll } from "../src/enip-poll.js";
import { main as enipThruput } from "../src/enip-thruput.js";
import { run } from "./support/run.js";

const appDir = resolve(__dirname, "..");
const { version } = JSON.parse(readFileSync(resolve(appDir, "package.json"), "utf8")) as { version: string };

test.each([
  ["enip-client", enipClient],
  ["enip-get-attribute", enipGetAttribute],
  ["enip-thruput", enipThruput],
  ["enip-list-identity", enipListIdentity],
  ["enip-poll", enipPoll],
])("%s --version prints the app's package.json version and exits 0", async (name, main) => {
  const r = await run(main, ["--version", "-a", "127.0.0.1:1", "IGNORED"]);
  expect(r).toEqual({ code: 0, stdout: `${name} ${version}\n`, stderr: "", lines: [`${name} ${version}`] });
});

test("--help wins over --version, as in enip-server", async () => {
  const r = await run(enipPoll, ["--version", "-h"]);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/^usage: enip-poll [\s\S]*\[--version\]/);
});

test("the executable prints it too, run from source with tsx", async () => {
  const { stdout, stderr } = await promisify(execFile)(
    process.execPath,
    ["--import", "tsx", "--conditions=@cpppo/source", "src/bin/enip-list-identity.ts", "--version"],
    { cwd: appDir },
  );
  expect(stderr).toBe("");
  expect(stdout).toBe(`enip-list-identity ${version}\n`);
}, 30_000);

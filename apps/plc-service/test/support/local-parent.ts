/**
 * A LOCAL:// parent for the tests: connects LOCAL:// (starting plc-service as its child), transfers and starts
 * the program in argv[2], prints `started`, then waits to be killed without closing its client.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { connectPlc } from "@cpppo/runtime";

const bin = fileURLToPath(new URL("../../src/bin/plc-service.ts", import.meta.url));
const localCommand = [process.execPath, "--import", "tsx", "--conditions=@cpppo/source", bin];
const client = await connectPlc("LOCAL://", { localCommand, localStderr: "inherit" });
const ok = (await client.transfer(readFileSync(process.argv[2] as string))) && (await client.StartPLC());
process.stdout.write(`${ok ? "started" : "failed"}\n`);
setInterval(() => {}, 1 << 30);

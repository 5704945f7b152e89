/**
 * modbus-poll as a process (run from source with tsx): it writes, polls and logs cpppo's lines on stderr, rides out
 * the server's loss, and stops on SIGTERM with status 0.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { resolve } from "node:path";
import { ModbusServer, ModbusStore, parseRegisterRanges } from "@cpppo/modbus-server";

const WAIT_MS = 20_000;
jest.setTimeout(60_000);

const children: ChildProcess[] = [];
const servers: ModbusServer[] = [];
afterEach(async () => {
  for (const c of children.splice(0))
    if (c.exitCode === null && c.signalCode === null) {
      const exited = once(c, "exit");
      c.kill("SIGKILL");
      await exited;
    }
  await Promise.all(servers.splice(0).map((s) => s.close({ deadlineMs: 0 })));
});

async function simulator(ranges: string[], port = 0): Promise<{ server: ModbusServer; port: number }> {
  const server = new ModbusServer({ store: ModbusStore.fromRanges(parseRegisterRanges(ranges)) });
  servers.push(server);
  return { server, port: (await server.listenTcp({ host: "127.0.0.1", port })).port };
}

function start(args: string[]): {
  child: ChildProcess;
  waitErr: (re: RegExp, from?: number) => Promise<void>;
  err: () => string;
} {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "--conditions=@cpppo/source", "src/bin/modbus-poll.ts", ...args],
    {
      cwd: resolve(__dirname, ".."),
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  children.push(child);
  let err = "";
  child.stderr?.on("data", (c: Buffer) => {
    err += c.toString();
    child.emit("stderr-text");
  });
  const waitErr = (re: RegExp, from = 0) =>
    new Promise<void>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`no ${re} on stderr: ${err}`)), WAIT_MS);
      const check = () => {
        if (!re.test(err.slice(from))) return;
        clearTimeout(timer);
        child.off("stderr-text", check);
        ok();
      };
      child.on("stderr-text", check);
      check();
    });
  return { child, waitErr, err: () => err };
}

it("writes, polls, logs changes and ranges, recovers after the server restarts, and exits 0 on SIGTERM", async () => {
  const first = await simulator(["40001-40003=0"]);
  const cli = start([
    "-a",
    `127.0.0.1:${first.port}`,
    "-R",
    "0.1",
    "-t",
    "0.5",
    "-v",
    "40001-40002",
    "40003=9",
  ]);
  await cli.waitErr(/40003 == {5}9 \(was: None\)/);
  await cli.waitErr(/40001 == {5}0 \(was: None\)/);
  await cli.waitErr(/failing: , polling: 40001-40003\n/);
  expect(first.server.store?.read("holdingRegisters", 2, 1)).toEqual([9]);
  const mark = cli.err().length; // before the close: the poller may notice before close() resolves
  await first.server.close({ deadlineMs: 0 });
  await cli.waitErr(/failing: 40001-40003, polling: \n/, mark);
  await simulator(["40001-40003=4"], first.port);
  await cli.waitErr(/40002 == {5}4 \(was: 0\)/, mark);
  await cli.waitErr(/failing: , polling: 40001-40003\n/, mark);
  const exited = once(cli.child, "exit");
  cli.child.kill("SIGTERM");
  const [code] = await exited;
  expect(code).toBe(0);
});

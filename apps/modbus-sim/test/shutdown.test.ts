/**
 * The real process's shutdown: SIGTERM while a reply is held back by `-e delay` still sends that reply before the
 * process exits 0; a second SIGTERM while stopping exits 0 at once; a client that never reads does not hold the
 * process past the shutdown deadline.
 */
import { once } from "node:events";
import { connect, type Socket } from "node:net";
import { SHUTDOWN_DEADLINE_MS } from "../src/main.js";
import { exitWithin, killExecutables, startExecutable, WAIT_MS } from "./support/executable.js";
import { MbapClient } from "./support/mbap-client.js";

const sockets: Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
  killExecutables();
});

async function open(port: number): Promise<MbapClient> {
  const socket = connect(port, "127.0.0.1");
  sockets.push(socket);
  await once(socket, "connect");
  return new MbapClient(socket);
}

describe("modbus-sim shutdown", () => {
  it("SIGTERM sends the reply in flight, then exits 0", async () => {
    const cli = await startExecutable(["-vv", "-a", "127.0.0.1:0", "-e", "delay:2", "40001-40002=11,12"]);
    const client = await open(cli.port);
    const reply = client.request({ fc: 3, address: 0, quantity: 2 });
    await cli.waitErr(/read holdingRegisters 0\+2/);
    cli.child.kill("SIGTERM");
    await cli.waitErr(/stopping \(SIGTERM\)/);
    expect((await reply).reply).toEqual({ fc: 3, registers: [11, 12] });
    const replied = Date.now();
    const exit = await exitWithin(cli, SHUTDOWN_DEADLINE_MS);
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect((exit as { at: number }).at).toBeGreaterThanOrEqual(replied - 50);
  }, 60_000);

  it("a second SIGTERM while stopping exits 0 at once", async () => {
    const cli = await startExecutable(["-vv", "-a", "127.0.0.1:0", "-e", "delay:60", "40001"]);
    const client = await open(cli.port);
    void client.request({ fc: 3, address: 0, quantity: 1 }).catch(() => {});
    await cli.waitErr(/read holdingRegisters 0\+1/);
    cli.child.kill("SIGTERM");
    await cli.waitErr(/stopping \(SIGTERM\)/);
    const sent = Date.now();
    cli.child.kill("SIGTERM");
    const exit = await exitWithin(cli, WAIT_MS);
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect((exit as { at: number }).at - sent).toBeLessThan(5_000);
    expect(cli.stderr()).toMatch(/WARNING +a second signal: closing every connection now/);
  }, 60_000);
});

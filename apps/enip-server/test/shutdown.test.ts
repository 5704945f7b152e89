/**
 * Shutdown with a stuck peer: a client pipelines many reads of a large tag and never reads the replies, so the
 * server's writes back up. SIGTERM must still end the real process with status 0 within the shutdown deadline,
 * and a second SIGTERM must end it at once.
 */
import { once } from "node:events";
import { connect, type Socket } from "node:net";
import { encodeSendRRData, parseEPath, readTagRequest } from "@cpppo/cip-codec";
import { type Cli, killExecutables, startExecutable } from "./support/executable.js";

/** How long the test waits for the CLI to start, for the peer to be stuck, or for an exit, before it fails. */
const WAIT_MS = 20_000;
/** The CLI's shutdown deadline (10 s): a graceful stop must end the process well within it. */
const SHUTDOWN_DEADLINE_MS = 10_000;

const sockets: Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
  killExecutables();
});

/**
 * Registers a session, then pipelines reads of 122 DINTs (a 488-byte reply each) and stops reading: resolves once
 * the server has stopped taking requests too (what we sent stays unsent, unchanged, for a whole second).
 */
async function stuckPeer(port: number): Promise<Socket> {
  const socket = connect(port, "127.0.0.1");
  sockets.push(socket);
  socket.on("error", () => {});
  await once(socket, "connect");
  socket.write(Uint8Array.from([0x65, 0, 4, 0, ...new Array(20).fill(0), 1, 0, 0, 0]));
  const [reply] = (await once(socket, "data")) as [Buffer];
  // Nothing more arrives before the reads are sent: from here on this peer reads nothing.
  socket.pause();
  const session = reply.readUInt32LE(4);
  const frame = encodeSendRRData({
    session,
    timeout: 5,
    message: readTagRequest(parseEPath("BIG"), 122),
  });
  // 1 MB of requests (20 MB of replies) at a time, until what we send stays unsent: the server stopped reading,
  // and the kernel's buffers both ways are full (their sizes vary, so write until it shows).
  const batch = Buffer.concat(new Array(20_000).fill(Buffer.from(frame)));
  const end = Date.now() + WAIT_MS;
  let sent = 0;
  let last = -1;
  let still = 0;
  while (still < 10) {
    if (Date.now() > end || sent > 200)
      throw new Error(`the server never stopped reading (${sent} MB sent, ${socket.writableLength} unsent)`);
    if (socket.writableLength === 0) {
      socket.write(batch);
      sent++;
    }
    await new Promise((ok) => setTimeout(ok, 100));
    const unsent = socket.writableLength;
    still = unsent > 0 && unsent === last ? still + 1 : 0;
    last = unsent;
  }
  return socket;
}

/** How the CLI exited, or "still running" once `ms` have passed. */
async function exitWithin(cli: Cli, ms: number) {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      cli.exited,
      new Promise<"still running">((ok) => {
        timer = setTimeout(() => ok("still running"), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

describe("enip-server shutdown with a peer that stopped reading", () => {
  it("SIGTERM exits 0 within the shutdown deadline, destroying the stuck connection", async () => {
    const cli = await startExecutable(["-U", "--no-config", "BIG=DINT[1000]"]);
    const peer = await stuckPeer(cli.port);
    const closedByServer = new Promise((ok) => peer.once("close", ok));
    const sent = Date.now();
    cli.child.kill("SIGTERM");
    const result = await exitWithin(cli, SHUTDOWN_DEADLINE_MS);
    expect(result).toMatchObject({ code: 0, signal: null });
    expect((result as { at: number }).at - sent).toBeLessThan(SHUTDOWN_DEADLINE_MS);
    await closedByServer;
    expect(cli.stderr()).toBe("");
  }, 60_000);

  it("a second SIGTERM while stopping exits 0 at once", async () => {
    const cli = await startExecutable(["-U", "--no-config", "-v", "BIG=DINT[1000]"]);
    await stuckPeer(cli.port);
    cli.child.kill("SIGTERM");
    // Signals of one kind do not queue: send the second only once the first has been taken.
    await cli.waitErr(/stopping \(SIGTERM\)/);
    cli.child.kill("SIGTERM");
    const result = await exitWithin(cli, SHUTDOWN_DEADLINE_MS);
    expect(result).toMatchObject({ code: 0, signal: null });
    expect(cli.stderr()).toMatch(/WARNING +a second signal: closing every connection now/);
  }, 60_000);
});

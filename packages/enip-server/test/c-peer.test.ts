/**
 * The C peers of the benchmarks (tools/bench-kit/c, issue 9 item 13): the load generator's Read Tag requests,
 * built in C from the spec as a C PLC library sends them (SendRRData, Unconnected Send, route 1/0), get checked
 * replies from our server, and the C canned-reply server frames requests by their encapsulation length. Compiled
 * with `cc`; without a C compiler these tests are skipped, as the benchmark skips its figures.
 */
import { connect, createServer, type Socket } from "node:net";
import { buildC, runEnipLoad, startEnipEcho } from "@cpppo/bench-kit";
import { useServers } from "./support/servers.js";

const { start } = useServers();
const withCc = buildC("enip-load").path !== undefined && buildC("enip-echo").path !== undefined;
const testWithCc = withCc ? test : test.skip;

/** Sends `pieces` one write at a time (each after the previous is flushed) and resolves with the first whole frame. */
function exchangeInPieces(port: number, pieces: Uint8Array[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect({ port, host: "127.0.0.1", noDelay: true });
    let got = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error("no whole reply within 5 s"));
    }, 5000);
    socket.on("error", reject);
    socket.on("data", (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      if (got.length < 24 || got.length < 24 + got.readUInt16LE(2)) return;
      clearTimeout(timer);
      socket.destroy();
      resolve(got);
    });
    socket.once("connect", () => {
      const next = (i: number): void => {
        if (i < pieces.length) socket.write(pieces[i] as Uint8Array, () => setImmediate(() => next(i + 1)));
      };
      next(0);
    });
  });
}

describe("the C load generator and canned-reply server", () => {
  testWithCc("the C client's Read Tag of a DINT is answered and every reply passes its checks", async () => {
    const { port, controller } = await start();
    controller.defineTag("D=DINT");
    const run = await runEnipLoad({ port, tag: "D", seconds: 0.2, warmupSeconds: 0.05 });
    expect(run.replies).toBeGreaterThan(0);
    expect(run.rate).toBeGreaterThan(0);
  });

  testWithCc("the C client fails on a reply with a non-zero status (an unknown tag)", async () => {
    const { port } = await start();
    await expect(runEnipLoad({ port, tag: "NoSuchTag", seconds: 0.2, warmupSeconds: 0 })).rejects.toThrow(
      /non-zero general status/,
    );
  });

  testWithCc(
    "the C client gives up on a server that never answers, after 5 s",
    async () => {
      const peers: Socket[] = [];
      const silent = createServer((socket) => {
        peers.push(socket);
        socket.on("error", () => socket.destroy());
      });
      await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
      const address = silent.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      try {
        await expect(runEnipLoad({ port, seconds: 0.2, warmupSeconds: 0 })).rejects.toThrow(
          /no reply within 5 s/,
        );
      } finally {
        for (const peer of peers) peer.destroy();
        await new Promise<void>((resolve) => silent.close(() => resolve()));
      }
    },
    20_000,
  );

  testWithCc(
    "the C canned server answers a RegisterSession sent in pieces, framed by its length",
    async () => {
      const echo = await startEnipEcho();
      try {
        const register = Buffer.alloc(28);
        register.writeUInt16LE(0x65, 0);
        register.writeUInt16LE(4, 2);
        register.writeUInt16LE(1, 24);
        const reply = await exchangeInPieces(echo.port, [
          register.subarray(0, 3),
          register.subarray(3, 25),
          register.subarray(25),
        ]);
        expect(reply.length).toBe(28);
        expect(reply.readUInt16LE(0)).toBe(0x65);
        expect(reply.readUInt32LE(4)).not.toBe(0);
        expect(reply.readUInt32LE(8)).toBe(0);
        const run = await runEnipLoad({ port: echo.port, seconds: 0.2, warmupSeconds: 0.05 });
        expect(run.replies).toBeGreaterThan(0);
      } finally {
        await echo.close();
      }
    },
  );
});

/**
 * The pipelined transfer: chunks go out before earlier replies arrive, each reply's blob id is still checked in
 * order, and a wrong id anywhere leaves the runtime with no half program.
 */
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  connectPlc,
  listenRpc,
  type PlcClient,
  PlcService,
  type PlcTarget,
  parsePskSecrets,
  RuntimeObject,
} from "../src/index.js";
import { md5, programBytes, removeWorkdirs, workdir } from "./support/helpers.js";

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await removeWorkdirs();
});

/** A program of `size` bytes or a little more (a JSON plant with no parts and a padding string). */
function bigProgram(size: number): Uint8Array {
  return programBytes({ parts: [], pad: "p".repeat(size) });
}

/**
 * A runtime served over PYRO:// through `wrap`, which may change what AppendChunkToBlob does; resolves the runtime,
 * a client and the calls the server saw, in order.
 */
async function serve(
  wrap: (runtime: RuntimeObject, calls: string[]) => Partial<PlcTarget> = () => ({}),
): Promise<{ runtime: RuntimeObject; client: PlcClient; calls: string[]; dir: string }> {
  const dir = await workdir();
  const runtime = await RuntimeObject.open({ workdir: dir });
  closers.push(() => runtime.quit());
  const calls: string[] = [];
  const own = runtime as unknown as Record<string, (...args: never[]) => unknown>;
  const target: Record<string, (...args: never[]) => unknown> = {};
  for (const m of ["GetPLCstatus", "SeedBlob", "AppendChunkToBlob", "PurgeBlobs", "NewPLC"])
    target[m] = (...args: never[]) => {
      calls.push(m);
      return (own[m] as (...a: never[]) => unknown).apply(runtime, args);
    };
  Object.assign(target, wrap(runtime, calls));
  const listener = await listenRpc(target, { port: 0 });
  closers.push(() => listener.close());
  const client = await connectPlc(`PYRO://127.0.0.1:${listener.port}`, { timeoutMs: 10_000 });
  closers.push(() => client.close());
  return { runtime, client, calls, dir };
}

describe("PlcClient.transfer", () => {
  it("sends the next chunks before a chunk's reply arrives, at most inFlight at once, and loads the program", async () => {
    let unanswered = 0;
    let most = 0;
    /** Replies held back until the next chunk arrives (or 2 s pass: a client that waits for each reply). */
    const held: (() => void)[] = [];
    const { runtime, client, dir } = await serve((rt, calls) => ({
      AppendChunkToBlob: (data: Uint8Array, blobId: string) => {
        calls.push("AppendChunkToBlob");
        const answer = rt.AppendChunkToBlob(data, blobId);
        unanswered++;
        most = Math.max(most, unanswered);
        for (const release of held.splice(0)) release();
        return new Promise((resolve) => {
          const release = (): void => {
            clearTimeout(late);
            unanswered--;
            resolve(answer);
          };
          const late = setTimeout(release, 2000);
          held.push(release);
        });
      },
    }));
    const program = bigProgram(10 * 1024);
    const progress: number[] = [];
    const ok = await client.transfer(program, {
      chunkBytes: 1024,
      inFlight: 3,
      onProgress: (sent) => progress.push(sent),
    });
    expect(ok).toBe(true);
    expect(most).toBeGreaterThanOrEqual(2);
    expect(most).toBeLessThanOrEqual(3);
    expect(progress.at(-1)).toBe(program.length);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(runtime.status).toBe("Stopped");
    // NewPLC got the program's own md5 (the running hash of the chunks) and wrote the bytes as sent.
    expect(await runtime.MatchMD5(md5(program))).toBe(true);
    expect(Buffer.from(await readFile(join(dir, `${md5(program)}.json`))).equals(Buffer.from(program))).toBe(
      true,
    );
  });

  it("a chunk answered with a wrong id fails the transfer: PurgeBlobs, no NewPLC, no progress past it", async () => {
    let chunks = 0;
    const { runtime, client, calls } = await serve((rt, seen) => ({
      AppendChunkToBlob: (data: Uint8Array, blobId: string) => {
        seen.push("AppendChunkToBlob");
        chunks++;
        // The third chunk's reply names a blob id that is not the running md5.
        return chunks === 3
          ? rt.AppendChunkToBlob(data, blobId).then(() => "0".repeat(32))
          : rt.AppendChunkToBlob(data, blobId);
      },
    }));
    const progress: number[] = [];
    const ok = await client.transfer(bigProgram(8 * 1024), {
      chunkBytes: 1024,
      onProgress: (sent) => progress.push(sent),
    });
    expect(ok).toBe(false);
    expect(progress).toEqual([1024, 2048]);
    expect(calls).not.toContain("NewPLC");
    expect(calls.at(-1)).toBe("PurgeBlobs");
    expect(runtime.status).toBe("Empty");
  });

  it("over PYROS, chunks of any size arrive intact: the file NewPLC writes is the program, byte for byte", async () => {
    const psk = parsePskSecrets(`t:${"k".repeat(40)}`);
    const dir = await workdir();
    const service = await PlcService.start({ workdir: dir, port: 0, psk });
    closers.push(() => service.quit("test over"));
    const client = await connectPlc(service.uri, { psk, timeoutMs: 10_000 });
    closers.push(() => client.close());
    const text = randomBytes(1536 * 1024).toString("hex");
    for (const chunkBytes of [9 * 1024, 15 * 1024, 1024 * 1024]) {
      const program = programBytes({ parts: [], pad: `${chunkBytes}${text}` });
      expect(await client.transfer(program, { chunkBytes })).toBe(true);
      const written = await readFile(join(dir, `${md5(program)}.json`));
      expect(Buffer.from(written).equals(Buffer.from(program))).toBe(true);
    }
  });

  it("a program of one chunk, of several with a short last one, and an empty one, all load with their md5", async () => {
    const { runtime, client } = await serve();
    for (const program of [bigProgram(100), bigProgram(5000), bigProgram(0)]) {
      expect(await client.transfer(program, { chunkBytes: 2048 })).toBe(true);
      expect(await runtime.MatchMD5(md5(program))).toBe(true);
    }
    expect(await client.transfer(new Uint8Array(0))).toBe(false); // not a program: NewPLC loads nothing
    expect(runtime.status).toBe("Broken");
  });
});

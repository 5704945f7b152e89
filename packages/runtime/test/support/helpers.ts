/** Helpers shared by the runtime tests: temporary work dirs, blob transfer into a runtime, and port probes. */
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RuntimeObject } from "../../src/index.js";

const dirs: string[] = [];

/** A fresh temporary directory, removed by `removeWorkdirs`. */
export async function workdir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "cpppo-runtime-test-"));
  dirs.push(dir);
  return dir;
}

/** Removes every directory `workdir` made. */
export async function removeWorkdirs(): Promise<void> {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
}

/** A program's bytes (JSON). */
export function programBytes(program: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(program));
}

/** The md5 (hex) of `bytes`. */
export function md5(bytes: Uint8Array): string {
  return createHash("md5").update(bytes).digest("hex");
}

/** Transfers `program` into `runtime` in chunks of `chunk` bytes and calls NewPLC; resolves NewPLC's answer. */
export async function transfer(runtime: RuntimeObject, program: unknown, chunk = 16): Promise<boolean> {
  const bytes = programBytes(program);
  let id: string | null = await runtime.SeedBlob(new Uint8Array(0));
  for (let at = 0; at < bytes.length && id !== null; at += chunk)
    id = await runtime.AppendChunkToBlob(bytes.subarray(at, at + chunk), id);
  if (id === null) throw new Error("blob lost");
  return runtime.NewPLC(md5(bytes), id, []);
}

/** The ports the runtime's parts logged (`part NAME KIND listening on HOST:PORT`), by part name. */
export async function partPorts(runtime: RuntimeObject): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const [, counts] = await runtime.GetPLCstatus();
  for (let id = 0; id < counts[2]; id++) {
    const entry = await runtime.GetLogMessage(2, id);
    const m = entry && /^part (\S+) \w+ listening on .*:(\d+)$/.exec(entry[0]);
    if (m) out.set(m[1] as string, Number(m[2]));
  }
  return out;
}

/** Resolves true when a TCP connection to 127.0.0.1:`port` succeeds, false when refused (5 s deadline). */
export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(false);
    }, 5000);
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}

/** A plant with one EtherNet/IP and one Modbus simulator on free ports. */
export const PLANT = {
  name: "test plant",
  parts: [
    { kind: "enip", name: "line1", host: "127.0.0.1", port: 0, tags: ["SCADA=INT[4]", "Speed=REAL"] },
    { kind: "modbus", name: "mb", host: "127.0.0.1", port: 0, ranges: ["40001-40010=7"] },
  ],
};

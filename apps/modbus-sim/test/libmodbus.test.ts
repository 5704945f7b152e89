/**
 * modbus-sim against libmodbus 3.1.x (Debian's libmodbus-dev): the C client in fixtures/libmodbus-client.c is
 * compiled with `cc` into a temporary folder and run once; it calls every function code libmodbus has (1, 2, 3,
 * 4, 5, 6, 15, 16, 17, 22, 23, and 43/14 and bad requests through `modbus_send_raw_request`) and prints one line per
 * step, with the errno libmodbus sets for each exception reply.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { killExecutables, startExecutable } from "./support/executable.js";
import { describeWithPeers, runPeer, runs } from "./support/peers.js";

const SOURCE = resolve(__dirname, "fixtures", "libmodbus-client.c");
let dir: string;

function missing(): string | undefined {
  if (!runs("cc", ["--version"])) return "a C compiler (cc)";
  if (!runs("pkg-config", ["--exists", "libmodbus"])) return "libmodbus-dev (pkg-config libmodbus)";
  return undefined;
}

/** Compiles the client; its path. */
function compile(): string {
  dir = mkdtempSync(join(tmpdir(), "modbus-sim-libmodbus-"));
  const flags = execFileSync("pkg-config", ["--cflags", "--libs", "libmodbus"], { encoding: "utf8" })
    .trim()
    .split(/\s+/)
    .filter(Boolean);
  const out = join(dir, "libmodbus-client");
  execFileSync("cc", ["-O1", "-o", out, SOURCE, ...flags], {
    stdio: ["ignore", "ignore", "pipe"],
    timeout: 60_000,
  });
  return out;
}

afterAll(() => {
  killExecutables();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describeWithPeers("modbus-sim with libmodbus", missing, () => {
  it("serves every function code libmodbus has, and answers bad requests with the exceptions it reports", async () => {
    const client = compile();
    const cli = await startExecutable([
      "-a",
      "127.0.0.1:0",
      "1-16=0",
      "10001-10008=1,0,1,1,0,0,1,0",
      "30001-30004=11,22,33,44",
      "40001-40010=0",
    ]);
    const run = await runPeer(client, ["127.0.0.1", String(cli.port)]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split("\n");
    const byStep = new Map(lines.map((l) => [l.split(" ")[0], l] as const));
    expect(lines.slice(0, 12)).toEqual([
      "fc1 8 0 0 0 0 0 0 0 0",
      "fc5 1",
      "fc15 4",
      "fc1 8 0 0 1 0 1 0 1 1",
      "fc2 8 1 0 1 1 0 0 1 0",
      "fc4 4 11 22 33 44",
      "fc6 1",
      "fc16 3",
      "fc3 4 4660 100 200 65535",
      "fc22 1",
      // (0x1234 AND 0x00f2) OR (0x0025 AND NOT 0x00f2) = 0x35
      "fc3 1 53",
      // FC23 writes before it reads: 40005-40006 = 7, 8, read from 40004.
      "fc23 3 65535 7 8",
    ]);
    expect(byStep.get("fc3-undefined")).toBe("fc3-undefined -1 EMBXILADD");
    expect(byStep.get("fc3-past-end")).toBe("fc3-past-end -1 EMBXILADD");
    expect(byStep.get("fc2-past-end")).toBe("fc2-past-end -1 EMBXILADD");
    expect(byStep.get("fc4-undefined")).toBe("fc4-undefined -1 EMBXILADD");
    expect(byStep.get("fc6-undefined")).toBe("fc6-undefined -1 EMBXILADD");
    expect(byStep.get("fc5-undefined")).toBe("fc5-undefined -1 EMBXILADD");
    // Report server id (17) is not served: exception 01.
    expect(byStep.get("fc17")).toBe("fc17 -1 EMBXILFUN");
    // Quantity 0 and 126 registers: exception 03; an unknown function code (7): exception 01.
    expect(byStep.get("fc3-quantity-0")).toBe("fc3-quantity-0 2 83 03");
    expect(byStep.get("fc3-quantity-126")).toBe("fc3-quantity-126 2 83 03");
    expect(byStep.get("fc7")).toBe("fc7 2 87 01");
    // 43/14 read device identification, basic (code 1) from object 0: MEI 0e, code 01, then conformity level,
    // more-follows 00, next object 00, the object count and the objects (VendorName, ProductCode, Revision).
    const ident = (byStep.get("fc43") ?? "").split(" ");
    expect(ident.slice(2, 5)).toEqual(["2b", "0e", "01"]);
    expect(ident[6]).toBe("00");
    const count = Number.parseInt(ident[8] ?? "", 16);
    expect(count).toBe(3);
    let at = 9;
    const ids: number[] = [];
    for (let i = 0; i < count; i++) {
      ids.push(Number.parseInt(ident[at] ?? "", 16));
      at += 2 + Number.parseInt(ident[at + 1] ?? "", 16);
    }
    expect(ids).toEqual([0, 1, 2]);
    expect(at).toBe(ident.length);
    // The connection is still in step after all of it.
    expect(byStep.get("fc3-after")).toBe("fc3-after 2 53 100");
  }, 60_000);
});

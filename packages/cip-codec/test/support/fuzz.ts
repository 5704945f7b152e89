/**
 * Hostile-input harness shared by the fuzz script (bench/fuzz.ts, ≥ 1M cases) and the test suite (a
 * smaller run): real frames and payloads from the fixtures, mutated, fed to every decoder and to the
 * stream framer. A decoder may return a value or throw CipDecodeError; anything else, or a case that
 * takes too long, is a failure reported with its bytes.
 */

import { decodeIdentityBytes, decodeTcpIpInterfaceBytes } from "../../src/bodies/objects.js";
import { decodePath } from "../../src/cip/epath.js";
import { CipDecodeError } from "../../src/core/errors.js";
import { fromHex, toHex } from "../../src/core/hex.js";
import { Reader } from "../../src/core/reader.js";
import { EnipFramer } from "../../src/encapsulation/framer.js";
import { decodeEnipMessage } from "../../src/frame/frame.js";
import { decodeReplyBytes, decodeRequestBytes } from "../../src/message/message.js";
import { decodeTemplateAttributes, decodeTemplateDefinition } from "../../src/types/template.js";
import { decodeTagType, decodeValues, typeByCode } from "../../src/types/types.js";
import { mutate, prng } from "./mutate.js";
import { loadCaptureFrames, loadVectors } from "./vectors.js";

/** A decoder under test: gets mutant bytes and a random source (for chunking and choices). */
export interface FuzzTarget {
  name: string;
  seeds: Uint8Array[];
  run(bytes: Uint8Array, random: () => number): void;
}

function cipPayloads(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const v of loadVectors()) {
    if (v.frame === "cip") out.push(fromHex(v.hex));
    if (v.frame === "full" && v.hex.length > 0 && !v.malformed) {
      const m = decodeEnipMessage(fromHex(v.hex), { connectedData: "raw" });
      if (m.body.command === "sendRRData" || m.body.command === "sendUnitData")
        for (const item of m.body.cpf)
          if (item.kind === "unconnectedData" || item.kind === "connectedData") out.push(item.data);
    }
  }
  return out;
}

/** Every decoder entry point, seeded with the real bytes that reach it. */
export function fuzzTargets(): FuzzTarget[] {
  const vectors = loadVectors();
  const frames = [
    ...vectors.filter((v) => v.frame === "full" && v.hex.length > 0).map((v) => fromHex(v.hex)),
    ...loadCaptureFrames().map((f) => fromHex(f.tcp_payload_hex)),
  ];
  const paths = vectors.filter((v) => v.frame === "epath").map((v) => fromHex(v.hex));
  const typed = vectors.filter((v) => v.frame === "type").map((v) => fromHex(v.hex));
  const cip = cipPayloads();
  return [
    { name: "decodeEnipMessage", seeds: frames, run: (b) => void decodeEnipMessage(b) },
    {
      name: "EnipFramer",
      seeds: frames,
      run: (b, random) => {
        const framer = new EnipFramer({ maxFrameSize: 4096 });
        for (let i = 0; i < b.length; ) {
          const n = 1 + Math.floor(random() * 64);
          for (const f of framer.push(b.subarray(i, i + n))) decodeEnipMessage(f);
          i += n;
        }
        framer.end();
      },
    },
    { name: "decodeRequestBytes", seeds: cip, run: (b) => void decodeRequestBytes(b) },
    { name: "decodeReplyBytes", seeds: cip, run: (b) => void decodeReplyBytes(b) },
    {
      name: "decodePath",
      seeds: paths,
      run: (b) => {
        const r = new Reader(b);
        decodePath(r, b.length & ~1);
      },
    },
    {
      name: "decodeValues",
      seeds: typed,
      run: (b, random) => {
        const codes = [
          0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xcb, 0xd0, 0xd2, 0xd3, 0xd4, 0xda,
        ];
        const type = typeByCode(codes[Math.floor(random() * codes.length)] as number);
        if (type) decodeValues(type, b, random() < 0.5 ? undefined : Math.floor(random() * 300));
        decodeTagType(new Reader(b));
      },
    },
    { name: "decodeIdentityBytes", seeds: cip, run: (b) => void decodeIdentityBytes(b) },
    { name: "decodeTcpIpInterfaceBytes", seeds: cip, run: (b) => void decodeTcpIpInterfaceBytes(b) },
    {
      name: "decodeTemplate",
      seeds: cip,
      run: (b, random) => {
        decodeTemplateAttributes(new Reader(b));
        const memberCount = Math.floor(random() * 70000);
        decodeTemplateDefinition(new Reader(b), { memberCount, structureHandle: 0x8df9, structureSize: 600 });
      },
    },
  ];
}

/** What a fuzz run saw. */
export interface FuzzReport {
  cases: number;
  values: number;
  decodeErrors: number;
  failures: { target: string; hex: string; error: string }[];
  slowest: { target: string; ms: number; hex: string };
}

/** Runs `cases` mutants spread over every target, from `seed`; stops collecting failures after 20. */
export function fuzz(cases: number, seed = 1, slowMs = 50): FuzzReport {
  const targets = fuzzTargets();
  const random = prng(seed);
  const report: FuzzReport = {
    cases: 0,
    values: 0,
    decodeErrors: 0,
    failures: [],
    slowest: { target: "", ms: 0, hex: "" },
  };
  for (let i = 0; i < cases; i++) {
    const target = targets[i % targets.length] as FuzzTarget;
    const bytes = mutate(target.seeds, random);
    const start = performance.now();
    try {
      target.run(bytes, random);
      report.values++;
    } catch (e) {
      if (e instanceof CipDecodeError) report.decodeErrors++;
      else if (report.failures.length < 20)
        report.failures.push({
          target: target.name,
          hex: toHex(bytes),
          error: String((e as Error)?.stack ?? e),
        });
    }
    const ms = performance.now() - start;
    if (ms > report.slowest.ms)
      report.slowest = { target: target.name, ms, hex: ms > slowMs ? toHex(bytes) : "" };
    report.cases++;
  }
  return report;
}

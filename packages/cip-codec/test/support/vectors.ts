/** The shared fixtures (../fixtures, see its README): typed loaders, read once per test file. */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

// biome-ignore lint/suspicious/noExplicitAny: decoded facts in the vector JSON are untyped by nature
export type Json = any;

/** One entry of enip-vectors.json (fields described in fixtures/VECTORS.md); `D` narrows its decoded facts. */
export interface Vector<D = Json> {
  name: string;
  direction?: "request" | "reply";
  hex: string;
  frame: "full" | "cpf" | "cip" | "epath" | "type";
  summary: string;
  decoded: D;
  malformed?: boolean;
  notes?: string;
  capture_frame?: number;
  checks: { encoder_exact_in_source?: boolean; tshark?: { info: string; malformed: boolean } };
}

/** One ENIP frame of the real ControlLogix capture. */
export interface CaptureFrame {
  frame: number;
  direction: "request" | "reply";
  tcp_payload_hex: string;
  vector: string;
  tshark: Json;
}

// Jest runs this file as CommonJS (__dirname); the fuzz script runs it as an ES module (import.meta).
const here = typeof __dirname === "string" ? __dirname : dirname(fileURLToPath(import.meta.url));

/** Absolute path of a fixture file. */
export function fixturePath(name: string): string {
  return join(here, "..", "..", "fixtures", name);
}

/** Every vector of enip-vectors.json, its decoded facts typed as the suite expects them. */
export function loadVectors<D = Json>(): Vector<D>[] {
  return JSON.parse(readFileSync(fixturePath("enip-vectors.json"), "utf8"));
}

/** The ENIP frames of controllogix-SCADA-read-write, in capture order. */
export function loadCaptureFrames(): CaptureFrame[] {
  return JSON.parse(readFileSync(fixturePath("controllogix-SCADA-read-write.frames.json"), "utf8")).frames;
}

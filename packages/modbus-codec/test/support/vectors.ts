import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** One ADU of `fixtures/modbus-vectors.json` (fields as stored). */
export interface ModbusVector {
  name: string;
  direction: "request" | "reply";
  hex: string;
  pdu_hex: string;
  frame: string;
  summary: string;
  decoded: Record<string, unknown>;
  source: string;
}

// Jest runs this file as CommonJS (__dirname); the fuzz script runs it as an ES module (import.meta).
const here = typeof __dirname === "string" ? __dirname : dirname(fileURLToPath(import.meta.url));

export const VECTORS: readonly ModbusVector[] = JSON.parse(
  readFileSync(join(here, "..", "..", "fixtures", "modbus-vectors.json"), "utf8"),
);

export const bytes = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex.replace(/\s+/g, ""), "hex"));
export const hex = (b: Uint8Array): string =>
  Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");

import { readFileSync } from "node:fs";
import { join } from "node:path";

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

export const VECTORS: readonly ModbusVector[] = JSON.parse(
  readFileSync(join(__dirname, "..", "..", "fixtures", "modbus-vectors.json"), "utf8"),
);

export const bytes = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex.replace(/\s+/g, ""), "hex"));
export const hex = (b: Uint8Array): string =>
  Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");

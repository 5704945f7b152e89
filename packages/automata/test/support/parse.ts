import { type DataTree, Parser, type Program } from "../../src/index.js";

/** What one parse produced, in a shape tests can compare across chunkings. */
export interface Outcome {
  status: "done" | "error";
  offset: number;
  result?: DataTree;
  error?: { code: string; offset: number; excerpt: string; statePath: readonly string[]; message: string };
}

/** Feeds `input` cut at `cuts` (sorted offsets), ending the input if the machine still wants more. */
export function parseChunked(
  program: Program,
  input: Uint8Array | string,
  cuts: readonly number[] = [],
): Outcome {
  const parser = new Parser(program);
  const bounds = [...new Set(cuts.filter((c) => c > 0 && c < input.length))].sort((a, b) => a - b);
  bounds.push(input.length);
  let from = 0;
  try {
    let done = false;
    for (const to of bounds) {
      const chunk = typeof input === "string" ? input.slice(from, to) : input.subarray(from, to);
      from = to;
      if (parser.feed(chunk) === "done") {
        done = true;
        break;
      }
    }
    if (!done) parser.end();
    return { status: "done", offset: parser.offset, result: parser.result() };
  } catch (err) {
    const e = err as {
      code: string;
      offset: number;
      excerpt: string;
      statePath: readonly string[];
      message: string;
    };
    return {
      status: "error",
      offset: parser.offset,
      error: {
        code: e.code,
        offset: e.offset,
        excerpt: e.excerpt,
        statePath: e.statePath,
        message: e.message,
      },
    };
  }
}

/** Every cut position: one symbol (byte or UTF-16 unit) at a time. */
export function everyUnit(input: Uint8Array | string): number[] {
  return Array.from({ length: input.length }, (_, i) => i);
}

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

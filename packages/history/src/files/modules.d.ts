// Minimal typings of the two untyped stream codecs @cpppo/history uses (only the parts it calls).
declare module "lzma-native" {
  /** A native liblzma stream; `code(chunk, false)` runs synchronously and reports through `bufferHandler`. */
  interface NativeStream {
    bufferHandler: (
      buf: Buffer | null | undefined,
      processedChunks: number | undefined,
      error: Error | null | undefined,
    ) => void;
    easyEncoder_(preset: number, check: number): void;
    autoDecoder_(memlimit: number | null, flags: number): void;
    code(chunk: Buffer | null, async: boolean): void;
    resetUnderlying(): void;
  }
  const lzma: { Stream: new () => NativeStream; CHECK_CRC32: number; CONCATENATED: number };

  export type { NativeStream };
  export default lzma;
}

declare module "unbzip2-stream" {
  import type { Duplex } from "node:stream";
  /** A streaming bzip2 decoder. */
  export default function unbzip2Stream(): Duplex;
}

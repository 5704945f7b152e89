/**
 * TLS-PSK for PYROS://, done natively with Node's `tls` `pskCallback`: the secrets file is stunnel's `PSKsecrets`
 * form (`IDENTITY:KEY` per line; a hexadecimal KEY is converted to binary, any other KEY is used as its characters'
 * bytes, as Beremiz's base64 keys are), so stunnel peers interoperate in both directions.
 */
import { readFileSync } from "node:fs";
import type { ConnectionOptions, TlsOptions } from "node:tls";
import { PskFileError } from "./errors.js";

/** One identity and its key bytes. */
export interface PskEntry {
  identity: string;
  key: Buffer;
}

/** TLS 1.3 suites (SHA-256 ones only: Node's callback PSK needs them) and every TLS 1.2 PSK suite. */
export const PSK_CIPHERS = "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256:PSK";

/** stunnel's floor: keys of at least 16 bytes. */
const MIN_KEY_BYTES = 16;
/** RFC 4279's identity size implementations must support (and Node's limit). */
const MAX_IDENTITY_BYTES = 128;
/** OpenSSL's (and Node's) PSK size limit. */
const MAX_KEY_BYTES = 256;

/** Parses stunnel's `IDENTITY:KEY` lines (blank lines and `#` comments skipped); throws PskFileError naming the line. */
export function parsePskSecrets(text: string, source = "PSK file"): PskEntry[] {
  const out: PskEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === "" || line.startsWith("#")) continue;
    const colon = line.indexOf(":");
    if (colon <= 0) throw new PskFileError(`${source} line ${i + 1}: expected IDENTITY:KEY`);
    const identity = line.slice(0, colon);
    const text = line.slice(colon + 1);
    const key = /^(?:[0-9a-fA-F]{2})+$/.test(text) ? Buffer.from(text, "hex") : Buffer.from(text, "latin1");
    if (Buffer.byteLength(identity) > MAX_IDENTITY_BYTES)
      throw new PskFileError(
        `${source} line ${i + 1}: the identity is longer than ${MAX_IDENTITY_BYTES} bytes`,
      );
    if (key.length < MIN_KEY_BYTES || key.length > MAX_KEY_BYTES)
      throw new PskFileError(
        `${source} line ${i + 1}: the key must be ${MIN_KEY_BYTES}…${MAX_KEY_BYTES} bytes (${MIN_KEY_BYTES * 2}+ hex digits), got ${key.length}`,
      );
    out.push({ identity, key });
  }
  if (out.length === 0) throw new PskFileError(`${source} holds no IDENTITY:KEY line`);
  return out;
}

/** Reads and parses a secrets file; throws PskFileError when it cannot be read or holds no valid line. */
export function readPskFile(path: string): PskEntry[] {
  let text: string;
  try {
    text = readFileSync(path, "latin1");
  } catch (error) {
    throw new PskFileError(`cannot read PSK file ${path}: ${(error as Error).message}`, { cause: error });
  }
  return parsePskSecrets(text, path);
}

/** Server TLS options that accept any identity of `entries` with its key, and refuse every other (no fallback). */
export function pskServerOptions(entries: readonly PskEntry[]): TlsOptions {
  const keys = new Map(entries.map((e) => [e.identity, e.key]));
  return {
    ciphers: PSK_CIPHERS,
    minVersion: "TLSv1.2",
    pskCallback: (_socket, identity) => keys.get(identity) ?? null,
  };
}

/** Client TLS options that present `entry` (a file's first line, by default, as stunnel's client does). */
export function pskClientOptions(entry: PskEntry): ConnectionOptions {
  return {
    ciphers: PSK_CIPHERS,
    minVersion: "TLSv1.2",
    checkServerIdentity: () => undefined,
    pskCallback: () => ({ identity: entry.identity, psk: entry.key }),
  };
}

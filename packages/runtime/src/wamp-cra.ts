/**
 * WAMP-CRA (challenge-response authentication, WAMP Advanced Profile): the router sends a CHALLENGE whose `challenge`
 * is a JSON text, the peer answers AUTHENTICATE with base64(HMAC-SHA256(key, challenge)). The key is the secret's
 * UTF-8 bytes, or, for a salted secret, the base64 text of PBKDF2-HMAC-SHA256(secret, salt, iterations, keylen) with
 * the parameters the CHALLENGE carries (what autobahn's `derive_key` computes). Secrets files use the PSK files'
 * `IDENTITY:KEY` form, one per line, the KEY taken as text (Beremiz keeps the runtime's WAMP secret in a file too).
 */
import { createHmac, pbkdf2Sync, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { PskFileError } from "./errors.js";

/** One WAMP-CRA principal: an authid and its secret. */
export interface WampSecret {
  authid: string;
  secret: string;
}

/** What the router knows of an authid: its secret (optionally salted, as the WAMP spec's PBKDF2 form) and role. */
export interface WampCraUser {
  /** The secret; with `salt`, the router signs with the key derived from it. */
  secret: string;
  /** PBKDF2 salt: the peer derives its key from its secret with these parameters (sent in the CHALLENGE). */
  salt?: string;
  /** PBKDF2 iterations; default 1000 (autobahn's default). */
  iterations?: number;
  /** PBKDF2 key length in bytes; default 32. */
  keylen?: number;
  /** The authrole WELCOME reports; default "user". */
  role?: string;
}

/** The key WAMP-CRA signs with: base64(PBKDF2-HMAC-SHA256(secret, salt, iterations, keylen)), autobahn's `derive_key`. */
export function wampCraDeriveKey(secret: string, salt: string, iterations = 1000, keylen = 32): string {
  return pbkdf2Sync(
    Buffer.from(secret, "utf8"),
    Buffer.from(salt, "utf8"),
    iterations,
    keylen,
    "sha256",
  ).toString("base64");
}

/** base64(HMAC-SHA256(key, challenge)), both taken as UTF-8 text. */
export function wampCraSign(key: string, challenge: string): string {
  return createHmac("sha256", Buffer.from(key, "utf8")).update(challenge, "utf8").digest("base64");
}

/** The AUTHENTICATE signature for a CHALLENGE's `extra` (`challenge`, and `salt`/`iterations`/`keylen` when salted). */
export function wampCraAnswer(secret: string, extra: Record<string, unknown>): string {
  const challenge = String(extra.challenge ?? "");
  const key =
    typeof extra.salt === "string"
      ? wampCraDeriveKey(
          secret,
          extra.salt,
          typeof extra.iterations === "number" ? extra.iterations : undefined,
          typeof extra.keylen === "number" ? extra.keylen : undefined,
        )
      : secret;
  return wampCraSign(key, challenge);
}

/** Compares two signatures in constant time. */
export function wampCraSame(a: string, b: string): boolean {
  const x = Buffer.from(a, "utf8");
  const y = Buffer.from(b, "utf8");
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Parses `IDENTITY:SECRET` lines (blank lines and `#` comments skipped); throws PskFileError naming the line. */
export function parseWampSecrets(text: string, source = "WAMP secrets file"): WampSecret[] {
  const out: WampSecret[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === "" || line.startsWith("#")) continue;
    const colon = line.indexOf(":");
    if (colon <= 0 || colon === line.length - 1)
      throw new PskFileError(`${source} line ${i + 1}: expected IDENTITY:SECRET`);
    out.push({ authid: line.slice(0, colon), secret: line.slice(colon + 1) });
  }
  if (out.length === 0) throw new PskFileError(`${source} holds no IDENTITY:SECRET line`);
  return out;
}

/** Reads and parses a WAMP secrets file; throws PskFileError when it cannot be read or holds no valid line. */
export function readWampSecretFile(path: string): WampSecret[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new PskFileError(`cannot read WAMP secrets file ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return parseWampSecrets(text, path);
}

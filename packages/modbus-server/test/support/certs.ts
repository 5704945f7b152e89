/** Test certificates for Modbus/TCP Security, minted with openssl in a temporary folder: a CA, a server and clients with roles. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface KeyPair {
  key: string;
  cert: string;
}

export interface TestPki {
  ca: string;
  server: KeyPair;
  /** Client certificates by name: `operator` (role Operator, UTF8String), `viewer` (role Viewer), `octet` (role Operator as an OCTET STRING), `none` (no role), `stranger` (role Operator, another CA). */
  clients: Record<"operator" | "viewer" | "octet" | "none" | "stranger", KeyPair>;
  /** The DER of each client certificate. */
  der: Record<"operator" | "viewer" | "octet" | "none" | "stranger", Uint8Array>;
  remove(): void;
}

const ROLE_OID = "1.3.6.1.4.1.50316.802.1";

export function mintPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), "modbus-tls-"));
  const run = (...args: string[]): void => {
    execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  };
  const key = (name: string): void =>
    run("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", `${name}.key`);
  const ca = (name: string): void => {
    key(name);
    run(
      "req",
      "-x509",
      "-new",
      "-key",
      `${name}.key`,
      "-out",
      `${name}.crt`,
      "-days",
      "2",
      "-subj",
      `/CN=${name}`,
    );
  };
  const issue = (name: string, caName: string, ext: string): void => {
    key(name);
    run("req", "-new", "-key", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${name}`);
    writeFileSync(join(dir, `${name}.ext`), ext);
    run(
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      `${caName}.crt`,
      "-CAkey",
      `${caName}.key`,
      "-CAcreateserial",
      "-out",
      `${name}.crt`,
      "-days",
      "2",
      "-extfile",
      `${name}.ext`,
    );
    run("x509", "-in", `${name}.crt`, "-outform", "DER", "-out", `${name}.der`);
  };
  ca("ca");
  ca("otherca");
  issue("server", "ca", "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\n");
  issue("operator", "ca", `${ROLE_OID}=ASN1:UTF8String:Operator\n`);
  issue("viewer", "ca", `${ROLE_OID}=ASN1:UTF8String:Viewer\n`);
  issue("octet", "ca", `${ROLE_OID}=ASN1:OCTETSTRING:Operator\n`);
  issue("none", "ca", "basicConstraints=CA:FALSE\n");
  issue("stranger", "otherca", `${ROLE_OID}=ASN1:UTF8String:Operator\n`);
  const read = (file: string): string => readFileSync(join(dir, file), "utf8");
  const pair = (name: string): KeyPair => ({ key: read(`${name}.key`), cert: read(`${name}.crt`) });
  const der = (name: string): Uint8Array => Uint8Array.from(readFileSync(join(dir, `${name}.der`)));
  const names = ["operator", "viewer", "octet", "none", "stranger"] as const;
  return {
    ca: read("ca.crt"),
    server: pair("server"),
    clients: Object.fromEntries(names.map((n) => [n, pair(n)])) as TestPki["clients"],
    der: Object.fromEntries(names.map((n) => [n, der(n)])) as TestPki["der"],
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

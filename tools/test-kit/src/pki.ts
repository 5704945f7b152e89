/**
 * Certificates for TLS tests, minted with the openssl CLI (Debian's `openssl`, which `.ci/run` installs) in a
 * temporary folder: CAs, certificates they sign with any extensions, the PEM and DER of each. P-256 keys, two days'
 * validity. The suites of Modbus/TCP Security, WAMPS and EtherNet/IP over TLS build their fixtures on it.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** One minted key and certificate: their PEM text, their files, and the certificate's DER. */
export interface MintedCert {
  readonly name: string;
  readonly key: string;
  readonly cert: string;
  readonly keyFile: string;
  readonly certFile: string;
  readonly der: Uint8Array;
}

/** The extension lines of a server certificate for this machine's loopback names. */
export const LOOPBACK_SAN = "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost";

const NEW_EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

/** A folder of test certificates; `remove()` deletes it. */
export class TestPki {
  readonly dir: string;

  constructor(prefix = "cpppo-pki-") {
    this.dir = mkdtempSync(join(tmpdir(), prefix));
  }

  /** A self-signed CA named `name` (files `name.key`, `name.pem`). */
  ca(name: string, subject = `/CN=cpppo test ${name}`): MintedCert {
    const files = ["-keyout", `${name}.key`, "-out", `${name}.pem`];
    this.openssl("req", "-x509", ...NEW_EC_KEY, ...files, "-days", "2", "-subj", subject);
    return this.read(name);
  }

  /**
   * A certificate for `name` signed by the CA `by`, carrying `extensions` (lines of an openssl extension file, e.g.
   * `LOOPBACK_SAN` or `1.3.6.1.4.1.50316.802.1=ASN1:UTF8String:Operator`; none when empty).
   */
  issue(name: string, by: string, extensions: readonly string[] = [], subject = `/CN=${name}`): MintedCert {
    this.openssl("req", ...NEW_EC_KEY, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", subject);
    const signed = ["x509", "-req", "-in", `${name}.csr`, "-CA", `${by}.pem`, "-CAkey", `${by}.key`];
    const extfile: string[] = [];
    if (extensions.length > 0) {
      writeFileSync(join(this.dir, `${name}.ext`), `${extensions.join("\n")}\n`);
      extfile.push("-extfile", `${name}.ext`);
    }
    this.openssl(...signed, "-CAcreateserial", "-out", `${name}.pem`, "-days", "2", ...extfile);
    return this.read(name);
  }

  /** Deletes the folder and everything minted in it. */
  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private read(name: string): MintedCert {
    const keyFile = join(this.dir, `${name}.key`);
    const certFile = join(this.dir, `${name}.pem`);
    const cert = readFileSync(certFile, "utf8");
    const base64 = cert.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, "");
    return {
      name,
      key: readFileSync(keyFile, "utf8"),
      cert,
      keyFile,
      certFile,
      der: Uint8Array.from(Buffer.from(base64, "base64")),
    };
  }

  private openssl(...args: string[]): void {
    execFileSync("openssl", args, { cwd: this.dir, stdio: ["ignore", "ignore", "pipe"], timeout: 30_000 });
  }
}

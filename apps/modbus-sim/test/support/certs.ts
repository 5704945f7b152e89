/**
 * Test certificates for Modbus/TCP Security, minted with the openssl CLI into a temporary folder: a CA, a server
 * certificate for 127.0.0.1, and client certificates carrying a role in extension 1.3.6.1.4.1.50316.802.1
 * (UTF8String, or OCTET STRING as one Java implementation writes it), plus one without any role.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The Modbus.org role extension's OID. */
export const ROLE_OID = "1.3.6.1.4.1.50316.802.1";

/** One client's PEM key and certificate (contents), and their files. */
export interface ClientCert {
  key: Buffer;
  cert: Buffer;
  keyFile: string;
  certFile: string;
}

/** The minted set; `remove()` deletes the folder. */
export interface TestPki {
  dir: string;
  caFile: string;
  ca: Buffer;
  serverCertFile: string;
  serverKeyFile: string;
  client: (name: string) => ClientCert;
  remove: () => void;
}

function openssl(args: string[], cwd: string): void {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"], timeout: 30_000 });
}

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

/**
 * Mints a CA, a server certificate (127.0.0.1, localhost), and one client certificate per entry of `clients`:
 * name → `{ role, encoding }` (no role: the extension is left out).
 */
export function mintPki(clients: Record<string, { role?: string; encoding?: "utf8" | "octet" }>): TestPki {
  const dir = mkdtempSync(join(tmpdir(), "modbus-sim-pki-"));
  openssl(
    [
      "req",
      "-x509",
      ...EC,
      "-keyout",
      "ca.key",
      "-out",
      "ca.pem",
      "-days",
      "2",
      "-subj",
      "/CN=modbus-sim test CA",
    ],
    dir,
  );
  writeFileSync(join(dir, "server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  openssl(["req", ...EC, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"], dir);
  openssl(
    [
      "x509",
      "-req",
      "-in",
      "server.csr",
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      "server.pem",
      "-days",
      "2",
      "-extfile",
      "server.ext",
    ],
    dir,
  );
  for (const [name, { role, encoding }] of Object.entries(clients)) {
    const ext =
      role === undefined
        ? []
        : [
            "-addext",
            encoding === "octet"
              ? `${ROLE_OID}=DER:${Buffer.from([0x04, role.length, ...Buffer.from(role, "utf8")]).toString("hex")}`
              : `${ROLE_OID}=ASN1:UTF8String:${role}`,
          ];
    openssl(
      ["req", ...EC, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${name}`, ...ext],
      dir,
    );
    openssl(
      [
        "x509",
        "-req",
        "-in",
        `${name}.csr`,
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        `${name}.pem`,
        "-days",
        "2",
        "-copy_extensions",
        "copyall",
      ],
      dir,
    );
  }
  return {
    dir,
    caFile: join(dir, "ca.pem"),
    ca: readFileSync(join(dir, "ca.pem")),
    serverCertFile: join(dir, "server.pem"),
    serverKeyFile: join(dir, "server.key"),
    client: (name) => ({
      key: readFileSync(join(dir, `${name}.key`)),
      cert: readFileSync(join(dir, `${name}.pem`)),
      keyFile: join(dir, `${name}.key`),
      certFile: join(dir, `${name}.pem`),
    }),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

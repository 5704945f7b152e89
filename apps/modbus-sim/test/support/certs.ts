/**
 * Test certificates for Modbus/TCP Security, minted with the openssl CLI into a temporary folder: a CA, a server
 * certificate for 127.0.0.1, and client certificates carrying a role in extension 1.3.6.1.4.1.50316.802.1
 * (UTF8String, or OCTET STRING as one Java implementation writes it), plus one without any role.
 */
import { LOOPBACK_SAN, type MintedCert, TestPki as Pki } from "@cpppo/test-kit";

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

/**
 * Mints a CA, a server certificate (127.0.0.1, localhost), and one client certificate per entry of `clients`:
 * name → `{ role, encoding }` (no role: the extension is left out).
 */
export function mintPki(clients: Record<string, { role?: string; encoding?: "utf8" | "octet" }>): TestPki {
  const pki = new Pki("modbus-sim-pki-");
  const ca = pki.ca("ca");
  const server = pki.issue("server", "ca", [LOOPBACK_SAN], "/CN=localhost");
  const minted = new Map<string, MintedCert>();
  for (const [name, { role, encoding }] of Object.entries(clients)) {
    const ext =
      role === undefined
        ? []
        : [
            encoding === "octet"
              ? `${ROLE_OID}=DER:${Buffer.from([0x04, role.length, ...Buffer.from(role, "utf8")]).toString("hex")}`
              : `${ROLE_OID}=ASN1:UTF8String:${role}`,
          ];
    minted.set(name, pki.issue(name, "ca", ext));
  }
  return {
    dir: pki.dir,
    caFile: ca.certFile,
    ca: Buffer.from(ca.cert),
    serverCertFile: server.certFile,
    serverKeyFile: server.keyFile,
    client: (name) => {
      const c = minted.get(name);
      if (c === undefined) throw new Error(`no client certificate "${name}" was minted`);
      return { key: Buffer.from(c.key), cert: Buffer.from(c.cert), keyFile: c.keyFile, certFile: c.certFile };
    },
    remove: () => pki.remove(),
  };
}

/** Test certificates for Modbus/TCP Security, minted with openssl in a temporary folder: a CA, a server and clients with roles. */
import { LOOPBACK_SAN, type MintedCert, TestPki as Pki } from "@cpppo/test-kit";

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
  const pki = new Pki("modbus-tls-");
  const ca = pki.ca("ca");
  pki.ca("otherca");
  const server = pki.issue("server", "ca", [LOOPBACK_SAN]);
  const clients = {
    operator: pki.issue("operator", "ca", [`${ROLE_OID}=ASN1:UTF8String:Operator`]),
    viewer: pki.issue("viewer", "ca", [`${ROLE_OID}=ASN1:UTF8String:Viewer`]),
    octet: pki.issue("octet", "ca", [`${ROLE_OID}=ASN1:OCTETSTRING:Operator`]),
    none: pki.issue("none", "ca", ["basicConstraints=CA:FALSE"]),
    stranger: pki.issue("stranger", "otherca", [`${ROLE_OID}=ASN1:UTF8String:Operator`]),
  };
  const pair = ({ key, cert }: MintedCert): KeyPair => ({ key, cert });
  const names = Object.keys(clients) as (keyof typeof clients)[];
  return {
    ca: ca.cert,
    server: pair(server),
    clients: Object.fromEntries(names.map((n) => [n, pair(clients[n])])) as TestPki["clients"],
    der: Object.fromEntries(names.map((n) => [n, clients[n].der])) as TestPki["der"],
    remove: () => pki.remove(),
  };
}

export { LOOPBACK_SAN, type MintedCert, TestPki } from "./pki.js";

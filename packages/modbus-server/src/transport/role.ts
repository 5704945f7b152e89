/**
 * The Modbus/TCP Security role of a client certificate: the extension with OID 1.3.6.1.4.1.50316.802.1 (PEN 50316,
 * Modbus Organization), whose value is a DER UTF8String (some implementations write an OCTET STRING; both are
 * read). A small bounds-checked DER walker: Certificate → tbsCertificate → [3] extensions → Extension.
 */

/** The role extension's OID, 1.3.6.1.4.1.50316.802.1, in its DER content bytes. */
export const ROLE_OID = "1.3.6.1.4.1.50316.802.1";

const TAG = {
  boolean: 0x01,
  octetString: 0x04,
  oid: 0x06,
  utf8String: 0x0c,
  sequence: 0x30,
  extensions: 0xa3,
};
/** Longest length field accepted: 4 bytes (a certificate is far smaller than 4 GiB). */
const MAX_LENGTH_BYTES = 4;

interface Tlv {
  tag: number;
  start: number;
  end: number;
}

/** The element at `at` (tag, content start and end) or undefined when it does not fit in `limit`. */
function tlv(der: Uint8Array, at: number, limit: number): Tlv | undefined {
  if (at + 2 > limit) return undefined;
  const tag = der[at] as number;
  if ((tag & 0x1f) === 0x1f) return undefined; // multi-byte tags never occur in these structures
  let length = der[at + 1] as number;
  let start = at + 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    if (n === 0 || n > MAX_LENGTH_BYTES || start + n > limit) return undefined;
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + (der[start + i] as number);
    start += n;
  }
  const end = start + length;
  return end > limit ? undefined : { tag, start, end };
}

/** The elements inside a constructed element. */
function children(der: Uint8Array, parent: Tlv): Tlv[] | undefined {
  const out: Tlv[] = [];
  for (let at = parent.start; at < parent.end; ) {
    const child = tlv(der, at, parent.end);
    if (child === undefined) return undefined;
    out.push(child);
    at = child.end;
  }
  return out;
}

/** A dotted OID from its DER content bytes. */
function oidText(der: Uint8Array, el: Tlv): string {
  const parts: number[] = [];
  let value = 0;
  for (let i = el.start; i < el.end; i++) {
    const byte = der[i] as number;
    value = value * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      if (parts.length === 0)
        parts.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
      else parts.push(value);
      value = 0;
    }
  }
  return parts.join(".");
}

/**
 * The role in a DER certificate's Modbus role extension: the text of its UTF8String or OCTET STRING, or undefined
 * when the certificate has no such extension or it cannot be read.
 */
export function certificateRole(der: Uint8Array): string | undefined {
  const cert = tlv(der, 0, der.length);
  if (cert?.tag !== TAG.sequence) return undefined;
  const tbs = children(der, cert)?.[0];
  if (tbs?.tag !== TAG.sequence) return undefined;
  const fields = children(der, tbs);
  const wrapper = fields?.find((f) => f.tag === TAG.extensions);
  if (wrapper === undefined) return undefined;
  const list = children(der, wrapper)?.[0];
  if (list?.tag !== TAG.sequence) return undefined;
  for (const ext of children(der, list) ?? []) {
    const parts = ext.tag === TAG.sequence ? children(der, ext) : undefined;
    const id = parts?.[0];
    if (parts === undefined || id?.tag !== TAG.oid || oidText(der, id) !== ROLE_OID) continue;
    const value = parts.find((p, i) => i > 0 && p.tag === TAG.octetString);
    if (value === undefined) return undefined;
    // extnValue holds the DER of the role: a UTF8String, or an OCTET STRING; bare text is read as it is.
    const inner = tlv(der, value.start, value.end);
    const text =
      inner !== undefined &&
      inner.end === value.end &&
      (inner.tag === TAG.utf8String || inner.tag === TAG.octetString)
        ? der.subarray(inner.start, inner.end)
        : der.subarray(value.start, value.end);
    return new TextDecoder("utf-8", { fatal: false }).decode(text);
  }
  return undefined;
}

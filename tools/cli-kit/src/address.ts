/** The `-a/--address` grammar every CLI shares: `[host][:port]`, with IPv6 hosts bracketed or bare. */

/** The host and port texts of an address; "" where the text names none. */
export interface AddressText {
  host: string;
  port: string;
}

/**
 * Splits `[host][:port]`, `[v6-host][:port]` or a bare IPv6 address (two or more colons) into its host and port
 * texts, trimmed; with `barePort` (default false) digits alone are a port, not a host. It checks nothing: the
 * caller validates each part and words its own errors.
 */
export function splitAddress(text: string, options: { barePort?: boolean } = {}): AddressText {
  const trimmed = text.trim();
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(trimmed);
  if (bracketed) return { host: bracketed[1] as string, port: bracketed[2] ?? "" };
  if ((trimmed.match(/:/g) ?? []).length > 1) return { host: trimmed, port: "" };
  if (options.barePort && /^\d+$/.test(trimmed)) return { host: "", port: trimmed };
  const colon = trimmed.indexOf(":");
  return colon < 0
    ? { host: trimmed, port: "" }
    : { host: trimmed.slice(0, colon), port: trimmed.slice(colon + 1) };
}

/** True when `value` holds a Uint8Array (a Buffer included) anywhere; walks own keys without allocating. */
export function hasBytes(value: unknown): boolean {
  if (value instanceof Uint8Array) return true;
  if (Array.isArray(value)) {
    for (const v of value) if (hasBytes(v)) return true;
    return false;
  }
  if (value !== null && typeof value === "object") {
    for (const k in value)
      if (Object.hasOwn(value, k) && hasBytes((value as Record<string, unknown>)[k])) return true;
  }
  return false;
}

/**
 * JSON rendered exactly as Python's `json.dumps` renders it with its defaults, the form cpppo writes into
 * history files: `", "` between items, `": "` after keys, every character outside printable ASCII escaped
 * as `\uXXXX`, floats as Python's `repr` (`1.0e-05` is `1e-05`, 1e16 is `1e+16`) and NaN/Infinity bare.
 */

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const NON_ASCII = /[\u007f-\uffff]/g;

function escapeCodeUnit(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

/** A string as a Python JSON string literal (ASCII only). */
export function pyJsonString(s: string): string {
  // Most strings (tag names, keys) are printable ASCII without a quote or backslash: quote them as they are.
  let plain = s.length < 64;
  for (let i = 0; plain && i < s.length; i++) {
    const c = s.charCodeAt(i);
    plain = c >= 0x20 && c <= 0x7e && c !== 0x22 && c !== 0x5c;
  }
  if (plain) return `"${s}"`;
  const quoted = JSON.stringify(s);
  return PRINTABLE_ASCII.test(s) ? quoted : quoted.replace(NON_ASCII, escapeCodeUnit);
}

// Object keys repeat from record to record ("write", "40001"): their rendering is kept, up to a bound.
const KEYS = new Map<string, string>();

function renderedKey(key: string): string {
  let out = KEYS.get(key);
  if (out === undefined) {
    out = pyJsonString(key);
    if (KEYS.size >= 4096) KEYS.clear();
    KEYS.set(key, out);
  }
  return out;
}

/**
 * A number as Python renders it: a safe integer as an `int`, anything else as `repr(float)` (shortest
 * round-trip digits, positional for decimal exponents −4…15, else `d.ddde±XX`).
 */
export function pyJsonNumber(n: number): string {
  if (Number.isSafeInteger(n)) return n === 0 && 1 / n < 0 ? "-0.0" : `${n}`;
  if (Number.isNaN(n)) return "NaN";
  if (!Number.isFinite(n)) return n > 0 ? "Infinity" : "-Infinity";
  const abs = Math.abs(n);
  if (abs >= 1e-4 && abs < 1e15 && !Number.isInteger(n)) return `${n}`;
  const [mantissa = "", exponentText = "0"] = abs.toExponential().split("e");
  const exponent = Number(exponentText);
  const sign = n < 0 ? "-" : "";
  if (exponent < -4 || exponent >= 16) {
    const e = Math.abs(exponent);
    return `${sign}${mantissa}e${exponent < 0 ? "-" : "+"}${e < 10 ? "0" : ""}${e}`;
  }
  const digits = mantissa.replace(".", "");
  if (exponent >= digits.length - 1) return `${sign}${digits}${"0".repeat(exponent - digits.length + 1)}.0`;
  if (exponent >= 0) return `${sign}${digits.slice(0, exponent + 1)}.${digits.slice(exponent + 1)}`;
  return `${sign}0.${"0".repeat(-exponent - 1)}${digits}`;
}

/**
 * Renders `value` as Python's `json.dumps(value)` does by default. Objects keep their key order (as a
 * Python dict keeps insertion order; note that JavaScript orders integer-like keys first), `undefined`
 * properties are left out and `undefined` array items are `null`, a `toJSON` method is honoured, and a
 * bigint is an integer.
 */
export function pyJson(value: unknown): string {
  switch (typeof value) {
    case "number":
      return pyJsonNumber(value);
    case "string":
      return pyJsonString(value);
    case "boolean":
      return value ? "true" : "false";
    case "bigint":
      return value.toString();
    case "object": {
      if (value === null) return "null";
      if (Array.isArray(value)) {
        if (value.length === 0) return "[]";
        let out = "[";
        for (let i = 0; i < value.length; i++) {
          const item = value[i];
          if (i > 0) out += ", ";
          if (typeof item === "number" && Number.isSafeInteger(item) && item !== 0) out += item;
          else out += item === undefined || typeof item === "function" ? "null" : pyJson(item);
        }
        return `${out}]`;
      }
      const withJson = value as { toJSON?: () => unknown };
      if (typeof withJson.toJSON === "function") return pyJson(withJson.toJSON());
      let out = "{";
      let first = true;
      for (const key of Object.keys(value)) {
        const item = (value as Record<string, unknown>)[key];
        if (item === undefined || typeof item === "function" || typeof item === "symbol") continue;
        out += `${first ? "" : ", "}${renderedKey(key)}: ${pyJson(item)}`;
        first = false;
      }
      return `${out}}`;
    }
    default:
      return "null";
  }
}

/** How the CLIs print values and times: as cpppo (Python) prints them, or as one line of JSON. */

/** How `pyRepr` quotes strings: "repr" as Python's `repr` does, "'" always in single quotes. */
export type PyQuote = "repr" | "'";

/**
 * What Python's `repr` escapes (not `str.isprintable()`): controls, C1 controls such as the 8-bit CSI 0x9B, format
 * characters, surrogates, private use, unassigned code points and separators other than the ASCII space.
 */
const NOT_PRINTABLE = /^[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]$/u;

/** A Python string literal for `text`: quoted as `repr` quotes it, or always in single quotes with `quote` "'". */
function pyString(text: string, quote: PyQuote): string {
  const q = quote === "'" ? "'" : text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = q;
  for (const ch of text) {
    const c = ch.codePointAt(0) as number;
    if (ch === "\\" || ch === q) out += `\\${ch}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if ((c < 0x20 || c >= 0x7f) && NOT_PRINTABLE.test(ch))
      out +=
        c < 0x100
          ? `\\x${c.toString(16).padStart(2, "0")}`
          : c < 0x10000
            ? `\\u${c.toString(16).padStart(4, "0")}`
            : `\\U${c.toString(16).padStart(8, "0")}`;
    else out += ch;
  }
  return out + q;
}

/**
 * A float as Python's `repr` prints it: the shortest digits that read back the same (as JavaScript finds them), in
 * fixed notation for exponents -4..15 (`1.0`, `0.0001`, `1e+16` is not), else `1e-05`, `1.5e+20`; `inf`, `nan`.
 */
function pyFloat(n: number): string {
  if (Number.isNaN(n)) return "nan";
  if (!Number.isFinite(n)) return n > 0 ? "inf" : "-inf";
  if (Object.is(n, -0)) return "-0.0";
  const [mantissa, exp] = n.toExponential().split("e") as [string, string];
  const exponent = Number(exp);
  if (exponent >= -4 && exponent < 16) {
    // JavaScript writes these in fixed notation too (it switches only below 1e-6 and from 1e21).
    const fixed = String(n);
    return Number.isInteger(n) ? `${fixed}.0` : fixed;
  }
  const digits = String(Math.abs(exponent)).padStart(2, "0");
  return `${mantissa}e${exponent < 0 ? "-" : "+"}${digits}`;
}

/**
 * `value` as Python's `repr` would print it (cpppo prints values with `%r`): None, True, 99, 1.5, 'text', [1, 2],
 * {'a': 1}; byte arrays print as lists. `floats` (default false) prints every number as a float (REAL data);
 * `quote` (default "repr") picks how strings are quoted.
 */
export function pyRepr(value: unknown, floats = false, quote: PyQuote = "repr"): string {
  if (value === undefined || value === null) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "number")
    return floats ? pyFloat(value) : Number.isInteger(value) ? String(value) : pyFloat(value);
  if (typeof value === "bigint") return String(value);
  if (typeof value === "string") return pyString(value, quote);
  if (value instanceof Uint8Array) return `[${Array.from(value).join(", ")}]`;
  if (Array.isArray(value)) return `[${value.map((v) => pyRepr(v, floats, quote)).join(", ")}]`;
  if (typeof value === "object")
    return `{${Object.entries(value)
      .map(([k, v]) => `${pyString(k, quote)}: ${pyRepr(v, floats, quote)}`)
      .join(", ")}}`;
  return String(value);
}

/** JSON text of `value` on one line, with bigints as strings of their digits and byte arrays as lists. */
export function jsonLine(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    typeof v === "bigint" ? v.toString() : v instanceof Uint8Array ? Array.from(v) : v,
  );
}

const pad2 = (n: number): string => String(n).padStart(2, "0");

/** `YYYY-MM-DD HH:MM:SS.mmm` in UTC (default now): cpppo's timestamp text. */
export function timestamp(date = new Date()): string {
  return date.toISOString().replace("T", " ").replace("Z", "");
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** Local time (default now) as Python's `time.ctime()`: `Tue Nov  4 09:04:32 2026`. */
export function ctime(date = new Date()): string {
  const day = String(date.getDate()).padStart(2, " ");
  const time = `${pad2(date.getHours())}:${pad2(date.getMinutes())}:${pad2(date.getSeconds())}`;
  return `${DAYS[date.getDay()]} ${MONTHS[date.getMonth()]} ${day} ${time} ${date.getFullYear()}`;
}

/**
 * Calendar arithmetic in UTC without `Date`: epoch seconds ↔ civil fields, and the fast
 * `YYYY-MM-DD HH:MM:SS.mmm` rendering of history records (rounded as cpppo rounds).
 */

const PAD2: string[] = Array.from({ length: 100 }, (_, i) => (i < 10 ? `0${i}` : `${i}`));
const POW10 = [1, 10, 100, 1000, 10000, 100000, 1000000];
const ZEROS = ["", "0", "00", "000", "0000", "00000", "000000"];

/** Days since 1970-01-01 of a proleptic Gregorian date (month 1–12). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Days in a month of a year (month 1–12). */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Renders whole epoch seconds as `YYYY-MM-DD HH:MM:SS` (UTC). */
export function formatWholeSeconds(seconds: number): string {
  const days = Math.floor(seconds / 86400);
  let sod = seconds - days * 86400;
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const hour = Math.floor(sod / 3600);
  sod -= hour * 3600;
  const minute = Math.floor(sod / 60);
  const second = sod - minute * 60;
  const yyyy =
    year >= 1000 && year <= 9999
      ? `${year}`
      : year < 0
        ? `-${String(-year).padStart(4, "0")}`
        : String(year).padStart(4, "0");
  return `${yyyy}-${PAD2[month]}-${PAD2[day]} ${PAD2[hour]}:${PAD2[minute]}:${PAD2[second]}`;
}

/**
 * Renders epoch seconds with `digits` (0–6) sub-second digits, shifted by `offset` seconds first (a zone's
 * UTC offset). Like cpppo, the value is rounded to `digits` places before the fields are computed (so
 * 1399326141.999836 gives `…:22.000` at 3 digits), and truncated when `digits` is 0.
 */
export function formatShifted(epochSeconds: number, digits: number, offset: number): string {
  if (digits === 0) return formatWholeSeconds(Math.floor(epochSeconds) + offset);
  const scale = POW10[digits] as number;
  const n = roundScaled(epochSeconds, scale);
  const whole = Math.floor(n / scale);
  const frac = `${n - whole * scale}`;
  return `${formatWholeSeconds(whole + offset)}.${ZEROS[digits - frac.length]}${frac}`;
}

/**
 * Rounds `value * scale` to an integer as Python's `round(value, digits)` does: by the exact value of the double,
 * and a tie (only values such as `x.0625` at 3 digits are exactly halfway) to the even neighbour.
 */
export function roundScaled(value: number, scale: number): number {
  const x = value * scale;
  const n = Math.round(x);
  if (n - x !== 0.5) return n; // not on a (rounded) half: Math.round is right
  // x may be a half only because the product was rounded: Dekker's exact product error says which side it was on.
  const err = productError(value, scale, x);
  if (err > 0) return n;
  if (err < 0) return n - 1;
  return n % 2 === 0 ? n : n - 1;
}

const SPLIT = 134217729; // 2^27 + 1, Veltkamp's splitter for doubles

/** The exact rounding error of the product `p = a * b` (Dekker's TwoProduct): a*b - p, exactly. */
function productError(a: number, b: number, p: number): number {
  let c = SPLIT * a;
  const ah = c - (c - a);
  const al = a - ah;
  c = SPLIT * b;
  const bh = c - (c - b);
  const bl = b - bh;
  return ah * bh - p + ah * bl + al * bh + al * bl;
}

/** Checks a sub-second precision: an integer 0–6. */
export function validDigits(digits: number): boolean {
  return Number.isInteger(digits) && digits >= 0 && digits <= 6;
}

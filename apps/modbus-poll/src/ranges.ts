/**
 * modbus-poll's register ranges, cpppo's `<begin>[-<end>][=<val>[,<val>...]]` in 1-based addresses: the values
 * (decimal or 0x hex) repeat to fill the range, `<begin>=a,b,c` ends after its values, no value means poll only.
 */
import { UsageError } from "@cpppo/cli-kit";
import { isBitAddress, merge, wireAddressOf } from "@cpppo/modbus-poller";

/** One range from the command line: `count` addresses from `begin`, and the values to write first (if any). */
export interface PollSpec {
  begin: number;
  count: number;
  values: number[] | undefined;
}

const RANGE = /^(\d+)(?:-(\d+))?(?:=(.+))?$/;

function parseValue(text: string, whole: string): number {
  const t = text.trim();
  const v = /^0x[0-9a-f]+$/i.test(t) ? Number.parseInt(t, 16) : /^\d+$/.test(t) ? Number(t) : Number.NaN;
  if (!Number.isInteger(v) || v > 0xffff)
    throw new UsageError(`${whole}: "${text}" is not a value 0-65535 (or 0x hex)`);
  return v;
}

/** The range `text` means; throws a one-line UsageError for anything else. */
export function parsePollSpec(text: string): PollSpec {
  const m = RANGE.exec(text.trim());
  if (!m) throw new UsageError(`"${text}" is not a register range: <begin>[-<end>][=<val>[,<val>...]]`);
  const begin = Number(m[1]);
  const given = m[3] === undefined ? undefined : m[3].split(",").map((v) => parseValue(v, text));
  const end = m[2] !== undefined ? Number(m[2]) : begin + (given ? given.length : 1) - 1;
  if (end < begin) throw new UsageError(`${text}: the range ends before it begins`);
  const first = wireAddressOf(begin);
  const last = wireAddressOf(end);
  if (!first || !last || first.table !== last.table || last.offset - first.offset !== end - begin)
    throw new UsageError(
      `${text}: not a range of Modbus addresses within one table (e.g. 40001-40100, 1-16, 30001)`,
    );
  const count = end - begin + 1;
  let values: number[] | undefined;
  if (given) {
    if (first.table !== "coils" && first.table !== "holdingRegisters")
      throw new UsageError(`${text}: only coils and holding registers can be written`);
    if (isBitAddress(begin) && given.some((v) => v > 1)) throw new UsageError(`${text}: a coil is 0 or 1`);
    values = Array.from({ length: count }, (_, i) => given[i % given.length] as number);
  }
  return { begin, count, values };
}

/** The writes a range with values makes, cpppo's way: one per merged block (≤123 registers / 1968 coils), FC6/FC5 for one value. */
export function writesOf(spec: PollSpec): Array<{ address: number; value: number | number[] }> {
  if (!spec.values) return [];
  const out: Array<{ address: number; value: number | number[] }> = [];
  for (const [address, count] of merge([[spec.begin, spec.count]])) {
    const slice = spec.values.slice(address - spec.begin, address - spec.begin + count);
    out.push({ address, value: count === 1 ? (slice[0] as number) : slice });
  }
  return out;
}

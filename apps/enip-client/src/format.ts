/**
 * cpppo 5.2.5's printed forms, which scripts parse: the per-operation line of `enip_client -p`, the path text of
 * `format_path`, the dotted-key block of `enip_format` for List Identity/Services/Interfaces replies, and the
 * `<Command> NN from ('ip', port): ` prefix of those replies.
 */
import { type CpfItem, type EPath, encodeCpfBytes } from "@cpppo/cip-codec";
import { pyRepr } from "@cpppo/cli-kit";
import type { Operation, OperationResult } from "@cpppo/enip-client";

const REAL = 0xca;
const LREAL = 0xcb;

/**
 * A path as cpppo's `format_path` prints it: symbolic names joined with ".", or `@0x0002/1/1` (class in 4 hex
 * digits), followed by `[element]` when the path has an element segment (only the last one counts, as in cpppo).
 */
export function cpppoPath(path: EPath): string {
  let symbolic = "";
  const numeric: string[] = [];
  let element: number | undefined;
  for (const s of path) {
    if ("symbolic" in s) symbolic += (symbolic ? "." : "") + s.symbolic;
    else if ("class" in s && numeric.length === 0)
      numeric.push(`0x${s.class.toString(16).toUpperCase().padStart(4, "0")}`);
    else if ("instance" in s && numeric.length === 1) numeric.push(String(s.instance));
    else if ("attribute" in s && numeric.length === 2) numeric.push(String(s.attribute));
    else if ("element" in s) element = Number(s.element);
    else numeric.push(JSON.stringify(s));
  }
  const text = symbolic !== "" ? symbolic : `@${numeric.join("/")}`;
  return element === undefined ? text : `${text}[${element}]`;
}

/** The element of the path's last segment, when it is an element segment (cpppo's array form), else undefined. */
function lastElement(path: EPath): number | undefined {
  const last = path[path.length - 1];
  return last !== undefined && "element" in last ? Number(last.element) : undefined;
}

/** cpppo's result text: `'OK'` for status 0, else `Status N ` and the extended status words as a list. */
export function cpppoStatus(status: number, extStatus: readonly number[]): string {
  return status === 0 ? "OK" : `Status ${status} ${extStatus.length > 0 ? pyRepr(extStatus) : ""}`;
}

/** True when the values print as Python floats: REAL or LREAL data (read) or a REAL/LREAL write. */
function floatValues(op: Operation, result: OperationResult): boolean {
  if (op.method === "write") return op.tagType === REAL || op.tagType === LREAL;
  const type = (result.reply as { type?: unknown }).type;
  return type === REAL || type === LREAL;
}

/**
 * The value cpppo's `validate` shows for an operation: a write shows the values it sent (whether it succeeded or
 * not), a read its values (None on failure), others their result.
 */
export function shownValue(op: Operation | undefined, result: OperationResult): unknown {
  if (op?.method === "write") return op.values;
  return result.ok ? result.value : undefined;
}

/**
 * cpppo's line for one operation (`client.validate`): `"%20s[%3d-%-3d]+%3d %s %r: %r"` for a path ending in an
 * element (the name printed with its first index, e.g. `SCADA[1][  1-1  ]+  0 <= [99]: 'OK'`), else
 * `"%20s              %s %r: %r"`. A Read Tag Fragmented reply counts the elements it brought (so a partial one
 * shows how far it got, with `'Status 6 '`); other reads and writes count the requested range.
 */
export function operationLine(op: Operation | undefined, result: OperationResult): string {
  const write = op?.method === "write" || op?.method === "setAttributeSingle";
  const value = shownValue(op, result);
  const floats = op !== undefined && floatValues(op, result);
  const tail = `${write ? "<=" : "=="} ${pyRepr(value, floats)}: ${pyRepr(cpppoStatus(result.status, result.extStatus))}`;
  if (op === undefined) return `${result.description.padStart(20)}              ${tail}`;
  const tag = cpppoPath(op.path);
  const element = lastElement(op.path);
  if (element === undefined) return `${tag.padStart(20)}              ${tail}`;
  let offset = 0;
  let count = 1;
  if (op.method === "read") {
    count = op.elements ?? 1;
    if (result.reply.kind === "readTagFragmented" && Array.isArray(value)) {
      offset = op.offset ?? 0;
      count = value.length;
    }
  } else if (op.method === "write") {
    offset = op.offset ?? 0;
    count = op.elements;
  }
  const first = String(element).padStart(3);
  const last = String(element + count - 1).padEnd(3);
  return `${tag.padStart(20)}[${first}-${last}]+${String(offset).padStart(3)} ${tail}`;
}

/** `Name NN from ('ip', port): `: cpppo's prefix of a List Identity/Services/Interfaces or legacy reply. */
export function replyPrefix(name: string, index: number, host: string, port: number): string {
  return `${name} ${String(index).padStart(2)} from (${pyRepr(host)}, ${port}): `;
}

/** One key and value of a dotted-key block, in cpppo's order. */
export type DottedPair = readonly [key: string, value: unknown];

/** The fields of one CPF item under its cpppo parser's name, in the order cpppo parses them. */
function itemFields(item: CpfItem): DottedPair[] {
  switch (item.kind) {
    case "listIdentity": {
      const o = "identity_object";
      const fields: DottedPair[] = [
        [`${o}.version`, item.protocolVersion],
        [`${o}.sin_family`, item.socketAddress.family],
        [`${o}.sin_port`, item.socketAddress.port],
        [`${o}.sin_addr`, item.socketAddress.address],
        [`${o}.vendor_id`, item.vendorId],
        [`${o}.device_type`, item.deviceType],
        [`${o}.product_code`, item.productCode],
        // One UINT on the wire: the major revision in the low byte, the minor in the high byte.
        [`${o}.product_revision`, item.revisionMajor | (item.revisionMinor << 8)],
        [`${o}.status_word`, item.status],
        [`${o}.serial_number`, item.serialNumber],
        [`${o}.product_name`, item.productName],
        [`${o}.state`, item.state],
      ];
      if (item.extra !== undefined) fields.push([`${o}.extra`, item.extra]);
      return fields;
    }
    case "listServices":
      return [
        ["communications_service.version", item.version],
        ["communications_service.capability", item.capabilityFlags],
        ["communications_service.service_name", item.name],
      ];
    case "legacyReply":
      return [
        ["legacy_CPF_0x0001.version", item.version],
        ["legacy_CPF_0x0001.unknown_1", item.reserved],
        ["legacy_CPF_0x0001.sin_family", item.socketAddress.family],
        ["legacy_CPF_0x0001.sin_port", item.socketAddress.port],
        ["legacy_CPF_0x0001.sin_addr", item.socketAddress.address],
        ["legacy_CPF_0x0001.ip_address", item.ipString],
      ];
    case "raw":
      return item.data.length > 0 ? [["input", item.data]] : [];
    default:
      return [];
  }
}

/**
 * The CPF of a reply as cpppo's dotted keys: `count`, then per item `item[i].type_id`, `item[i].length` and the
 * fields of its parser (e.g. `item[0].identity_object.product_name`).
 */
export function cpfPairs(items: readonly CpfItem[]): DottedPair[] {
  const pairs: DottedPair[] = [["count", items.length]];
  items.forEach((item, i) => {
    // The item as encoded (count, then type id and length, little-endian): its header as the device sent it.
    const bytes = encodeCpfBytes([item]);
    pairs.push([`item[${i}].type_id`, (bytes[2] as number) | ((bytes[3] as number) << 8)]);
    pairs.push([`item[${i}].length`, (bytes[4] as number) | ((bytes[5] as number) << 8)]);
    for (const [key, value] of itemFields(item)) pairs.push([`item[${i}].${key}`, value]);
  });
  return pairs;
}

/**
 * cpppo's `enip_format` of dotted pairs: `{`, then per key `    'key': ` padded to 32 columns and the value's repr
 * with a comma, then `}` on its own line. Byte strings print as lists of their values.
 */
export function dottedBlock(pairs: readonly DottedPair[]): string {
  let out = "{";
  for (const [key, value] of pairs) out += `\n    ${`${pyRepr(key)}: `.padEnd(32)}${pyRepr(value)},`;
  return `${out}\n}`;
}

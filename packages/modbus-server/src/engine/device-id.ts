/**
 * Read Device Identification (FC 43, MEI type 14): which objects a request gets, and whether more follow. Objects
 * 0…2 are basic, 3…6 regular, 0x80…0xFF extended (Modbus Application Protocol v1.1b3 §6.21).
 */
import { InvalidArgumentError } from "../core/errors.js";

/** The device identification objects the simulator serves: object id → text (latin-1) or bytes. */
export type DeviceIdentification = Record<number, string | Uint8Array> | Map<number, string | Uint8Array>;

/** The default objects: VendorName, ProductCode, MajorMinorRevision (the three mandatory basic objects). */
export const DEFAULT_DEVICE_IDENTIFICATION: Readonly<Record<number, string>> = {
  0: "cpppo",
  1: "modbus-sim",
  2: "1.0",
};

/** Largest PDU: 253 bytes; an FC 43/14 reply spends 7 of them before its objects, and 2 per object on id and length. */
const MAX_PDU = 253;
const REPLY_HEADER = 7;
const OBJECT_HEADER = 2;
const BASIC_LAST = 0x02;
const REGULAR_LAST = 0x06;
const EXTENDED_FIRST = 0x80;
const MAX_OBJECT_ID = 0xff;

/** Read Device ID codes: 1 basic stream, 2 regular stream, 3 extended stream, 4 one object. */
const CODE = { basic: 1, regular: 2, extended: 3, individual: 4 } as const;

/** The objects sorted by id, as bytes; checks the three basic objects are present. */
export function deviceObjects(source: DeviceIdentification | undefined): Map<number, Uint8Array> {
  const entries =
    source === undefined
      ? Object.entries(DEFAULT_DEVICE_IDENTIFICATION)
      : source instanceof Map
        ? [...source.entries()]
        : Object.entries(source);
  const out = new Map<number, Uint8Array>();
  for (const [key, value] of entries.map(([k, v]) => [Number(k), v] as const).sort((a, b) => a[0] - b[0])) {
    if (!Number.isInteger(key) || key < 0 || key > MAX_OBJECT_ID)
      throw new InvalidArgumentError(`"deviceIdentification" object ids must be 0 to 255, got ${key}`);
    const bytes = typeof value === "string" ? Uint8Array.from(Buffer.from(value, "latin1")) : value;
    if (!(bytes instanceof Uint8Array) || bytes.length > MAX_PDU - REPLY_HEADER - OBJECT_HEADER)
      throw new InvalidArgumentError(
        `"deviceIdentification" object ${key} must be a string or Uint8Array of at most ${MAX_PDU - REPLY_HEADER - OBJECT_HEADER} bytes`,
      );
    out.set(key, bytes);
  }
  for (let id = 0; id <= BASIC_LAST; id++)
    if (!out.has(id))
      throw new InvalidArgumentError(
        `"deviceIdentification" must hold objects 0, 1 and 2 (VendorName, ProductCode, MajorMinorRevision); ${id} is missing`,
      );
  return out;
}

/** What an FC 43/14 request gets: its objects, or undefined for exception 02 (an unknown object asked individually). */
export interface DeviceIdReply {
  conformityLevel: number;
  moreFollows: boolean;
  nextObjectId: number;
  objects: { id: number; value: Uint8Array }[];
}

/** Answers a Read Device Identification request from `objects`; undefined means exception 02. */
export function readDeviceId(
  objects: Map<number, Uint8Array>,
  readDeviceIdCode: number,
  objectId: number,
): DeviceIdReply | undefined {
  let extended = false;
  let regular = false;
  for (const id of objects.keys()) {
    if (id >= EXTENDED_FIRST) extended = true;
    else if (id > BASIC_LAST) regular = true;
  }
  // 0x80 | level: individual access is supported at every level.
  const conformityLevel = 0x80 | (extended ? CODE.extended : regular ? CODE.regular : CODE.basic);
  if (readDeviceIdCode === CODE.individual) {
    const value = objects.get(objectId);
    if (value === undefined) return undefined;
    return { conformityLevel, moreFollows: false, nextObjectId: 0, objects: [{ id: objectId, value }] };
  }
  const last =
    readDeviceIdCode === CODE.basic
      ? BASIC_LAST
      : readDeviceIdCode === CODE.regular
        ? REGULAR_LAST
        : MAX_OBJECT_ID;
  const first = readDeviceIdCode === CODE.extended ? EXTENDED_FIRST : 0;
  // An object id outside the stream asked for restarts it at its first object (spec §6.21).
  let start = objectId;
  if (start < first || start > last || !objects.has(start)) start = first;
  const out: { id: number; value: Uint8Array }[] = [];
  let size = REPLY_HEADER;
  for (const [id, value] of objects) {
    if (id < start || id > last) continue;
    if (size + OBJECT_HEADER + value.length > MAX_PDU)
      return { conformityLevel, moreFollows: true, nextObjectId: id, objects: out };
    size += OBJECT_HEADER + value.length;
    out.push({ id, value });
  }
  return { conformityLevel, moreFollows: false, nextObjectId: 0, objects: out };
}

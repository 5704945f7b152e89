/** Attribute and generic services on any object: Get Attribute Single/All/List, Set Attribute Single, any service. */
import {
  type AnyCipType,
  type AttributeResult,
  type CipReply,
  decodeValues,
  type EPath,
  encodeValues,
  getAttributeListRequest,
  getAttributeSingleRequest,
  getAttributesAllRequest,
  readModifyWriteTagRequest,
  setAttributeSingleRequest,
} from "@cpppo/cip-codec";
import { InvalidArgumentError } from "../core/errors.js";
import { type CipResult, type RequestOptions, resultOf } from "../core/result.js";
import type { RequestPort } from "./port.js";

/** Highest service code a request may carry: 0x80 and above are replies. */
const MAX_REQUEST_SERVICE = 0x7f;

/** The raw data of a reply (empty when it carries none). */
export function replyData(reply: CipReply): Uint8Array {
  return "data" in reply && reply.data instanceof Uint8Array ? reply.data : new Uint8Array(0);
}

/** Raw reply data, decoded as `type` when given. */
function dataValue(reply: CipReply, type: AnyCipType | undefined): Uint8Array | unknown[] {
  const data = replyData(reply);
  return type ? decodeValues(type, data) : data;
}

/** Read Modify Write Tag: sets the bits of `orMask`, clears the bits clear in `andMask` (masks of equal length). */
export async function readModifyWrite(
  port: RequestPort,
  tag: EPath,
  masks: { orMask: Uint8Array | number[]; andMask: Uint8Array | number[] },
  options: RequestOptions,
): Promise<CipResult<true>> {
  const reply = await port.request(
    readModifyWriteTagRequest(tag, Uint8Array.from(masks.orMask), Uint8Array.from(masks.andMask)),
    options,
  );
  return resultOf(reply, true as const);
}

/** Get Attribute Single: the attribute's raw bytes, or its values decoded as `type` when given. */
export async function getAttributeSingle(
  port: RequestPort,
  path: EPath,
  options: RequestOptions & { type?: AnyCipType },
): Promise<CipResult<Uint8Array | unknown[]>> {
  const reply = await port.request(getAttributeSingleRequest(path), options);
  return resultOf(reply, dataValue(reply, options.type));
}

/** Get Attributes All: the instance's attributes as raw bytes, or decoded as `type` when given. */
export async function getAttributesAll(
  port: RequestPort,
  path: EPath,
  options: RequestOptions & { type?: AnyCipType },
): Promise<CipResult<Uint8Array | unknown[]>> {
  const reply = await port.request(getAttributesAllRequest(path), options);
  return resultOf(reply, dataValue(reply, options.type));
}

/** Get Attribute List of `attributes`; `sizes` (bytes per attribute id) split the values, the last takes the rest. */
export async function getAttributeList(
  port: RequestPort,
  path: EPath,
  attributes: number[],
  options: RequestOptions & { sizes?: Record<number, number> },
): Promise<CipResult<AttributeResult[]>> {
  const sizes = options.sizes ?? {};
  const reply = await port.request(getAttributeListRequest(path, attributes), {
    ...options,
    decode: { attributeSize: (id) => sizes[id] },
  });
  return reply.kind === "getAttributeList" && reply.attributes !== undefined
    ? resultOf(reply, reply.attributes)
    : resultOf(reply);
}

/** Set Attribute Single with raw `data`, or `values` encoded as `type`. */
export async function setAttributeSingle(
  port: RequestPort,
  path: EPath,
  data: Uint8Array | { type: AnyCipType; values: unknown[] },
  options: RequestOptions,
): Promise<CipResult<true>> {
  const bytes = data instanceof Uint8Array ? data : encodeValues(data.type, data.values);
  const reply = await port.request(setAttributeSingleRequest(path, bytes), options);
  return resultOf(reply, true as const);
}

/** Any service `code` on `path` with raw request `data`; the value is the reply's raw data. */
export async function service(
  port: RequestPort,
  code: number,
  path: EPath,
  data: Uint8Array,
  options: RequestOptions,
): Promise<CipResult<Uint8Array>> {
  if (!Number.isInteger(code) || code < 0 || code > MAX_REQUEST_SERVICE)
    throw new InvalidArgumentError(`"code" must be a service code in 0..0x7f, got ${code}`);
  const reply = await port.request({ kind: "generic", service: code, path, data }, options);
  return resultOf(reply, replyData(reply));
}

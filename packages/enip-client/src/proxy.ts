/**
 * Typed attribute reads by name (cpppo §3.3 `proxy` and its PARAMETERS): "identity" is Get Attributes All of
 * `@1/1` decoded as an Identity, "product_name" is `@1/1/7` as a SHORT_STRING, "tcpip" the TCP/IP Interface
 * `@0xF5/1`, and so on. Devices add their own parameters (e.g. a drive's "Output Current" at `@0x93/7/10`, REAL).
 */
import {
  type AnyCipType,
  decodeIdentityBytes,
  decodeInterfaceConfiguration,
  decodeTcpIpInterfaceBytes,
  decodeValues,
  type EPath,
  PADDED_STRING,
  Reader,
  SSTRING,
  UDINT,
  UINT,
} from "@cpppo/cip-codec";
import { type EnipClient, toPath } from "./client.js";
import { InvalidArgumentError, ProtocolError } from "./core/errors.js";
import type { CipResult, RequestOptions } from "./core/result.js";

/** How to read one named parameter: where, with which service, and how to decode the bytes. */
export interface AttributeParameter {
  /** `@class/instance[/attribute]`; a path ending at an instance is read with Get Attributes All. */
  path: string | EPath;
  /** Decodes the reply data: a function, one type (a single value), or a list of types read in turn. */
  decode: ((data: Uint8Array) => unknown) | AnyCipType | AnyCipType[];
  /** Units of the value, for display. */
  units?: string;
}

function single(type: AnyCipType): (data: Uint8Array) => unknown {
  return (data) => decodeValues(type, data, 1)[0];
}

/** The built-in parameters (cpppo's defaults): identity, its attributes, and the TCP/IP Interface. */
export const PARAMETERS: Readonly<Record<string, AttributeParameter>> = {
  identity: { path: "@1/1", decode: decodeIdentityBytes },
  vendor_id: { path: "@1/1/1", decode: UINT },
  device_type: { path: "@1/1/2", decode: UINT },
  product_code: { path: "@1/1/3", decode: UINT },
  revision: { path: "@1/1/4", decode: (d) => ({ major: d[0], minor: d[1] }) },
  status: { path: "@1/1/5", decode: UINT },
  serial_number: { path: "@1/1/6", decode: UDINT },
  product_name: { path: "@1/1/7", decode: SSTRING },
  tcpip: { path: "@0xF5/1", decode: (d) => decodeTcpIpInterfaceBytes(d) },
  interface_configuration: { path: "@0xF5/1/5", decode: (d) => decodeInterfaceConfiguration(new Reader(d)) },
  host_name: { path: "@0xF5/1/6", decode: PADDED_STRING },
};

/** cpppo's parameter substitution: "Output Current" → "output_current" (lower case, runs of non-alphanumerics → "_"). */
export function parameterName(text: string): string {
  return text
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_|_$/g, "");
}

function decoderOf(p: AttributeParameter): (data: Uint8Array) => unknown {
  const d = p.decode;
  if (typeof d === "function") return d;
  if (Array.isArray(d))
    return (data) => {
      const r = new Reader(data);
      return d.map((t) => t.decode(r));
    };
  return single(d);
}

function endsAtInstance(path: EPath): boolean {
  const last = path[path.length - 1];
  return last !== undefined && "instance" in last;
}

/** A named attribute value and the status it came with. */
export type ParameterResult = CipResult<unknown> & {
  /** The parameter's name as looked up. */
  name: string;
  units?: string;
};

/**
 * Reads attributes by name over `client`: built-in `PARAMETERS` plus `parameters` of the device's own. Names are
 * substituted as cpppo does ("Product Name" → product_name).
 */
export class AttributeProxy {
  readonly parameters: Record<string, AttributeParameter>;

  constructor(
    readonly client: EnipClient,
    parameters: Record<string, AttributeParameter> = {},
  ) {
    this.parameters = { ...PARAMETERS };
    for (const [name, p] of Object.entries(parameters)) this.parameters[parameterName(name)] = p;
  }

  /** The parameter called `name` (after substitution); throws `InvalidArgumentError` naming the known ones. */
  parameter(name: string): AttributeParameter {
    const p = this.parameters[parameterName(name)];
    if (p === undefined)
      throw new InvalidArgumentError(
        `unknown parameter "${name}"; known: ${Object.keys(this.parameters).sort().join(", ")}`,
      );
    return p;
  }

  /** Reads every parameter in `names` (all in flight at once) and resolves with their results in order. */
  read(names: readonly string[], options: RequestOptions = {}): Promise<ParameterResult[]> {
    return Promise.all(names.map((name) => this.readOne(name, options)));
  }

  private async readOne(name: string, options: RequestOptions): Promise<ParameterResult> {
    const p = this.parameter(name);
    const path = toPath(p.path);
    const r = endsAtInstance(path)
      ? await this.client.getAttributesAll(path, options)
      : await this.client.getAttributeSingle(path, options);
    let value: unknown;
    if (r.ok) {
      try {
        value = decoderOf(p)(r.value as Uint8Array);
      } catch (error) {
        throw new ProtocolError(`parameter "${name}": cannot decode ${(error as Error).message}`, {
          cause: error,
        });
      }
    }
    const out: ParameterResult = r.ok ? { ...r, value, name } : { ...r, name };
    if (p.units !== undefined) out.units = p.units;
    return out;
  }
}

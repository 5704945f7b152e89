/** Connector URIs, as Beremiz spells them: `LOCAL://`, `PYRO://host[:port]`, `PYROS://host[:port]#ID`, `WAMP[S]://host:port[/path]#realm#ID`. */
import { ConnectorUriError } from "./errors.js";
import { DEFAULT_RPC_PORT } from "./rpc.js";

/** A parsed connector URI. */
export type ConnectorUri =
  | { scheme: "LOCAL" }
  | { scheme: "PYRO"; host: string; port: number }
  | { scheme: "PYROS"; host: string; port: number; id: string }
  | { scheme: "WAMP" | "WAMPS"; host: string; port: number; path: string; realm: string; id: string };

/** The realm Beremiz's runtime joins. */
export const DEFAULT_REALM = "Automation";

function hostPort(
  text: string,
  uri: string,
  defaultPort: number | undefined,
): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:/[\]]+)(?::(\d+))?$/.exec(text);
  if (!m) throw new ConnectorUriError(`${JSON.stringify(uri)}: expected host[:port] after the scheme`);
  const host = (m[1] as string).replace(/^\[|\]$/g, "");
  if (m[2] === undefined && defaultPort === undefined)
    throw new ConnectorUriError(`${JSON.stringify(uri)}: needs a port`);
  const port = m[2] === undefined ? (defaultPort as number) : Number(m[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new ConnectorUriError(`${JSON.stringify(uri)}: the port must be 1…65535`);
  return { host, port };
}

/** Parses a connector URI (scheme case-insensitive); throws ConnectorUriError saying what is wrong. */
export function parseConnectorUri(uri: string): ConnectorUri {
  const m = /^([A-Za-z]+):\/\/(.*)$/.exec(uri.trim());
  if (!m) throw new ConnectorUriError(`${JSON.stringify(uri)} is not a connector URI (SCHEME://…)`);
  const scheme = (m[1] as string).toUpperCase();
  const rest = m[2] as string;
  const [address = "", ...fragments] = rest.split("#");
  switch (scheme) {
    case "LOCAL":
      if (rest !== "") throw new ConnectorUriError(`${JSON.stringify(uri)}: LOCAL:// takes nothing after it`);
      return { scheme };
    case "PYRO":
      if (fragments.length > 0)
        throw new ConnectorUriError(`${JSON.stringify(uri)}: PYRO:// takes no #ID (use PYROS://)`);
      return { scheme, ...hostPort(address, uri, DEFAULT_RPC_PORT) };
    case "PYROS":
      if (fragments.length !== 1 || fragments[0] === "")
        throw new ConnectorUriError(`${JSON.stringify(uri)}: PYROS:// needs #ID (PYROS://host[:port]#ID)`);
      return { scheme, ...hostPort(address, uri, DEFAULT_RPC_PORT), id: fragments[0] as string };
    case "WAMP":
    case "WAMPS": {
      const slash = address.indexOf("/");
      const where = slash < 0 ? address : address.slice(0, slash);
      const path = slash < 0 ? "/" : address.slice(slash);
      if (fragments.length !== 2 || fragments.some((f) => f === ""))
        throw new ConnectorUriError(`${JSON.stringify(uri)}: expected ${scheme}://host:port[/path]#realm#ID`);
      return {
        scheme,
        ...hostPort(where, uri, undefined),
        path,
        realm: fragments[0] as string,
        id: fragments[1] as string,
      };
    }
    default:
      throw new ConnectorUriError(
        `${JSON.stringify(uri)}: unknown scheme ${scheme} (LOCAL, PYRO, PYROS, WAMP, WAMPS)`,
      );
  }
}

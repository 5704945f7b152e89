/** The TCP and TLS (Modbus/TCP Security) listeners: accept, admit under the cap, and hand each socket to a StreamConnection. */
import { type AddressInfo, createServer, type Server, type Socket } from "node:net";
import { createServer as createTlsServer, type TLSSocket } from "node:tls";
import { type ConnectionEvent, connectionChannel } from "../core/diagnostics.js";
import { InvalidArgumentError } from "../core/errors.js";
import type { RequestContext } from "../engine/engine.js";
import type { Hub } from "./hub.js";
import { certificateRole } from "./role.js";
import { StreamConnection } from "./stream-connection.js";

/** Options of `ModbusServer.listenTcp`. */
export interface TcpListenOptions {
  /** Address to bind; defaults to "0.0.0.0" ("::" for every IPv6 and IPv4 interface). */
  host?: string;
  /** Port to bind; defaults to 502; 0 picks a free port. */
  port?: number;
  /** Aborting closes this listener and its connections, as its `close()` does. */
  signal?: AbortSignal;
}

/** Options of `ModbusServer.listenTls`: TLS ≥ 1.2 with mutual X.509 authentication. */
export interface TlsListenOptions extends TcpListenOptions {
  /** The server's private key (PEM). */
  key: string | Buffer;
  /** The server's certificate (PEM). */
  cert: string | Buffer;
  /** The CA certificate(s) client certificates must chain to (PEM). */
  ca: string | Buffer | (string | Buffer)[];
  /**
   * Role → the function codes it may use, or "*" for all. The role is read from the client certificate's
   * extension 1.3.6.1.4.1.50316.802.1; a request outside its role's list, or from a certificate with no role or an
   * unlisted one, gets exception 01 (Illegal Function).
   */
  roles: Readonly<Record<string, readonly number[] | "*">>;
}

/** A bound listener. */
export interface Listener {
  /** The bound address. */
  readonly host: string;
  /** The bound port. */
  readonly port: number;
  /** "IPv4" or "IPv6". */
  readonly family: string;
  /** Stops accepting, answers the requests already received, and closes this listener's connections; those still open after `deadlineMs` (default `closeTimeout`, 2 s) are destroyed. */
  close(options?: { deadlineMs?: number }): Promise<void>;
}

export const DEFAULT_TCP_PORT = 502;
export const DEFAULT_TLS_PORT = 802;

export function checkListenOptions(options: TcpListenOptions): void {
  if (typeof options !== "object" || options === null)
    throw new InvalidArgumentError('"options" must be an object');
  if (options.host !== undefined && (typeof options.host !== "string" || options.host === ""))
    throw new InvalidArgumentError('"host" must be an address such as "0.0.0.0", "127.0.0.1" or "::1"');
  if (
    options.port !== undefined &&
    (!Number.isInteger(options.port) || options.port < 0 || options.port > 0xffff)
  )
    throw new InvalidArgumentError(`"port" must be an integer from 0 to 65535, got ${options.port}`);
}

export function checkTlsOptions(options: TlsListenOptions): void {
  checkListenOptions(options);
  for (const name of ["key", "cert", "ca"] as const)
    if (options[name] === undefined)
      throw new InvalidArgumentError(`"${name}" is required for Modbus/TCP Security (PEM)`);
  const roles = options.roles;
  if (typeof roles !== "object" || roles === null)
    throw new InvalidArgumentError(
      '"roles" must map each role to its function codes or "*", e.g. { Operator: [3] }',
    );
  for (const [role, codes] of Object.entries(roles))
    if (
      codes !== "*" &&
      (!Array.isArray(codes) || codes.some((c) => !Number.isInteger(c) || c < 1 || c > 127))
    )
      throw new InvalidArgumentError(`"roles.${role}" must be "*" or a list of function codes 1 to 127`);
}

/** Whether a role may use each function code: a set per role, or every code for "*". */
function authorizer(roles: TlsListenOptions["roles"], role: string | undefined): (fc: number) => boolean {
  const codes = role === undefined || !Object.hasOwn(roles, role) ? undefined : roles[role];
  if (codes === "*") return () => true;
  const allowed = new Set(codes ?? []);
  return (fc) => allowed.has(fc);
}

/** Binds `server` and returns the Listener that closes it and its connections. */
async function bind(
  server: Server,
  options: TcpListenOptions,
  defaultPort: number,
  connections: Set<StreamConnection>,
  hub: Hub,
): Promise<Listener> {
  options.signal?.throwIfAborted();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: options.host ?? "0.0.0.0", port: options.port ?? defaultPort }, () => {
      server.off("error", reject);
      server.on("error", () => undefined);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  // Every accepted socket, served or not yet (a TLS handshake in progress): the deadline destroys them all.
  const sockets = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  let closing: Promise<void> | undefined;
  const close = ({ deadlineMs = hub.closeTimeoutMs }: { deadlineMs?: number } = {}): Promise<void> => {
    closing ??= (async () => {
      options.signal?.removeEventListener("abort", onAbort);
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      const timer = setTimeout(() => {
        for (const c of connections) c.destroy();
        for (const socket of sockets) socket.destroy();
      }, deadlineMs);
      timer.unref();
      for (const c of connections) c.end();
      await Promise.all([...connections].map((c) => c.closed));
      await stopped;
      clearTimeout(timer);
    })();
    return closing;
  };
  const onAbort = (): void => void close();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  return { host: bound.address, port: bound.port, family: bound.family, close };
}

/** Hands an accepted socket to a new StreamConnection of `connections`, or closes it at the cap. */
function accept(
  socket: Socket,
  hub: Hub,
  connections: Set<StreamConnection>,
  context?: RequestContext,
): void {
  if (!hub.admit()) {
    socket.destroy();
    return;
  }
  const connection = new StreamConnection(socket, hub, context);
  connections.add(connection);
  const peer = connection.context.peer ?? "";
  if (connectionChannel.hasSubscribers) {
    const open: ConnectionEvent = { event: "open", peer };
    if (context?.role !== undefined) open.role = context.role;
    connectionChannel.publish(open);
  }
  void connection.closed.then(() => {
    connections.delete(connection);
    if (connectionChannel.hasSubscribers)
      connectionChannel.publish({ event: "close", peer } satisfies ConnectionEvent);
  });
}

/** Listens for Modbus/TCP. */
export function listenTcp(hub: Hub, options: TcpListenOptions, accepting: () => boolean): Promise<Listener> {
  checkListenOptions(options);
  const connections = new Set<StreamConnection>();
  const server = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
    if (!accepting()) socket.destroy();
    else accept(socket, hub, connections);
  });
  return bind(server, options, DEFAULT_TCP_PORT, connections, hub);
}

/** Listens for Modbus/TCP Security: TLS ≥ 1.2, a client certificate required, requests authorised by its role. */
export function listenTls(hub: Hub, options: TlsListenOptions, accepting: () => boolean): Promise<Listener> {
  checkTlsOptions(options);
  const connections = new Set<StreamConnection>();
  const roles = { ...options.roles };
  const server = createTlsServer(
    {
      key: options.key,
      cert: options.cert,
      ca: options.ca,
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: "TLSv1.2",
      // No half-open TLS: a peer that leaves during the handshake would otherwise hold its socket open for good.
      handshakeTimeout: Math.max(1000, hub.partialTimeoutMs || 10_000),
    },
    (socket: TLSSocket) => {
      if (!accepting()) {
        socket.destroy();
        return;
      }
      const raw = socket.getPeerX509Certificate()?.raw;
      const role = raw === undefined ? undefined : certificateRole(raw);
      const context: RequestContext = { allowed: authorizer(roles, role) };
      if (role !== undefined) context.role = role;
      accept(socket, hub, connections, context);
    },
  );
  server.on("tlsClientError", () => undefined);
  return bind(server, options, DEFAULT_TLS_PORT, connections, hub);
}

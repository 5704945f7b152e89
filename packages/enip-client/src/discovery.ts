/**
 * Discovery: ListIdentity (or ListServices) over UDP, unicast to one device or broadcast to a subnet, collecting
 * every reply that arrives before the timeout. No session is needed; each reply names the device that sent it.
 */
import { createSocket } from "node:dgram";
import {
  type CpfItem,
  decodeEncapsulation,
  EncapsulationCommand,
  encodeEncapsulation,
  type ListIdentityItem,
  type ListServicesItem,
} from "@cpppo/cip-codec";
import { addAbortListener } from "./core/abort.js";
import { clientChannel } from "./core/diagnostics.js";
import { AbortError, InvalidArgumentError } from "./core/errors.js";

/** Options of `discover`. */
export interface DiscoverOptions {
  /** Where to send: a device's address (unicast) or a broadcast address; defaults to "255.255.255.255". */
  host?: string;
  /** UDP port; defaults to 44818. */
  port?: number;
  /** Milliseconds to collect replies; defaults to 1000. */
  timeout?: number;
  /** Stop once this many devices answered; defaults to no limit (collect until the timeout). */
  limit?: number;
  /** Local address to send from (an interface), e.g. "192.168.1.10"; defaults to any. */
  bindAddress?: string;
  /** ListIdentity (default) or ListServices. */
  command?: "listIdentity" | "listServices";
  /** Aborting stops collecting and resolves with the replies so far. */
  signal?: AbortSignal;
}

/** One reply: who sent it and its items (a `listIdentity` item for ListIdentity). */
export interface DiscoveredDevice {
  /** The replying device's IP address. */
  address: string;
  /** The UDP port it replied from. */
  port: number;
  /** The identity item of a ListIdentity reply (absent for ListServices or an empty reply). */
  identity?: ListIdentityItem;
  /** The service items of a ListServices reply. */
  services?: ListServicesItem[];
  /** Every item of the reply. */
  items: CpfItem[];
}

/**
 * Sends one ListIdentity (or ListServices) datagram and resolves with every reply received within `timeout`
 * (default 1000 ms), in arrival order; broadcast is enabled so a broadcast address reaches the whole subnet.
 * Datagrams that are not valid replies are skipped (and reported on the `cpppo:enip:client` channel).
 */
export function discover(options: DiscoverOptions = {}): Promise<DiscoveredDevice[]> {
  const host = options.host ?? "255.255.255.255";
  const port = options.port ?? 44818;
  const timeout = options.timeout ?? 1000;
  const command = options.command ?? "listIdentity";
  if (!(timeout > 0))
    throw new InvalidArgumentError(`"timeout" must be a positive number of milliseconds, got ${timeout}`);
  if (options.limit !== undefined && !(options.limit >= 1))
    throw new InvalidArgumentError(`"limit" must be at least 1, got ${options.limit}`);
  const signal = options.signal;
  if (signal?.aborted) return Promise.reject(new AbortError("discovery aborted", { cause: signal.reason }));
  const context = new Uint8Array(8);
  for (let i = 0; i < 8; i++) context[i] = (Math.random() * 256) | 0;
  const frame = encodeEncapsulation({ header: { senderContext: context }, body: { command } });
  const expected = EncapsulationCommand.codes[command];
  return new Promise<DiscoveredDevice[]>((resolve, reject) => {
    const found: DiscoveredDevice[] = [];
    const socket = createSocket({ type: host.includes(":") ? "udp6" : "udp4" });
    let done = false;
    const finish = (error?: Error): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      disposeAbort();
      socket.close();
      if (error) reject(error);
      else resolve(found);
    };
    const timer = setTimeout(() => finish(), timeout);
    const disposeAbort = addAbortListener(signal, () => finish());
    socket.on("error", (error) => finish(error));
    socket.on("message", (message, rinfo) => {
      try {
        const bytes = new Uint8Array(message.buffer, message.byteOffset, message.length);
        const reply = decodeEncapsulation(bytes);
        if (reply.header.command !== expected || reply.header.status !== 0) return;
        for (let i = 0; i < 8; i++) if (reply.header.senderContext[i] !== context[i]) return;
        const items = "cpf" in reply.body && reply.body.cpf !== undefined ? reply.body.cpf : [];
        const device: DiscoveredDevice = { address: rinfo.address, port: rinfo.port, items };
        const identity = items.find((item): item is ListIdentityItem => item.kind === "listIdentity");
        if (identity) device.identity = identity;
        const services = items.filter((item): item is ListServicesItem => item.kind === "listServices");
        if (services.length > 0) device.services = services;
        found.push(device);
        if (options.limit !== undefined && found.length >= options.limit) finish();
      } catch (error) {
        clientChannel.publish({ event: "discardedDatagram", from: rinfo.address, error });
      }
    });
    socket.bind({ address: options.bindAddress, port: 0 }, () => {
      try {
        socket.setBroadcast(true);
      } catch {
        // Some sockets (IPv6) have no broadcast; unicast still works.
      }
      socket.send(frame, port, host, (error) => {
        if (error) finish(error);
      });
    });
  });
}

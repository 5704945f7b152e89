/**
 * The UDP socket: binds it, and answers the List commands, NOP, and SendRRData (unconnected messaging, as cpppo
 * serves it over UDP: no session, the request's session handle echoed); other commands get 0x0001.
 */
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from "node:dgram";
import { decodeEncapsulation, ENCAPSULATION_HEADER_SIZE, type EncapsulationFrame } from "@cpppo/cip-codec";
import { type RequestEvent, requestChannel } from "../core/diagnostics.js";
import type { Engine } from "./engine.js";
import { advertisedAddress, listReply } from "./list-services.js";
import type { TcpConnection } from "./tcp-connection.js";
import { sendRRData } from "./unconnected.js";
import { isPromise, type Outcome, STATUS, statusReply, u16 } from "./wire.js";

/**
 * What unconnected messaging needs of a peer, for one datagram: the session handle to echo and the execution
 * context. A datagram has no TCP connection (and no class 3 connections: a Forward Open over UDP fails).
 */
function datagramPeer(session: number, remote: RemoteInfo): TcpConnection {
  const peer = { session, context: { peer: `${remote.address}:${remote.port}`, connected: false } };
  return peer as unknown as TcpConnection;
}

/** Handles one UDP datagram: the List commands, NOP and SendRRData are served; others get 0x0001. */
function handleUdp(engine: Engine, datagram: Uint8Array, remote: RemoteInfo): Outcome | Promise<Outcome> {
  if (datagram.length < ENCAPSULATION_HEADER_SIZE) return undefined;
  if (ENCAPSULATION_HEADER_SIZE + u16(datagram, 2) !== datagram.length) return undefined;
  let frame: EncapsulationFrame;
  try {
    frame = decodeEncapsulation(datagram);
  } catch {
    return undefined;
  }
  switch (frame.body.command) {
    case "nop":
      return undefined;
    case "listIdentity":
    case "listServices":
    case "listInterfaces":
    case "legacy":
      return listReply(engine.controller, frame, advertisedAddress(engine, undefined));
    case "sendRRData":
      return sendRRData(engine, datagramPeer(frame.header.session, remote), frame, frame.body.cpf, datagram);
    default:
      return statusReply(datagram, STATUS.invalidCommand);
  }
}

/**
 * Binds a UDP socket to `host`:`port` whose datagrams `engine` answers while `serving()` holds. Rejects with
 * the socket error (e.g. EADDRINUSE) when the address cannot be bound.
 */
export function bindUdp(
  engine: Engine,
  host: string,
  port: number,
  serving: () => boolean,
): Promise<UdpSocket> {
  const socket = createSocket({ type: host.includes(":") ? "udp6" : "udp4" });
  socket.on("message", (message: Buffer, remote: RemoteInfo) => {
    if (serving()) onDatagram(engine, socket, message, remote);
  });
  return new Promise<UdpSocket>((resolve, reject) => {
    socket.once("error", (error) => {
      socket.close();
      reject(error);
    });
    socket.bind({ port, address: host }, () => {
      socket.removeAllListeners("error");
      socket.on("error", () => undefined);
      resolve(socket);
    });
  });
}

/** Closes `socket` (if any); resolves once it is closed. */
export function closeUdp(socket: UdpSocket | undefined): Promise<void> {
  if (socket === undefined) return Promise.resolve();
  return new Promise<void>((resolve) => socket.close(() => resolve()));
}

function onDatagram(engine: Engine, socket: UdpSocket, message: Buffer, remote: RemoteInfo): void {
  let outcome: Outcome | Promise<Outcome>;
  try {
    outcome = handleUdp(engine, message, remote);
  } catch {
    return;
  }
  if (isPromise(outcome))
    outcome.then(
      (settled) => answer(socket, message, remote, settled),
      () => undefined,
    );
  else answer(socket, message, remote, outcome);
}

function answer(socket: UdpSocket, message: Buffer, remote: RemoteInfo, outcome: Outcome): void {
  const reply = outcome instanceof Uint8Array ? outcome : outcome?.reply;
  if (reply !== undefined) socket.send(reply, remote.port, remote.address, () => undefined);
  if (requestChannel.hasSubscribers && message.length >= ENCAPSULATION_HEADER_SIZE) {
    const event: RequestEvent = {
      id: "udp",
      peer: `${remote.address}:${remote.port}`,
      command: u16(message, 0),
      request: message,
      reply,
    };
    requestChannel.publish(event);
  }
}

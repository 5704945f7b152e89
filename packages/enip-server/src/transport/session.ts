/** The session commands: RegisterSession gives a TCP connection its one session handle, UnRegisterSession ends it. */
import { type EncapsulationFrame, encodeEncapsulation } from "@cpppo/cip-codec";
import type { TcpConnection } from "./tcp-connection.js";
import { CLOSE, ENCAPSULATION_VERSION, type Outcome, STATUS, statusReply } from "./wire.js";

export function registerSession(
  connection: TcpConnection,
  decoded: EncapsulationFrame,
  frame: Uint8Array,
): Outcome {
  const body = decoded.body;
  if (body.command !== "registerSession") return statusReply(frame, STATUS.incorrectData);
  const senderContext = decoded.header.senderContext;
  if (body.protocolVersion !== ENCAPSULATION_VERSION || body.optionFlags !== 0)
    return encodeEncapsulation({
      header: { status: STATUS.unsupportedProtocolRevision, senderContext },
      body: { command: "registerSession", protocolVersion: ENCAPSULATION_VERSION, optionFlags: 0 },
    });
  // One session per TCP connection, as OpENer and Logix enforce.
  if (connection.session !== 0) return statusReply(frame, STATUS.invalidCommand, connection.session);
  let handle = 0;
  while (handle === 0) handle = (Math.random() * 0x100000000) >>> 0;
  connection.session = handle;
  return encodeEncapsulation({
    header: { session: handle, senderContext },
    body: { command: "registerSession", protocolVersion: ENCAPSULATION_VERSION, optionFlags: 0 },
  });
}

/** Closes the connection when `session` is its session; any other handle gets 0x0064. */
export function unRegisterSession(connection: TcpConnection, session: number, frame: Uint8Array): Outcome {
  if (connection.session !== 0 && session === connection.session) return CLOSE;
  return statusReply(frame, STATUS.invalidSessionHandle);
}

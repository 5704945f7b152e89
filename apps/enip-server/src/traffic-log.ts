/**
 * The simulator's traffic log, in cpppo's forms where cpppo has one: at -v (NORMAL) each connection
 * ("EtherNet/IP Server enip_60592 begins serving peer ('127.0.0.1', 60592)"), each disconnection
 * ("enip_60592 done; processed   3 requests over    96 bytes/   96 received (0 connections remain)") and each
 * error reply; at -vv (DETAIL) each request and its reply ("enip_60592 recv:    40: …", "enip_60592 send: …").
 * It listens on the server's diagnostics channels, so a server run without -v pays nothing.
 */
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import {
  type CipRequest,
  decodeEnipMessage,
  describeStatus,
  EncapsulationCommand,
  EncapsulationStatus,
  formatEPath,
  serviceName,
} from "@cpppo/cip-codec";
import type { Log } from "@cpppo/cli-kit";
import type { RequestEvent, SessionEvent } from "@cpppo/enip-server";

const SESSION_CHANNEL = "cpppo:enip:session";
const REQUEST_CHANNEL = "cpppo:enip:request";
const SEND_RR_DATA = 0x006f;
const SEND_UNIT_DATA = 0x0070;
const PARTIAL_TRANSFER = 0x06;

const hex = (v: number, digits: number) => `0x${v.toString(16).padStart(digits, "0")}`;

/** "SendRRData" for 0x006F: the command's name with a capital, or its code. */
function commandName(command: number): string {
  const name = EncapsulationCommand.nameOf(command);
  return name ? name[0]?.toUpperCase() + name.slice(1) : `command ${hex(command, 4)}`;
}

/** cpppo's connection name: "enip_<peer port>", or "enip_UDP". */
function connectionName(id: string, peer: string): string {
  return id === "udp" ? "enip_UDP" : `enip_${peer.slice(peer.lastIndexOf(":") + 1)}`;
}

/** cpppo's peer address, a Python tuple: ('127.0.0.1', 60592). */
function pythonPeer(peer: string): string {
  const colon = peer.lastIndexOf(":");
  return `('${peer.slice(0, colon)}', ${peer.slice(colon + 1)})`;
}

/** What a request asks, e.g. "SendRRData Read Tag SCADA[1]" (the CIP request of a SendRRData/SendUnitData). */
function describeRequest(frame: Uint8Array): string {
  const command = frame.length >= 2 ? (frame[0] as number) | ((frame[1] as number) << 8) : -1;
  const name = commandName(command);
  if (command !== SEND_RR_DATA && command !== SEND_UNIT_DATA) return name;
  try {
    let cip = decodeEnipMessage(frame).cip as (CipRequest & { message?: CipRequest }) | undefined;
    if (cip?.kind === "unconnectedSend" && cip.message) cip = cip.message;
    if (!cip) return name;
    const path = "path" in cip && Array.isArray(cip.path) ? ` ${formatEPath(cip.path)}` : "";
    return `${name} ${serviceName(cip.service)}${path}`;
  } catch {
    return `${name} (undecodable)`;
  }
}

/** The status a reply frame carries: the encapsulation status, else the CIP reply's service and statuses. */
interface ReplyStatus {
  encapsulation: number;
  service?: number;
  general?: number;
  ext?: number[];
}

function replyStatus(frame: Uint8Array): ReplyStatus {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.length);
  if (frame.length < 24) return { encapsulation: -1 };
  const encapsulation = view.getUint32(8, true);
  const command = view.getUint16(0, true);
  if (encapsulation !== 0 || (command !== SEND_RR_DATA && command !== SEND_UNIT_DATA))
    return { encapsulation };
  let at = 30;
  if (at + 2 > frame.length) return { encapsulation };
  const count = view.getUint16(at, true);
  at += 2;
  for (let i = 0; i < count && at + 4 <= frame.length; i++) {
    const type = view.getUint16(at, true);
    const length = view.getUint16(at + 2, true);
    at += 4;
    if (type === 0xb1 || type === 0xb2) {
      const start = at + (type === 0xb1 ? 2 : 0);
      if (start + 4 > at + length || at + length > frame.length) return { encapsulation };
      const words = frame[start + 3] as number;
      const ext: number[] = [];
      for (let w = 0; w < words && start + 6 + w * 2 <= frame.length; w++)
        ext.push(view.getUint16(start + 4 + w * 2, true));
      return { encapsulation, service: frame[start] as number, general: frame[start + 2] as number, ext };
    }
    at += length;
  }
  return { encapsulation };
}

/** The status alone: "EtherNet/IP status 0x0065 (…)" or the CIP general and extended status. */
function statusText(status: ReplyStatus): string {
  if (status.encapsulation !== 0)
    return `EtherNet/IP status ${hex(status.encapsulation, 4)} (${EncapsulationStatus.describe(status.encapsulation)})`;
  return status.general === undefined ? "status 0x0000" : describeStatus(status.general, status.ext);
}

/** A reply: "Read Tag reply: Success (0x00)", or the command and its status. */
function describeReply(status: ReplyStatus, command: number): string {
  if (status.encapsulation !== 0 || status.service === undefined)
    return `${commandName(command)}, ${statusText(status)}`;
  return `${serviceName(status.service)}: ${statusText(status)}`;
}

const isError = (s: ReplyStatus) =>
  s.encapsulation !== 0 || (s.general !== undefined && s.general !== 0 && s.general !== PARTIAL_TRANSFER);

/** Counts cpppo's "done; processed …" line reports for one connection. */
interface Stats {
  requests: number;
  bytes: number;
}

/**
 * Logs the traffic of the server whose TCP address is `server` ("ip:port") to `log`, at the levels `log` has
 * enabled; returns the function that stops logging. Nothing is subscribed below NORMAL.
 */
export function logTraffic(log: Log, server: string): () => void {
  if (!log.enabled("NORMAL")) return () => {};
  const detail = log.enabled("DETAIL");
  const connections = new Map<string, Stats>();
  const onSession = (message: unknown) => {
    const m = message as SessionEvent;
    if (m.server !== server) return;
    const name = connectionName(m.id, m.peer);
    if (m.event === "open") {
      connections.set(m.id, { requests: 0, bytes: 0 });
      log.write("NORMAL", `EtherNet/IP Server ${name} begins serving peer ${pythonPeer(m.peer)}`);
      return;
    }
    const stats = connections.get(m.id) ?? { requests: 0, bytes: 0 };
    connections.delete(m.id);
    const plural = (n: number) => (n === 1 ? " " : "s");
    log.write(
      "NORMAL",
      `${name} done; processed ${String(stats.requests).padStart(3)} request${plural(stats.requests)} over ${String(stats.bytes).padStart(5)} byte${plural(stats.bytes)}/${String(stats.bytes).padStart(5)} received (${connections.size} connections remain)`,
    );
  };
  const onRequest = (message: unknown) => {
    const m = message as RequestEvent;
    const stats = connections.get(m.id);
    if (!stats && m.id !== "udp") return;
    if (stats) {
      stats.requests++;
      stats.bytes += m.request.length;
    }
    const status = m.reply ? replyStatus(m.reply) : undefined;
    const error = status !== undefined && isError(status);
    // Decoding the request costs: at -v only an error reply's request is described.
    if (!detail && !error) return;
    const name = connectionName(m.id, m.peer);
    const command = m.request.length >= 2 ? (m.request[0] as number) | ((m.request[1] as number) << 8) : -1;
    const what = describeRequest(m.request);
    if (detail) {
      log.write("DETAIL", `${name} recv: ${String(m.request.length).padStart(5)}: ${what}`);
      const sent = m.reply && status ? describeReply(status, command) : "no reply";
      log.write("DETAIL", `${name} send: ${String(m.reply?.length ?? 0).padStart(5)}: ${sent}`);
    }
    if (error) log.write("NORMAL", `${name} error reply to ${what}: ${statusText(status)}`);
  };
  subscribe(SESSION_CHANNEL, onSession);
  subscribe(REQUEST_CHANNEL, onRequest);
  return () => {
    unsubscribe(SESSION_CHANNEL, onSession);
    unsubscribe(REQUEST_CHANNEL, onRequest);
  };
}

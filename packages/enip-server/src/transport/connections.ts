/** Connected messaging: Forward Open / Large Forward Open / Forward Close, the class 3 connection table, and SendUnitData. */
import {
  type CipReply,
  type CipRequest,
  ConnectionManagerExtendedStatus,
  ConnectionManagerService,
  type CpfItem,
  decodeNetworkConnectionParameters,
  decodeRequestBytes,
  type EncapsulationFrame,
  encodeSendUnitData,
  type ForwardCloseRequest,
  type ForwardOpenRequest,
  formatEPath,
  MESSAGE_ROUTER_CLASS,
} from "@cpppo/cip-codec";
import type { RequestContext } from "../controller/controller.js";
import { ReplyService } from "../core/reply-service.js";
import type { Engine } from "./engine.js";
import type { TcpConnection } from "./tcp-connection.js";
import {
  decodeFailureStatus,
  EMPTY,
  encodeFailureStatus,
  errorReply,
  GS,
  isPromise,
  type Outcome,
  STATUS,
  statusReply,
} from "./wire.js";

/** Class 3 connections one TCP connection may hold; beyond it (or `maxCipConnections`) Forward Open gets 0x01/0x0113. */
const MAX_CIP_CONNECTIONS = 128;
/** Largest Large Forward Open connection size accepted: what a ControlLogix accepts (pycomm3 asks 4000, others 4002). */
const MAX_LARGE_CONNECTION_SIZE = 4002;
const MAX_STANDARD_CONNECTION_SIZE = 511;
const TRANSPORT_CLASS_MASK = 0x0f;
const CLASS_3 = 3;
const POINT_TO_POINT = 2;
const MULTICAST = 1;
/** Bytes of the class 3 sequence count that precedes each connected message. */
const SEQUENCE_COUNT_SIZE = 2;
/** Largest timeout multiplier code (CIP Vol 1 §3-5.4.1.4: code n multiplies the RPI by 4 × 2^n); larger are reserved. */
const MAX_TIMEOUT_MULTIPLIER = 7;
/** Node's timers run at most 2^31 - 1 ms; a longer watchdog fires early and re-arms for the rest. */
const MAX_TIMER_MS = 0x7fffffff;

const CM = ConnectionManagerExtendedStatus.codes;

/** A class 3 connection opened by Forward Open on one TCP connection. */
export interface CipConnection {
  otId: number;
  toId: number;
  connectionSerial: number;
  originatorVendor: number;
  originatorSerial: number;
  service: number;
  otParams: number;
  toParams: number;
  otRpiUs: number;
  toRpiUs: number;
  transportClassTrigger: number;
  path: string;
  /** Execution context of requests arriving over this connection (made once, reused). */
  context: RequestContext;
  /** Milliseconds of silence on the connection after which it is dropped: O→T RPI × the timeout multiplier. */
  timeoutMs: number;
  /** `Date.now()` when the connection was opened or last carried a SendUnitData. */
  lastSeen: number;
  /** The inactivity watchdog; undefined once the connection is gone. */
  watchdog: NodeJS.Timeout | undefined;
}

export function sendUnitData(
  engine: Engine,
  connection: TcpConnection,
  decoded: EncapsulationFrame,
  cpf: CpfItem[],
  frame: Uint8Array,
): Outcome | Promise<Outcome> {
  const address = cpf[0];
  const item = cpf[1];
  if (cpf.length !== 2 || address?.kind !== "connectedAddress" || item?.kind !== "connectedData")
    return statusReply(frame, STATUS.incorrectData);
  const cip = touchConnection(connection, address.connectionId);
  // A controller drops class 3 traffic for a connection it does not know (closed, timed out, never opened).
  if (cip === undefined) return undefined;
  const senderContext = decoded.header.senderContext;
  const sequence = item.sequence;
  let request: CipRequest;
  try {
    request = decodeRequestBytes(item.data, engine.decodeOptions);
  } catch (error) {
    const service = item.data.length > 0 ? (item.data[0] as number) : 0;
    return encodeUnit(
      connection,
      cip.toId,
      sequence,
      senderContext,
      errorReply(service, decodeFailureStatus(error)),
    );
  }
  engine.lane?.learn(item.data, request);
  const reply = engine.execute(connection, request, cip.context);
  if (isPromise(reply))
    return reply.then((settled) => encodeUnit(connection, cip.toId, sequence, senderContext, settled));
  return encodeUnit(connection, cip.toId, sequence, senderContext, reply);
}

/** The class 3 connection `connectionId` of `connection`, marked alive (its watchdog restarts); undefined if unknown. */
export function touchConnection(connection: TcpConnection, connectionId: number): CipConnection | undefined {
  const cip = connection.cipConnections.get(connectionId);
  if (cip === undefined) return undefined;
  cip.lastSeen = Date.now();
  cip.watchdog?.refresh();
  return cip;
}

/** The SendUnitData reply frame on the connection whose T→O id is `toId` (an encoding failure becomes its error reply). */
export function encodeUnit(
  connection: TcpConnection,
  toId: number,
  sequence: number,
  senderContext: Uint8Array,
  reply: CipReply,
): Uint8Array {
  const init = {
    session: connection.session,
    connectionId: toId,
    sequence,
    senderContext,
    message: reply,
  };
  try {
    return encodeSendUnitData(init);
  } catch (error) {
    return encodeSendUnitData({ ...init, message: errorReply(reply.service, encodeFailureStatus(error)) });
  }
}

export function forwardOpen(
  engine: Engine,
  connection: TcpConnection,
  request: ForwardOpenRequest,
): CipReply {
  const large = request.service === ConnectionManagerService.codes.largeForwardOpen;
  const fail = (extended: number): CipReply => ({
    kind: "forwardOpenFailure",
    service: large ? ReplyService.largeForwardOpen : ReplyService.forwardOpen,
    generalStatus: GS.connectionFailure,
    extStatus: [extended],
    connectionSerial: request.connectionSerial,
    originatorVendor: request.originatorVendor,
    originatorSerial: request.originatorSerial,
    remainingPathWords: 0,
  });
  if ((request.transportClassTrigger & TRANSPORT_CLASS_MASK) !== CLASS_3)
    return fail(CM.transportTriggerNotSupported);
  const ot = decodeNetworkConnectionParameters(request.otParams, large);
  const to = decodeNetworkConnectionParameters(request.toParams, large);
  const usable = (type: number): boolean => type === POINT_TO_POINT || type === MULTICAST;
  if (!usable(ot.connectionType) || !usable(to.connectionType))
    return fail(CM.invalidNetworkConnectionParameter);
  const maxSize = large ? MAX_LARGE_CONNECTION_SIZE : MAX_STANDARD_CONNECTION_SIZE;
  // A connection must carry at least the sequence count and a reply header.
  const minSize = SEQUENCE_COUNT_SIZE + 4;
  if (ot.size < minSize || to.size < minSize || ot.size > maxSize || to.size > maxSize)
    return fail(CM.invalidConnectionSize);
  // The target of a class 3 connection is the Message Router (Logix); port segments (the route) are skipped.
  const logical = request.connectionPath.filter((segment) => !("port" in segment) && !("key" in segment));
  const first = logical[0];
  const second = logical[1];
  const routerTarget =
    first !== undefined &&
    "class" in first &&
    first.class === MESSAGE_ROUTER_CLASS &&
    (second === undefined || ("instance" in second && second.instance === 1)) &&
    logical.length <= 2;
  if (!routerTarget) return fail(CM.invalidSegmentInPath);
  const path = formatEPath(request.connectionPath);
  const existing = findConnection(connection, request);
  if (existing !== undefined) {
    const same =
      existing.service === request.service &&
      existing.otParams === request.otParams &&
      existing.toParams === request.toParams &&
      existing.otRpiUs === request.otRpiUs &&
      existing.toRpiUs === request.toRpiUs &&
      existing.transportClassTrigger === request.transportClassTrigger &&
      existing.path === path;
    if (!same) return fail(CM.connectionInUse);
    return forwardOpenReply(request, existing);
  }
  if (
    connection.cipConnections.size >= MAX_CIP_CONNECTIONS ||
    engine.cipConnectionCount >= engine.maxCipConnections
  )
    return fail(CM.outOfConnections);
  // The O→T RPI times the multiplier is the connection's watchdog: an RPI of 0 would expire it at once.
  if (request.otRpiUs === 0) return fail(CM.rpiValueNotAcceptable);
  const multiplier = Math.min(request.timeoutMultiplier, MAX_TIMEOUT_MULTIPLIER);
  // The consumer picks the id of what it consumes: we pick O→T; T→O is the originator's unless multicast.
  const otId = ot.connectionType === POINT_TO_POINT ? newConnectionId(connection) : request.otConnectionId;
  const toId = to.connectionType === MULTICAST ? newConnectionId(connection) : request.toConnectionId;
  const cip: CipConnection = {
    otId,
    toId,
    connectionSerial: request.connectionSerial,
    originatorVendor: request.originatorVendor,
    originatorSerial: request.originatorSerial,
    service: request.service,
    otParams: request.otParams,
    toParams: request.toParams,
    otRpiUs: request.otRpiUs,
    toRpiUs: request.toRpiUs,
    transportClassTrigger: request.transportClassTrigger,
    path,
    // The reply travels after the 2-byte sequence count inside the connection's T→O size.
    context: { peer: connection.context.peer, connected: true, replyLimit: to.size - SEQUENCE_COUNT_SIZE },
    timeoutMs: (request.otRpiUs / 1000) * (4 << multiplier),
    lastSeen: Date.now(),
    watchdog: undefined,
  };
  if (connection.cipConnections.has(otId)) return fail(CM.connectionInUse);
  connection.cipConnections.set(otId, cip);
  engine.cipConnectionCount++;
  armWatchdog(engine, connection, cip, cip.timeoutMs);
  return forwardOpenReply(request, cip);
}

/** Starts (or re-starts, for the rest of a long timeout) the watchdog that drops `cip` after its silence. */
function armWatchdog(engine: Engine, connection: TcpConnection, cip: CipConnection, wait: number): void {
  cip.watchdog = setTimeout(
    () => {
      if (connection.cipConnections.get(cip.otId) !== cip) return;
      // A request still being answered (a reply delay, a blocked write) is not the originator's silence.
      if (connection.answering) cip.lastSeen = Date.now();
      const left = cip.lastSeen + cip.timeoutMs - Date.now();
      if (left > 0) armWatchdog(engine, connection, cip, left);
      else dropConnection(engine, connection, cip);
    },
    Math.min(Math.max(wait, 1), MAX_TIMER_MS),
  );
  cip.watchdog.unref();
}

/** Forgets `cip` as a Forward Close does: its id is no longer accepted and it leaves the server's count. */
function dropConnection(engine: Engine, connection: TcpConnection, cip: CipConnection): void {
  if (cip.watchdog !== undefined) clearTimeout(cip.watchdog);
  cip.watchdog = undefined;
  if (connection.cipConnections.get(cip.otId) !== cip) return;
  connection.cipConnections.delete(cip.otId);
  engine.cipConnectionCount--;
}

/** Forgets every class 3 connection of `connection` (it closed) and stops their watchdogs. */
export function dropAllConnections(engine: Engine, connection: TcpConnection): void {
  for (const cip of [...connection.cipConnections.values()]) dropConnection(engine, connection, cip);
}

function forwardOpenReply(request: ForwardOpenRequest, cip: CipConnection): CipReply {
  return {
    kind: "forwardOpen",
    service:
      request.service === ConnectionManagerService.codes.largeForwardOpen
        ? ReplyService.largeForwardOpen
        : ReplyService.forwardOpen,
    generalStatus: 0,
    extStatus: [],
    otConnectionId: cip.otId,
    toConnectionId: cip.toId,
    connectionSerial: cip.connectionSerial,
    originatorVendor: cip.originatorVendor,
    originatorSerial: cip.originatorSerial,
    otApiUs: cip.otRpiUs,
    toApiUs: cip.toRpiUs,
    applicationReply: EMPTY,
  };
}

function newConnectionId(connection: TcpConnection): number {
  for (;;) {
    const id = (Math.random() * 0x100000000) >>> 0;
    if (id !== 0 && !connection.cipConnections.has(id)) return id;
  }
}

function findConnection(
  connection: TcpConnection,
  triple: { connectionSerial: number; originatorVendor: number; originatorSerial: number },
): CipConnection | undefined {
  for (const cip of connection.cipConnections.values())
    if (
      cip.connectionSerial === triple.connectionSerial &&
      cip.originatorVendor === triple.originatorVendor &&
      cip.originatorSerial === triple.originatorSerial
    )
      return cip;
  return undefined;
}

export function forwardClose(
  engine: Engine,
  connection: TcpConnection,
  request: ForwardCloseRequest,
): CipReply {
  const cip = findConnection(connection, request);
  if (cip === undefined)
    return {
      kind: "forwardCloseFailure",
      service: ReplyService.forwardClose,
      generalStatus: GS.connectionFailure,
      extStatus: [CM.connectionNotFound],
      connectionSerial: request.connectionSerial,
      originatorVendor: request.originatorVendor,
      originatorSerial: request.originatorSerial,
      remainingPathWords: 0,
    };
  dropConnection(engine, connection, cip);
  return {
    kind: "forwardClose",
    service: ReplyService.forwardClose,
    generalStatus: 0,
    extStatus: [],
    connectionSerial: request.connectionSerial,
    originatorVendor: request.originatorVendor,
    originatorSerial: request.originatorSerial,
    applicationReply: EMPTY,
  };
}

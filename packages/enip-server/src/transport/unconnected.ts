/** Unconnected messaging: SendRRData, and Unconnected Send with route-path acceptance and `[UCMM] Route` forwarding. */
import {
  type CipReply,
  type CipRequest,
  ConnectionManagerExtendedStatus,
  type CpfItem,
  decodeRequestBytes,
  type EncapsulationFrame,
  type EPath,
  encodeSendRRData,
  type ReadTagRequest,
  sizeOfPath,
  type UnconnectedSendRequest,
  unconnectedSend as wrapUnconnectedSend,
} from "@cpppo/cip-codec";
import type { RequestContext } from "../controller/controller.js";
import { ReplyService } from "../core/reply-service.js";
import type { Engine } from "./engine.js";
import { findRoute, sameRouteSegment } from "./forward.js";
import type { TcpConnection } from "./tcp-connection.js";
import {
  decodeFailureStatus,
  encodeFailureStatus,
  errorReply,
  GS,
  isPromise,
  type Outcome,
  STATUS,
  statusReply,
} from "./wire.js";

const CM = ConnectionManagerExtendedStatus.codes;
/** The time tick of an Unconnected Send's priority/time_tick byte: its low 4 bits (CIP Vol 1 §3-5.5.1.1). */
const TIME_TICK_MASK = 0x0f;

/** The Unconnected Send's own error reply (from the Connection Manager), e.g. a refused route. */
function routeError(request: UnconnectedSendRequest<CipRequest>, extended: number): CipReply {
  return {
    kind: "unconnectedSend",
    service: ReplyService.unconnectedSend,
    generalStatus: GS.connectionFailure,
    extStatus: [extended],
    remainingPathWords: sizeOfPath(request.routePath) >> 1,
  };
}

export function sendRRData(
  engine: Engine,
  connection: TcpConnection,
  decoded: EncapsulationFrame,
  cpf: CpfItem[],
  frame: Uint8Array,
): Outcome | Promise<Outcome> {
  const address = cpf[0];
  const item = cpf[1];
  if (cpf.length !== 2 || address?.kind !== "nullAddress" || item?.kind !== "unconnectedData")
    return statusReply(frame, STATUS.incorrectData);
  const senderContext = decoded.header.senderContext;
  let request: CipRequest;
  try {
    request = decodeRequestBytes(item.data, engine.decodeOptions);
  } catch (error) {
    const service = item.data.length > 0 ? (item.data[0] as number) : 0;
    return encodeRR(connection, senderContext, errorReply(service, decodeFailureStatus(error)));
  }
  engine.lane?.learn(item.data, request);
  const reply = engine.execute(connection, request, connection.context);
  if (isPromise(reply)) return reply.then((settled) => encodeRR(connection, senderContext, settled));
  return encodeRR(connection, senderContext, reply);
}

/** The SendRRData reply frame carrying `reply` (an encoding failure becomes its error reply). */
export function encodeRR(connection: TcpConnection, senderContext: Uint8Array, reply: CipReply): Uint8Array {
  try {
    return encodeSendRRData({ session: connection.session, senderContext, message: reply });
  } catch (error) {
    return encodeSendRRData({
      session: connection.session,
      senderContext,
      message: errorReply(reply.service, encodeFailureStatus(error)),
    });
  }
}

/** Checks the route path, forwards along `routes` when one matches, else executes the embedded request here. */
export function unconnectedSend(
  engine: Engine,
  connection: TcpConnection,
  request: UnconnectedSendRequest<CipRequest>,
  context: RequestContext,
): CipReply | Promise<CipReply> {
  const refused = refuseRoute(engine.routePath, request.routePath);
  if (refused !== 0) return routeError(request, refused);
  const route = engine.routes ? findRoute(engine.routes, request.routePath) : undefined;
  if (route === undefined || engine.forwarder === undefined)
    return engine.execute(connection, request.message, context);
  const rest = request.routePath.slice(1);
  const message =
    rest.length > 0
      ? wrapUnconnectedSend(request.message, rest, {
          priorityTimeTick: request.priorityTimeTick,
          timeoutTicks: request.timeoutTicks,
        })
      : request.message;
  const timeoutMs = Math.max(1, 2 ** (request.priorityTimeTick & TIME_TICK_MASK) * request.timeoutTicks);
  return engine.forwarder.forward(route.host, route.tcpPort, message, timeoutMs).then(
    (reply): CipReply => reply,
    (): CipReply => routeError(request, CM.unconnectedRequestTimedOut),
  );
}

/**
 * The Read Tag that `request` (a whole decoded message, unconnected or connected) runs on this controller: the
 * request itself, or the one an Unconnected Send carries when `unconnectedSend` would execute it here (its route
 * is accepted and matches no `[UCMM] Route`); undefined for anything else. The read fast lane learns from it.
 */
export function localReadTag(engine: Engine, request: CipRequest): ReadTagRequest | undefined {
  if (request.kind === "readTag") return request;
  if (request.kind !== "unconnectedSend" || request.message.kind !== "readTag") return undefined;
  if (refuseRoute(engine.routePath, request.routePath) !== 0) return undefined;
  if (
    engine.routes !== undefined &&
    engine.forwarder !== undefined &&
    findRoute(engine.routes, request.routePath)
  )
    return undefined;
  return request.message;
}

/**
 * The extended status refusing `routePath`, or 0 to accept it: a missing segment or another port gives
 * 0x0311 (port not available), another link or more segments 0x0312 (link address not valid).
 */
function refuseRoute(accepted: EPath | false | undefined, routePath: EPath): number {
  if (accepted === undefined) return 0;
  if (accepted === false) return routePath.length === 0 ? 0 : CM.portNotAvailable;
  const want = accepted[0];
  const first = routePath[0];
  if (want === undefined || !("port" in want)) return routePath.length === 0 ? 0 : CM.portNotAvailable;
  if (first === undefined || !("port" in first) || first.port !== want.port) return CM.portNotAvailable;
  if (routePath.length !== 1 || !sameRouteSegment(first, want.port, want.link)) return CM.linkAddressNotValid;
  return 0;
}

/**
 * Where a request goes: over the class 3 connection (SendUnitData) when there is one and the request names no route
 * of its own; otherwise unconnected (SendRRData), wrapped in an Unconnected Send along the route unless the client
 * is "simple" (`routePath: false`, `sendPath: ""`).
 */
import {
  type CipRequest,
  connectionManagerPath,
  type EnipDecodeOptions,
  type EPath,
  unconnectedSend,
} from "@cpppo/cip-codec";
import type { RequestOptions } from "../core/result.js";

/** The route of unconnected requests by default: backplane port 1, slot 0. */
export const DEFAULT_ROUTE: EPath = [{ port: 1, link: 0 }];
/** The target of an Unconnected Send by default: the Connection Manager `@6/1`. */
export const DEFAULT_SEND_PATH: EPath = connectionManagerPath();

/** Options of `request`: where to send, when the client's defaults do not fit. */
export interface SendOptions extends RequestOptions {
  /** Send unconnected (SendRRData) even over a class 3 connection; defaults to false. */
  unconnected?: boolean;
  /** Route of this request; setting it (or `sendPath`) sends it unconnected. */
  routePath?: EPath | false;
  sendPath?: EPath | "";
  /** Extra decode options (e.g. attribute sizes of a Get Attribute List). */
  decode?: EnipDecodeOptions;
}

/** The client's own routing: its route, its send path, and the ticks of an Unconnected Send. */
export interface RoutingDefaults {
  routePath: EPath | false;
  sendPath: EPath | "";
  priorityTimeTick: number;
  timeoutTicks: number;
}

/** True when `options` name a route of their own (such a request always goes unconnected). */
export function hasOwnRoute(options: SendOptions): boolean {
  return options.routePath !== undefined || options.sendPath !== undefined;
}

/** True when a request with `options` goes over an open class 3 connection. */
export function goesConnected(connected: boolean, options: SendOptions): boolean {
  return connected && !options.unconnected && !hasOwnRoute(options);
}

/** The request as it goes out unconnected with `options`: `message`, in an Unconnected Send unless "simple". */
export function routedRequest(
  message: CipRequest,
  options: SendOptions,
  defaults: RoutingDefaults,
): CipRequest {
  const routePath = options.routePath ?? defaults.routePath;
  const sendPath = options.sendPath ?? defaults.sendPath;
  if ((routePath !== false && routePath.length > 0) || (sendPath !== "" && sendPath.length > 0))
    return unconnectedSend(message, routePath || [], {
      path: sendPath === "" || sendPath.length === 0 ? DEFAULT_SEND_PATH : sendPath,
      priorityTimeTick: defaults.priorityTimeTick,
      timeoutTicks: defaults.timeoutTicks,
    });
  return message;
}

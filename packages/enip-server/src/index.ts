/** @cpppo/enip-server: a Logix controller simulator. Public API, re-exported by name. */

export type {
  ConfigEntry,
  ConfigSearchOptions,
  ConfigSection,
  LoadConfigOptions,
  SimulatorConfig,
} from "./config.js";
export {
  ConfigDocument,
  configSearchPath,
  loadConfigDocument,
  loadSimulatorConfig,
  parseIni,
  parseRoutePath,
  simulatorConfig,
} from "./config.js";
export type { ControllerOptions, RequestContext } from "./controller/controller.js";
export {
  Controller,
  DEFAULT_MAX_REPLY_DATA,
  DEFAULT_MAX_SERVICES,
  DEFAULT_NAME,
} from "./controller/controller.js";
export type { RequestEvent, SessionEvent } from "./core/diagnostics.js";
export {
  ConfigError,
  CpppoError,
  InvalidArgumentError,
  InvalidTagError,
} from "./core/errors.js";
export type { HistorizeOptions, HistorizeWriter } from "./historize.js";
export { historize } from "./historize.js";
export type { AttributeSource, CipAttribute } from "./objects/model.js";
export { CipClass, CipInstance, ObjectModel } from "./objects/model.js";
export type { DeviceState, EthernetLink } from "./objects/standard.js";
export { DEFAULT_ETHERNET_LINK, DEFAULT_IDENTITY, DEFAULT_TCPIP } from "./objects/standard.js";
export type { Plant, PlantOptions } from "./plant.js";
export { startPlant } from "./plant.js";
export type { ConnectionInfo, ServerOptions } from "./server.js";
export { EnipServer, ReplyDelay } from "./server.js";
export type { TagAddress, TagDefinition } from "./tags/grammar.js";
export { parseTagDefinition } from "./tags/grammar.js";
export type { TagAccess, TagHooks } from "./tags/hooks.js";
export type { SymbolEntry } from "./tags/table.js";
export { TagTable } from "./tags/table.js";
export { Tag } from "./tags/tag.js";
export type { TagDataType } from "./tags/types.js";
export { TypeRegistry } from "./tags/types.js";
export type { Route, RouteTable } from "./transport/forward.js";
export { parseRouteTable } from "./transport/forward.js";
export type {
  ApiReply,
  WebApi,
  WebApiOptions,
  WebConnectionInfo,
  WebController,
  WebServer,
  WebTag,
} from "./web.js";
export { fnmatchRegExp, negotiateMediaType, startWebApi } from "./web.js";
export type {
  HistoryReply,
  HistorySeriesReply,
  WebHistoryRecord,
  WebHistorySource,
  WebHistoryZone,
} from "./web-history.js";

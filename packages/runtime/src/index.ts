/** @cpppo/runtime: a PLC runtime service in Beremiz's image. Public API, re-exported by name. */

export type { ConnectOptions, StatusReply } from "./client.js";
export { connectPlc, PlcClient } from "./client.js";
export {
  ConnectorUriError,
  CpppoError,
  InvalidArgumentError,
  ProgramError,
  PskFileError,
  RpcProtocolError,
} from "./errors.js";
export { decodeMsgpack, encodeMsgpack } from "./msgpack.js";
export type {
  PartConfig,
  PartContext,
  PartEnvironment,
  PartFactory,
  PlantPart,
  PlantProgram,
  TraceVariable,
} from "./program.js";
export {
  BUILTIN_PARTS,
  enipPart,
  faultPart,
  historizePart,
  modbusPart,
  modbusPollerPart,
  parseProgram,
  playbackPart,
} from "./program.js";
export type { PskEntry } from "./psk.js";
export { PSK_CIPHERS, parsePskSecrets, pskClientOptions, pskServerOptions, readPskFile } from "./psk.js";
export type {
  ClientStatus,
  PlcMethod,
  PlcTarget,
  RpcClientOptions,
  RpcEndpoint,
  RpcListener,
  RpcListenOptions,
  RpcOutcome,
  RpcTransportLike,
} from "./rpc.js";
export {
  DEFAULT_RPC_PORT,
  listenRpc,
  MAX_FRAME_BYTES,
  PLC_METHODS,
  RPC_VERSION,
  RpcTransport,
} from "./rpc.js";
export type { PlcStatus, RuntimeEvent, RuntimeOptions } from "./runtime.js";
export { DEBUG_SUSPENDED, LAST_PROGRAM_FILE, LOG_LEVEL_NAMES, RuntimeObject } from "./runtime.js";
export type { ServiceEvent, ServiceOptions } from "./service.js";
export { PlcService } from "./service.js";
export type { ConnectorUri } from "./uri.js";
export { DEFAULT_REALM, parseConnectorUri } from "./uri.js";
export type {
  WampCallee,
  WampCalleeOptions,
  WampClientOptions,
  WampHandler,
  WampRouter,
  WampRouterOptions,
  WampTarget,
} from "./wamp.js";
export { startWampCallee, startWampRouter, WAMP_PROTOCOLS, WampCallerTransport } from "./wamp.js";
export type { WampCraUser, WampSecret } from "./wamp-cra.js";
export {
  parseWampSecrets,
  readWampSecretFile,
  wampCraAnswer,
  wampCraDeriveKey,
  wampCraSign,
} from "./wamp-cra.js";

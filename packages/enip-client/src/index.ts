/** @cpppo/enip-client: an EtherNet/IP CIP client. Public API, re-exported by name. */

export type { ClientState, EnipClientOptions, PathLike, RawReply, SendOptions } from "./client.js";
export { EnipClient, toPath } from "./client.js";
export type { DiscoveredDevice, DiscoverOptions } from "./discovery.js";
export { discover } from "./discovery.js";
export {
  AbortError,
  ConnectTimeoutError,
  CpppoError,
  InvalidArgumentError,
  InvalidOperationError,
  ProtocolError,
  RequestTimeoutError,
  SessionClosedError,
} from "./errors.js";
export type { EncodedWrite, TagTypeInfo } from "./fragment.js";
export { FRAGMENT_WINDOW, MAX_TRANSFER_BYTES, tagKey } from "./fragment.js";
export type { TagInfo } from "./logix.js";
export {
  decodeSymbolType,
  listTags,
  loadTags,
  readString,
  readTemplate,
  templateCache,
  writeString,
} from "./logix.js";
export type {
  GetAttributeOperation,
  IntTypeName,
  Operation,
  OperationDefaults,
  OperationRouting,
  OperationValue,
  ReadOperation,
  ServiceOperation,
  SetAttributeOperation,
  TagPath,
  TagPathDefaults,
  WriteOperation,
} from "./operations.js";
export {
  parseAttributeOperation,
  parseAttributeOperations,
  parseJsonOperation,
  parseOperation,
  parseOperations,
  parseTagPath,
  WRITABLE_TYPE_NAMES,
} from "./operations.js";
export type { PackItem, PackLimits } from "./packing.js";
export {
  DEFAULT_ELEMENT_SIZE,
  LARGE_CONNECTION_SIZE,
  Packer,
  packLimits,
  replySize,
  STANDARD_CONNECTION_SIZE,
  UCMM_CONNECTION_SIZE,
} from "./packing.js";
export type { OperationResult, PipelineOperation, PipelineOptions } from "./pipeline.js";
export { pipeline, process, results, synchronous } from "./pipeline.js";
export type { PollOptions } from "./poll.js";
export { backoffDelay, poll } from "./poll.js";
export type { AttributeParameter, ParameterResult } from "./proxy.js";
export { AttributeProxy, PARAMETERS, parameterName } from "./proxy.js";
export type { CipResult, ReadOptions, ReadResult, RequestOptions, WriteOptions } from "./result.js";
export { resultOf } from "./result.js";
export {
  DEFAULT_CONNECTION_PATH,
  DEFAULT_ROUTE_PATH,
  DEFAULT_SEND_PATH,
  parseConnectionPath,
  parseRoutePath,
  parseSendPath,
} from "./route.js";
export type { TcpConnectOptions, Transport, TransportFactory, TransportHandlers } from "./transport.js";
export { clientChannel, connectTcp } from "./transport.js";

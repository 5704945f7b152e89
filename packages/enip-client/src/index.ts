/** @cpppo/enip-client: an EtherNet/IP CIP client. Public API, re-exported by name. */

export type { ClientState, EnipClientOptions, PathLike, SendOptions } from "./client.js";
export { EnipClient, pipeline, results, synchronous, tallyResults, toPath } from "./client.js";
export { clientChannel } from "./core/diagnostics.js";
export {
  AbortError,
  ConnectTimeoutError,
  CpppoError,
  EncapsulationStatusError,
  InvalidArgumentError,
  InvalidOperationError,
  ProtocolError,
  RequestTimeoutError,
  SessionClosedError,
} from "./core/errors.js";
export type { PackItem, PackLimits } from "./core/packing.js";
export {
  DEFAULT_ELEMENT_SIZE,
  LARGE_CONNECTION_SIZE,
  Packer,
  packLimits,
  replySize,
  STANDARD_CONNECTION_SIZE,
  UCMM_CONNECTION_SIZE,
} from "./core/packing.js";
export type { CipResult, ReadOptions, ReadResult, RequestOptions, WriteOptions } from "./core/result.js";
export { resultOf } from "./core/result.js";
export type { DiscoveredDevice, DiscoverOptions } from "./discovery.js";
export { discover } from "./discovery.js";
export type { TagInfo } from "./operations/logix.js";
export {
  decodeSymbolType,
  listTags,
  loadTags,
  readString,
  readTemplate,
  templateCache,
  writeString,
} from "./operations/logix.js";
export type { TagTypeInfo } from "./operations/port.js";
export type { EncodedWrite } from "./operations/tags.js";
export { FRAGMENT_WINDOW, MAX_TRANSFER_BYTES, tagKey } from "./operations/tags.js";
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
} from "./parse-operations.js";
export {
  parseAttributeOperation,
  parseAttributeOperations,
  parseJsonOperation,
  parseOperation,
  parseOperations,
  parseTagPath,
  WRITABLE_TYPE_NAMES,
} from "./parse-operations.js";
export type { Operations } from "./pipeline/pipeline.js";
// A value export: tsup's bundled .d.ts declares the class as a value, so the build must export it too.
export { PreparedOperations, prepare } from "./pipeline/plan.js";
export type { OperationResult, PipelineOperation, PipelineOptions } from "./pipeline/types.js";
export type { PollOptions } from "./poll.js";
export { backoffDelay, poll } from "./poll.js";
export type { AttributeParameter, ParameterResult } from "./proxy.js";
export { AttributeProxy, PARAMETERS, parameterName } from "./proxy.js";
export {
  DEFAULT_CONNECTION_PATH,
  DEFAULT_ROUTE_PATH,
  DEFAULT_SEND_PATH,
  parseConnectionPath,
  parseRoutePath,
  parseSendPath,
} from "./route.js";
export type {
  MemoryDevice,
  MemoryFaults,
  MemoryPeer,
  MemoryTransportOptions,
  MemoryTransportPair,
} from "./transport/memory.js";
export { memoryTransportPair } from "./transport/memory.js";
export { connectTcp } from "./transport/tcp.js";
export type {
  TcpConnectOptions,
  Transport,
  TransportFactory,
  TransportHandlers,
} from "./transport/transport.js";
export { connectUdp } from "./transport/udp.js";

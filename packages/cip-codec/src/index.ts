/**
 * @cpppo/cip-codec: every byte of EtherNet/IP and CIP as pure functions over Uint8Array.
 * The public API is re-exported here by name, module by module.
 */

export type {
  AttributeResult,
  AttributeSizeResolver,
  AttributeValue,
  GetAttributeListReply,
  GetAttributeListRequest,
  GetAttributeSingleRequest,
  GetAttributesAllRequest,
  SetAttributeListReply,
  SetAttributeListRequest,
  SetAttributeSingleRequest,
} from "./bodies/attributes.js";
export {
  DEFAULT_MAX_ATTRIBUTES,
  getAttributeListRequest,
  getAttributeSingleRequest,
  getAttributesAllRequest,
  setAttributeSingleRequest,
} from "./bodies/attributes.js";
export type {
  ForwardCloseFailure,
  ForwardCloseReply,
  ForwardCloseRequest,
  ForwardOpenFailure,
  ForwardOpenFields,
  ForwardOpenOptions,
  ForwardOpenReply,
  ForwardOpenRequest,
  NetworkConnectionParameters,
  UnconnectedSendOptions,
  UnconnectedSendReply,
  UnconnectedSendRequest,
} from "./bodies/connection-manager.js";
export {
  ConnectionPriority,
  ConnectionType,
  connectionManagerPath,
  decodeNetworkConnectionParameters,
  encodeNetworkConnectionParameters,
  forwardCloseRequest,
  forwardOpenRequest,
  MAX_STANDARD_CONNECTION_SIZE,
  unconnectedSend,
} from "./bodies/connection-manager.js";
export type {
  GetInstanceAttributeListReply,
  GetInstanceAttributeListRequest,
  ReadModifyWriteTagRequest,
  ReadTagFragmentedRequest,
  ReadTagReply,
  ReadTagRequest,
  ReadTemplateReply,
  ReadTemplateRequest,
  SymbolAttribute,
  SymbolAttributeValue,
  SymbolInstance,
  SymbolListLimits,
  WriteTagFragmentedRequest,
  WriteTagReply,
  WriteTagRequest,
} from "./bodies/logix.js";
export {
  DEFAULT_MAX_SYMBOL_INSTANCES,
  DEFAULT_MAX_SYMBOL_NAME,
  getInstanceAttributeListRequest,
  readModifyWriteTagRequest,
  readTagFragmentedRequest,
  readTagRequest,
  readTemplateRequest,
  SymbolAttributeId,
  writeTagFragmentedRequest,
  writeTagRequest,
} from "./bodies/logix.js";
export type { MultipleServiceReply, MultipleServiceRequest } from "./bodies/msp.js";
export { DEFAULT_MAX_SERVICES, multipleServicePacket, multipleServiceReply } from "./bodies/msp.js";
export type {
  Identity,
  InterfaceConfiguration,
  Revision,
  TcpIpInterface,
} from "./bodies/objects.js";
export {
  decodeIdentity,
  decodeIdentityBytes,
  decodeInterfaceConfiguration,
  decodeTcpIpInterface,
  decodeTcpIpInterfaceBytes,
  encodeIdentity,
  encodeIdentityBytes,
  encodeInterfaceConfiguration,
  encodeTcpIpInterface,
  encodeTcpIpInterfaceBytes,
  IDENTITY_CLASS,
  IdentityAttribute,
  sizeOfIdentity,
  sizeOfInterfaceConfiguration,
  sizeOfTcpIpInterface,
  TCPIP_CLASS,
  TcpIpAttribute,
} from "./bodies/objects.js";
export type { ElectronicKey, EPath, PathLimits, PathSizeOptions, Segment } from "./cip/epath.js";
export {
  decodePath,
  decodePathWithSize,
  EPathSegment,
  encodePath,
  encodePathBytes,
  encodePathWithSize,
  encodeSegment,
  formatEPath,
  parseEPath,
  sizeOfPath,
  sizeOfPathWithSize,
  sizeOfSegment,
} from "./cip/epath.js";
export {
  parseConnectionPath,
  parseLogicalPath,
  parseRoutePath,
  parseSegmentJson,
  parseSendPath,
  parseUnsignedText,
} from "./cip/route-path.js";
export {
  CipService,
  CONNECTION_MANAGER_CLASS,
  ConnectionManagerService,
  isLogixClass,
  isLogixTarget,
  LogixService,
  MESSAGE_ROUTER_CLASS,
  MESSAGE_ROUTER_PATH,
  REPLY_BIT,
  SYMBOL_CLASS,
  serviceName,
  targetClass,
  targetInstance,
} from "./cip/services.js";
export type { ReplyStatus } from "./cip/status.js";
export {
  ConnectionManagerExtendedStatus,
  describeStatus,
  GeneralStatus,
  isSuccessStatus,
  LogixExtendedStatus,
} from "./cip/status.js";
export type { DecodeFailure, FieldPath } from "./core/errors.js";
export {
  CipDecodeError,
  CipEncodeError,
  CodeTableError,
  CpppoError,
  type DefinedError,
  defineError,
  formatPath,
  InvalidArgumentError,
  RoutePathError,
} from "./core/errors.js";
export { fromHex, hexExcerpt, toHex } from "./core/hex.js";
export { Reader } from "./core/reader.js";
export type { CodeTable } from "./core/table.js";
export { codeTable } from "./core/table.js";
export { checkRange, Writer } from "./core/writer.js";
export type {
  ConnectedAddressItem,
  ConnectedDataItem,
  CpfItem,
  CpfLimits,
  LegacyReplyItem,
  ListIdentityItem,
  ListServicesItem,
  NullAddressItem,
  RawCpfItem,
  SequencedAddressItem,
  SockaddrInfoItem,
  UnconnectedDataItem,
} from "./encapsulation/cpf.js";
export {
  CPF_ITEM_HEADER_SIZE,
  CpfItemType,
  cpfItemDataSize,
  cpfItemTypeId,
  DEFAULT_MAX_CPF_ITEMS,
  decodeCpf,
  decodeCpfBytes,
  decodeCpfItem,
  encodeCpf,
  encodeCpfBytes,
  encodeCpfItem,
  ListServicesCapability,
  sizeOfCpf,
  sizeOfCpfItem,
} from "./encapsulation/cpf.js";
export type {
  EncapsulationBody,
  EncapsulationFrame,
  EncapsulationFrameInit,
  EncapsulationHeader,
  EncapsulationHeaderInit,
  EncapsulationLimits,
  ListBody,
  NopBody,
  RawBody,
  RegisterSessionBody,
  SendDataBody,
  UnRegisterSessionBody,
} from "./encapsulation/encapsulation.js";
export {
  decodeEncapsulation,
  decodeHeader,
  ENCAPSULATION_HEADER_SIZE,
  EncapsulationCommand,
  EncapsulationStatus,
  encodeEncapsulation,
  encodeHeader,
  MAX_ENCAPSULATION_LENGTH,
  SENDER_CONTEXT_SIZE,
  sizeOfEncapsulation,
  sizeOfEncapsulationBody,
  writeEncapsulation,
} from "./encapsulation/encapsulation.js";
export type { EnipFramerOptions } from "./encapsulation/framer.js";
export { EnipFramer } from "./encapsulation/framer.js";
export type {
  CipMessage,
  EnipDecodeOptions,
  EnipMessage,
  SendRRDataInit,
  SendUnitDataInit,
} from "./frame/frame.js";
export {
  decodeEnipMessage,
  encodeSendRRData,
  encodeSendUnitData,
  sizeOfSendRRData,
  sizeOfSendUnitData,
} from "./frame/frame.js";
export type { PackedReads } from "./frame/packed-reads.js";
export { viewPackedReads } from "./frame/packed-reads.js";
export { peekCipReplyOffset, peekSenderContext32, peekSequenceCount } from "./frame/peek.js";
export type {
  CipReply,
  CipRequest,
  GenericReply,
  GenericRequest,
  MessageDecodeOptions,
  MessageLimits,
  MessageReply,
  MessageRequest,
  ReplyHint,
} from "./message/message.js";
export {
  DEFAULT_MAX_MESSAGE_DEPTH,
  decodeMessageReply,
  decodeMessageRequest,
  decodeReply,
  decodeReplyBytes,
  decodeRequest,
  decodeRequestBytes,
  encodeMessageReply,
  encodeMessageRequest,
  encodeReply,
  encodeReplyBytes,
  encodeRequest,
  encodeRequestBytes,
  sizeOfMessageReply,
  sizeOfMessageRequest,
  sizeOfReply,
  sizeOfRequest,
} from "./message/message.js";
export type { SocketAddress } from "./types/sockaddr.js";
export {
  AF_INET,
  decodeSocketAddress,
  encodeSocketAddress,
  formatIpv4,
  parseIpv4,
  SOCKET_ADDRESS_SIZE,
} from "./types/sockaddr.js";
export { SymbolTypeBits } from "./types/symbol-type.js";
export type {
  JsonDataType,
  JsonMember,
  StructTemplate,
  StructTypeOptions,
  StructValue,
  TemplateAttributes,
  TemplateLimits,
  TemplateMember,
  TemplateResolver,
} from "./types/template.js";
export {
  decodeTemplateAttributes,
  decodeTemplateDefinition,
  encodeTemplateAttributes,
  encodeTemplateDefinition,
  isHiddenMemberName,
  isLogixStringTemplate,
  sizeOfTemplateAttributes,
  sizeOfTemplateDefinition,
  structType,
  TEMPLATE_CLASS,
  TemplateAttribute,
  templateFromJson,
} from "./types/template.js";
export type { AnyCipType, CipType, TagType, ValuesLimits } from "./types/types.js";
export {
  BOOL,
  BYTE,
  CipTypeCode,
  checkLatin1,
  DINT,
  DWORD,
  decodeTagType,
  decodeValues,
  encodeTagType,
  encodeValues,
  INT,
  IPADDR,
  IPADDR_NETWORK,
  LINT,
  LOGIX_STRING,
  LOGIX_STRING_HANDLE,
  LREAL,
  LWORD,
  latin1,
  logixStringType,
  PADDED_STRING,
  REAL,
  SHORT_STRING,
  SINT,
  SSTRING,
  STRING,
  sizeOfTagType,
  sizeOfValues,
  typeByCode,
  UDINT,
  UINT,
  ULINT,
  USINT,
  VARIABLE_SIZE,
  WORD,
  writeLatin1,
  writeValues,
} from "./types/types.js";

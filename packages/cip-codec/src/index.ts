/**
 * @cpppo/cip-codec: every byte of EtherNet/IP and CIP as pure functions over Uint8Array.
 * The public API, re-exported by name, layer by layer (lowest first; see the README).
 */
// biome-ignore-all assist/source/organizeImports: the exports go layer by layer, lowest first, not by path.

// The cursor, errors, hex and code tables.
export {
  CipDecodeError,
  CipEncodeError,
  CodeTableError,
  CpppoError,
  type DecodeFailure,
  type DefinedError,
  defineError,
  type FieldPath,
  InvalidArgumentError,
  RoutePathError,
} from "./core/errors.js";
export {
  fromHex,
  toHex,
} from "./core/hex.js";
export { Reader } from "./core/reader.js";
export {
  type CodeTable,
  codeTable,
} from "./core/table.js";
export {
  checkRange,
  Writer,
} from "./core/writer.js";

// CIP and Logix data types, templates, the symbol type word.
export {
  AF_INET,
  formatIpv4,
  parseIpv4,
  type SocketAddress,
} from "./types/sockaddr.js";
export { SymbolTypeBits } from "./types/symbol-type.js";
export {
  decodeTemplateAttributes,
  decodeTemplateDefinition,
  encodeTemplateAttributes,
  encodeTemplateDefinition,
  isLogixStringTemplate,
  type JsonDataType,
  type JsonMember,
  sizeOfTemplateDefinition,
  type StructTemplate,
  structType,
  type StructTypeOptions,
  type StructValue,
  TEMPLATE_CLASS,
  TemplateAttribute,
  type TemplateAttributes,
  templateFromJson,
  type TemplateLimits,
  type TemplateMember,
  type TemplateResolver,
} from "./types/template.js";
export {
  type AnyCipType,
  BOOL,
  BYTE,
  checkLatin1,
  type CipType,
  CipTypeCode,
  decodeValues,
  DINT,
  DWORD,
  encodeValues,
  INT,
  IPADDR,
  IPADDR_NETWORK,
  latin1,
  LINT,
  LOGIX_STRING,
  LOGIX_STRING_HANDLE,
  logixStringType,
  LREAL,
  LWORD,
  PADDED_STRING,
  REAL,
  SHORT_STRING,
  SINT,
  SSTRING,
  STRING,
  type TagType,
  typeByCode,
  UDINT,
  UINT,
  ULINT,
  USINT,
  type ValuesLimits,
  VARIABLE_SIZE,
  WORD,
} from "./types/types.js";

// EtherNet/IP encapsulation, CPF items, the stream framer.
export {
  type ConnectedAddressItem,
  type ConnectedDataItem,
  type CpfItem,
  CpfItemType,
  type CpfLimits,
  decodeCpfBytes,
  DEFAULT_MAX_CPF_ITEMS,
  encodeCpfBytes,
  type LegacyReplyItem,
  type ListIdentityItem,
  ListServicesCapability,
  type ListServicesItem,
  type NullAddressItem,
  type RawCpfItem,
  type SequencedAddressItem,
  type SockaddrInfoItem,
  type UnconnectedDataItem,
} from "./encapsulation/cpf.js";
export {
  decodeEncapsulation,
  decodeHeader,
  ENCAPSULATION_HEADER_SIZE,
  type EncapsulationBody,
  EncapsulationCommand,
  type EncapsulationFrame,
  type EncapsulationFrameInit,
  type EncapsulationHeader,
  type EncapsulationHeaderInit,
  type EncapsulationLimits,
  EncapsulationStatus,
  encodeEncapsulation,
  type ListBody,
  MAX_ENCAPSULATION_LENGTH,
  type NopBody,
  type RawBody,
  type RegisterSessionBody,
  type SendDataBody,
  SENDER_CONTEXT_SIZE,
  sizeOfEncapsulation,
  type UnRegisterSessionBody,
} from "./encapsulation/encapsulation.js";
export {
  EnipFramer,
  type EnipFramerOptions,
} from "./encapsulation/framer.js";

// CIP paths, the route-path grammar, service codes, status.
export {
  decodePath,
  type ElectronicKey,
  encodePath,
  encodePathBytes,
  encodePathWithSize,
  type EPath,
  EPathSegment,
  formatEPath,
  parseEPath,
  type PathLimits,
  type PathSizeOptions,
  type Segment,
  sizeOfPath,
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
  serviceName,
  SYMBOL_CLASS,
} from "./cip/services.js";
export {
  ConnectionManagerExtendedStatus,
  describeStatus,
  GeneralStatus,
  isSuccessStatus,
  LogixExtendedStatus,
  type ReplyStatus,
} from "./cip/status.js";

// Service bodies: attributes, Connection Manager, Logix tags and browsing, Multiple Service Packet, objects.
export {
  type AttributeResult,
  type AttributeSizeResolver,
  type AttributeValue,
  DEFAULT_MAX_ATTRIBUTES,
  type GetAttributeListReply,
  type GetAttributeListRequest,
  getAttributeListRequest,
  type GetAttributesAllRequest,
  getAttributesAllRequest,
  type GetAttributeSingleRequest,
  getAttributeSingleRequest,
  type SetAttributeListReply,
  type SetAttributeListRequest,
  type SetAttributeSingleRequest,
  setAttributeSingleRequest,
} from "./bodies/attributes.js";
export {
  connectionManagerPath,
  ConnectionPriority,
  ConnectionType,
  decodeNetworkConnectionParameters,
  encodeNetworkConnectionParameters,
  type ForwardCloseFailure,
  type ForwardCloseReply,
  type ForwardCloseRequest,
  forwardCloseRequest,
  type ForwardOpenFailure,
  type ForwardOpenFields,
  type ForwardOpenOptions,
  type ForwardOpenReply,
  type ForwardOpenRequest,
  forwardOpenRequest,
  MAX_STANDARD_CONNECTION_SIZE,
  type NetworkConnectionParameters,
  unconnectedSend,
  type UnconnectedSendOptions,
  type UnconnectedSendReply,
  type UnconnectedSendRequest,
} from "./bodies/connection-manager.js";
export {
  DEFAULT_MAX_SYMBOL_INSTANCES,
  DEFAULT_MAX_SYMBOL_NAME,
  type GetInstanceAttributeListReply,
  type GetInstanceAttributeListRequest,
  getInstanceAttributeListRequest,
  type ReadModifyWriteTagRequest,
  readModifyWriteTagRequest,
  type ReadTagFragmentedRequest,
  readTagFragmentedRequest,
  type ReadTagReply,
  type ReadTagRequest,
  readTagRequest,
  type ReadTemplateReply,
  type ReadTemplateRequest,
  readTemplateRequest,
  type SymbolAttribute,
  SymbolAttributeId,
  type SymbolAttributeValue,
  type SymbolInstance,
  type SymbolListLimits,
  type WriteTagFragmentedRequest,
  writeTagFragmentedRequest,
  type WriteTagReply,
  type WriteTagRequest,
  writeTagRequest,
} from "./bodies/logix.js";
export {
  DEFAULT_MAX_SERVICES,
  multipleServicePacket,
  type MultipleServiceReply,
  multipleServiceReply,
  type MultipleServiceRequest,
} from "./bodies/msp.js";
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
  type Identity,
  IDENTITY_CLASS,
  IdentityAttribute,
  type InterfaceConfiguration,
  type Revision,
  sizeOfIdentity,
  sizeOfInterfaceConfiguration,
  sizeOfTcpIpInterface,
  TCPIP_CLASS,
  TcpIpAttribute,
  type TcpIpInterface,
} from "./bodies/objects.js";

// The message router: request and reply headers, and one table of every service body.
export {
  type CipReply,
  type CipRequest,
  decodeMessageReply,
  decodeReply,
  decodeReplyBytes,
  decodeRequest,
  decodeRequestBytes,
  DEFAULT_MAX_MESSAGE_DEPTH,
  encodeReply,
  encodeReplyBytes,
  encodeRequest,
  encodeRequestBytes,
  type GenericReply,
  type GenericRequest,
  type MessageDecodeOptions,
  type MessageLimits,
  type MessageReply,
  type MessageRequest,
  type ReplyHint,
  sizeOfReply,
  sizeOfRequest,
} from "./message/message.js";

// Whole frames, reply peeks and the packed-read reply view.
export {
  type CipMessage,
  decodeEnipMessage,
  encodeSendRRData,
  encodeSendUnitData,
  type EnipDecodeOptions,
  type EnipMessage,
  type SendRRDataInit,
  type SendUnitDataInit,
} from "./frame/frame.js";
export {
  type PackedReads,
  viewPackedReads,
} from "./frame/packed-reads.js";
export {
  peekCipReplyOffset,
  peekSenderContext32,
  peekSequenceCount,
} from "./frame/peek.js";

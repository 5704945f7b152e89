import { codeTable } from "../core/table.js";

/**
 * CIP general status codes, CIP Vol 1 Appendix B (Table B-1.1), plus 0xFF which Logix controllers
 * use as "general error" with the detail in the extended status. 0x2F..0xCF are reserved.
 */
export const GeneralStatus = codeTable(
  {
    success: 0x00,
    connectionFailure: 0x01,
    resourceUnavailable: 0x02,
    invalidParameterValue: 0x03,
    pathSegmentError: 0x04,
    pathDestinationUnknown: 0x05,
    partialTransfer: 0x06,
    connectionLost: 0x07,
    serviceNotSupported: 0x08,
    invalidAttributeValue: 0x09,
    attributeListError: 0x0a,
    alreadyInRequestedState: 0x0b,
    objectStateConflict: 0x0c,
    objectAlreadyExists: 0x0d,
    attributeNotSettable: 0x0e,
    privilegeViolation: 0x0f,
    deviceStateConflict: 0x10,
    replyDataTooLarge: 0x11,
    fragmentationOfPrimitiveValue: 0x12,
    notEnoughData: 0x13,
    attributeNotSupported: 0x14,
    tooMuchData: 0x15,
    objectDoesNotExist: 0x16,
    fragmentationSequenceNotInProgress: 0x17,
    noStoredAttributeData: 0x18,
    storeOperationFailure: 0x19,
    routingRequestTooLarge: 0x1a,
    routingResponseTooLarge: 0x1b,
    missingAttributeListEntryData: 0x1c,
    invalidAttributeValueList: 0x1d,
    embeddedServiceError: 0x1e,
    vendorSpecificError: 0x1f,
    invalidParameter: 0x20,
    writeOnceAlreadyWritten: 0x21,
    invalidReplyReceived: 0x22,
    bufferOverflow: 0x23,
    messageFormatError: 0x24,
    keyFailureInPath: 0x25,
    pathSizeInvalid: 0x26,
    unexpectedAttributeInList: 0x27,
    invalidMemberId: 0x28,
    memberNotSettable: 0x29,
    group2OnlyServerFailure: 0x2a,
    unknownModbusError: 0x2b,
    attributeNotGettable: 0x2c,
    instanceNotDeletable: 0x2d,
    serviceNotSupportedForPath: 0x2e,
    generalError: 0xff,
  },
  {
    success: "Success",
    connectionFailure: "Connection failure",
    resourceUnavailable: "Resource unavailable",
    invalidParameterValue: "Invalid parameter value",
    pathSegmentError: "Path segment error",
    pathDestinationUnknown: "Path destination unknown",
    partialTransfer: "Partial transfer",
    connectionLost: "Connection lost",
    serviceNotSupported: "Service not supported",
    invalidAttributeValue: "Invalid attribute value",
    attributeListError: "Attribute list error",
    alreadyInRequestedState: "Already in requested mode/state",
    objectStateConflict: "Object state conflict",
    objectAlreadyExists: "Object already exists",
    attributeNotSettable: "Attribute not settable",
    privilegeViolation: "Privilege violation",
    deviceStateConflict: "Device state conflict",
    replyDataTooLarge: "Reply data too large",
    fragmentationOfPrimitiveValue: "Fragmentation of a primitive value",
    notEnoughData: "Not enough data",
    attributeNotSupported: "Attribute not supported",
    tooMuchData: "Too much data",
    objectDoesNotExist: "Object does not exist",
    fragmentationSequenceNotInProgress: "Service fragmentation sequence not in progress",
    noStoredAttributeData: "No stored attribute data",
    storeOperationFailure: "Store operation failure",
    routingRequestTooLarge: "Routing failure, request packet too large",
    routingResponseTooLarge: "Routing failure, response packet too large",
    missingAttributeListEntryData: "Missing attribute list entry data",
    invalidAttributeValueList: "Invalid attribute value list",
    embeddedServiceError: "Embedded service error",
    vendorSpecificError: "Vendor specific error",
    invalidParameter: "Invalid parameter",
    writeOnceAlreadyWritten: "Write-once value or medium already written",
    invalidReplyReceived: "Invalid reply received",
    bufferOverflow: "Buffer overflow",
    messageFormatError: "Message format error",
    keyFailureInPath: "Key failure in path",
    pathSizeInvalid: "Path size invalid",
    unexpectedAttributeInList: "Unexpected attribute in list",
    invalidMemberId: "Invalid member ID",
    memberNotSettable: "Member not settable",
    group2OnlyServerFailure: "Group 2 only server general failure",
    unknownModbusError: "Unknown Modbus error",
    attributeNotGettable: "Attribute not gettable",
    instanceNotDeletable: "Instance not deletable",
    serviceNotSupportedForPath: "Service not supported for specified path",
    generalError: "General error",
  },
);

/**
 * Extended status codes a Logix controller returns with general status 0xFF (Rockwell 1756-PM020,
 * "Logix5000 Data Access", error codes table).
 */
export const LogixExtendedStatus = codeTable(
  {
    offsetBeyondEnd: 0x2104,
    beyondEndOfObject: 0x2105,
    typeMismatch: 0x2107,
  },
  {
    offsetBeyondEnd: "offset is beyond the end of the requested tag",
    beyondEndOfObject: "number of elements extends beyond the end of the requested tag",
    typeMismatch: "data type in the request does not match the tag's data type",
  },
  4,
);

/**
 * Extended status codes of the Connection Manager, returned with general status 0x01
 * (CIP Vol 1 §3-5.6, Table 3-5.33 "Connection Manager Service Request Error Codes").
 */
export const ConnectionManagerExtendedStatus = codeTable(
  {
    connectionInUse: 0x0100,
    transportTriggerNotSupported: 0x0103,
    ownershipConflict: 0x0106,
    connectionNotFound: 0x0107,
    invalidNetworkConnectionParameter: 0x0108,
    invalidConnectionSize: 0x0109,
    targetNotConfigured: 0x0110,
    rpiNotSupported: 0x0111,
    rpiValueNotAcceptable: 0x0112,
    outOfConnections: 0x0113,
    vendorOrProductMismatch: 0x0114,
    deviceTypeMismatch: 0x0115,
    revisionMismatch: 0x0116,
    invalidApplicationPath: 0x0117,
    invalidConfigurationPath: 0x0118,
    nonListenOnlyNotOpened: 0x0119,
    targetObjectOutOfConnections: 0x011a,
    rpiSmallerThanInhibitTime: 0x011b,
    connectionTimedOut: 0x0203,
    unconnectedRequestTimedOut: 0x0204,
    unconnectedRequestParameterError: 0x0205,
    messageTooLarge: 0x0206,
    unconnectedAckWithoutReply: 0x0207,
    noBufferMemory: 0x0301,
    bandwidthNotAvailable: 0x0302,
    noConnectionIdFilter: 0x0303,
    notConfiguredForScheduled: 0x0304,
    scheduleSignatureMismatch: 0x0305,
    scheduleSignatureValidationImpossible: 0x0306,
    portNotAvailable: 0x0311,
    linkAddressNotValid: 0x0312,
    invalidSegmentInPath: 0x0315,
    forwardClosePathMismatch: 0x0316,
    schedulingNotSpecified: 0x0317,
    linkAddressToSelf: 0x0318,
    secondaryResourcesUnavailable: 0x0319,
    rackConnectionEstablished: 0x031a,
    moduleConnectionEstablished: 0x031b,
    miscellaneous: 0x031c,
    redundantConnectionMismatch: 0x031d,
    networkLinkOffline: 0x0800,
    noTargetApplicationData: 0x0810,
    noOriginatorApplicationData: 0x0811,
    nodeAddressChanged: 0x0812,
    offSubnetMulticastNotConfigured: 0x0813,
  },
  {
    connectionInUse: "connection in use or duplicate Forward Open",
    transportTriggerNotSupported: "transport class and trigger combination not supported",
    ownershipConflict: "ownership conflict",
    connectionNotFound: "target connection not found",
    invalidNetworkConnectionParameter: "invalid network connection parameter",
    invalidConnectionSize: "invalid connection size",
    targetNotConfigured: "target for connection not configured",
    rpiNotSupported: "RPI not supported",
    rpiValueNotAcceptable: "RPI value(s) not acceptable",
    outOfConnections: "out of connections",
    vendorOrProductMismatch: "vendor ID or product code mismatch",
    deviceTypeMismatch: "device type mismatch",
    revisionMismatch: "revision mismatch",
    invalidApplicationPath: "invalid produced or consumed application path",
    invalidConfigurationPath: "invalid or inconsistent configuration application path",
    nonListenOnlyNotOpened: "non-listen-only connection not opened",
    targetObjectOutOfConnections: "target object out of connections",
    rpiSmallerThanInhibitTime: "RPI is smaller than the production inhibit time",
    connectionTimedOut: "connection timed out",
    unconnectedRequestTimedOut: "unconnected request timed out",
    unconnectedRequestParameterError: "parameter error in unconnected request service",
    messageTooLarge: "message too large for Unconnected Send",
    unconnectedAckWithoutReply: "unconnected acknowledge without reply",
    noBufferMemory: "no buffer memory available",
    bandwidthNotAvailable: "network bandwidth not available for data",
    noConnectionIdFilter: "no consumed connection ID filter available",
    notConfiguredForScheduled: "not configured to send scheduled priority data",
    scheduleSignatureMismatch: "schedule signature mismatch",
    scheduleSignatureValidationImpossible: "schedule signature validation not possible",
    portNotAvailable: "port not available",
    linkAddressNotValid: "link address not valid",
    invalidSegmentInPath: "invalid segment in connection path",
    forwardClosePathMismatch: "error in Forward Close connection path",
    schedulingNotSpecified: "scheduling not specified",
    linkAddressToSelf: "link address to self invalid",
    secondaryResourcesUnavailable: "secondary resources unavailable",
    rackConnectionEstablished: "rack connection already established",
    moduleConnectionEstablished: "module connection already established",
    miscellaneous: "miscellaneous",
    redundantConnectionMismatch: "redundant connection mismatch",
    networkLinkOffline: "network link offline",
    noTargetApplicationData: "no target application data available",
    noOriginatorApplicationData: "no originator application data available",
    nodeAddressChanged: "node address has changed since the network was scheduled",
    offSubnetMulticastNotConfigured: "not configured for off-subnet multicast",
  },
  4,
);

/** True for general status 0x00 (success) and 0x06 (partial transfer: data came back, ask for more). */
export function isSuccessStatus(generalStatus: number): boolean {
  return generalStatus === 0x00 || generalStatus === 0x06;
}

const hex = (v: number, digits: number): string => `0x${v.toString(16).padStart(digits, "0")}`;

/**
 * One line describing a general status and its extended status words, e.g.
 * `General error (0xff), extended 0x2105: number of elements extends beyond the end of the requested tag`.
 * Extended codes are looked up in the Connection Manager table for 0x01 and the Logix table for 0xFF.
 */
export function describeStatus(generalStatus: number, extStatus: readonly number[] = []): string {
  let out = `${GeneralStatus.describe(generalStatus)} (${hex(generalStatus, 2)})`;
  if (extStatus.length === 0) return out;
  const first = extStatus[0] as number;
  const table =
    generalStatus === 0x01
      ? ConnectionManagerExtendedStatus
      : generalStatus === 0xff
        ? LogixExtendedStatus
        : undefined;
  out += `, extended ${hex(first, 4)}`;
  if (table?.has(first)) out += `: ${table.describe(first)}`;
  for (let i = 1; i < extStatus.length; i++) out += ` ${hex(extStatus[i] as number, 4)}`;
  return out;
}

/** The status part of every CIP reply: general status and the extended status words (often empty). */
export interface ReplyStatus {
  /** General status, see `GeneralStatus`. */
  generalStatus: number;
  /** Extended (additional) status words; empty when the reply carries none. */
  extStatus: number[];
}

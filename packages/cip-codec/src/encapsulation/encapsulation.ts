import { CipEncodeError } from "../core/errors.js";
import { Reader } from "../core/reader.js";
import { codeTable } from "../core/table.js";
import { checkRange, Writer } from "../core/writer.js";
import { type CpfItem, type CpfLimits, decodeCpf, encodeCpf, sizeOfCpf } from "./cpf.js";

/**
 * Encapsulation commands (CIP Vol 2 §2-3.2 Table 2-3.2). 0x0001 is an undocumented legacy command
 * that some devices still answer (cpppo reference §2.2); IndicateStatus, Cancel and StartDTLS are
 * listed for naming only and their bodies stay raw.
 */
export const EncapsulationCommand = codeTable(
  {
    nop: 0x0000,
    legacy: 0x0001,
    listServices: 0x0004,
    listIdentity: 0x0063,
    listInterfaces: 0x0064,
    registerSession: 0x0065,
    unRegisterSession: 0x0066,
    sendRRData: 0x006f,
    sendUnitData: 0x0070,
    indicateStatus: 0x0072,
    cancel: 0x0073,
    startDtls: 0x00c8,
  } as const,
  {
    nop: "NOP (no reply)",
    legacy: "Legacy command 0x0001 (undocumented)",
    listServices: "ListServices",
    listIdentity: "ListIdentity",
    listInterfaces: "ListInterfaces",
    registerSession: "RegisterSession",
    unRegisterSession: "UnRegisterSession",
    sendRRData: "SendRRData (unconnected request/reply)",
    sendUnitData: "SendUnitData (connected)",
    indicateStatus: "IndicateStatus",
    cancel: "Cancel",
    startDtls: "StartDTLS",
  },
  4,
);

/** Encapsulation status codes of the header's `status` field (CIP Vol 2 §2-3.3 Table 2-3.3). */
export const EncapsulationStatus = codeTable(
  {
    success: 0x0000,
    invalidCommand: 0x0001,
    insufficientMemory: 0x0002,
    incorrectData: 0x0003,
    invalidSessionHandle: 0x0064,
    invalidLength: 0x0065,
    unsupportedProtocolRevision: 0x0069,
    cipServiceNotAllowedOnPort: 0x006a,
  } as const,
  {
    success: "Success",
    invalidCommand: "Invalid or unsupported encapsulation command",
    insufficientMemory: "Insufficient memory resources to handle the command",
    incorrectData: "Poorly formed or incorrect data in the data portion",
    invalidSessionHandle: "Invalid session handle",
    invalidLength: "Invalid message length",
    unsupportedProtocolRevision: "Unsupported encapsulation protocol revision",
    cipServiceNotAllowedOnPort: "Encapsulated CIP service not allowed on this port",
  },
  4,
);

const {
  nop: NOP,
  legacy: LEGACY,
  listServices: LIST_SERVICES,
  listIdentity: LIST_IDENTITY,
  listInterfaces: LIST_INTERFACES,
  registerSession: REGISTER_SESSION,
  unRegisterSession: UNREGISTER_SESSION,
  sendRRData: SEND_RR_DATA,
  sendUnitData: SEND_UNIT_DATA,
} = EncapsulationCommand.codes;

/** Bytes of the encapsulation header: command, length, session, status, sender context, options. */
export const ENCAPSULATION_HEADER_SIZE = 24;

/** Bytes of the sender context, echoed unchanged by the receiver. */
export const SENDER_CONTEXT_SIZE = 8;

/** Largest encapsulation data length: the length field is a u16. */
export const MAX_ENCAPSULATION_LENGTH = 0xffff;

const REGISTER_SESSION_SIZE = 4;
/** Interface handle u32 and timeout u16 before the CPF of SendRRData/SendUnitData. */
const SEND_DATA_PREFIX_SIZE = 6;
const LENGTH_FIELD_OFFSET = 2;
const MAX_U16 = 0xffff;
const MAX_U32 = 0xffffffff;

/** The 24-byte encapsulation header, as on the wire (all little-endian). */
export interface EncapsulationHeader {
  /** Command code, see `EncapsulationCommand`. */
  command: number;
  /** Bytes of data after the header. */
  length: number;
  /** Session handle from RegisterSession (0 before a session exists). */
  session: number;
  /** Status, see `EncapsulationStatus`; 0 in every request. */
  status: number;
  /** 8 bytes the receiver echoes back (a view of the input when decoded). */
  senderContext: Uint8Array;
  /** Options flags; 0 by the spec. */
  options: number;
}

/** RegisterSession (request and reply): protocol version 1, option flags 0. */
export interface RegisterSessionBody {
  command: "registerSession";
  protocolVersion: number;
  optionFlags: number;
}

/** UnRegisterSession: no data. */
export interface UnRegisterSessionBody {
  command: "unRegisterSession";
}

/** SendRRData (unconnected) or SendUnitData (connected): interface handle, timeout, CPF. */
export interface SendDataBody {
  command: "sendRRData" | "sendUnitData";
  /** Interface handle, 0 for CIP. */
  interfaceHandle: number;
  /** Timeout in seconds for SendRRData; 0 for SendUnitData. */
  timeout: number;
  /** The CPF items; CIP messages inside stay raw bytes. */
  cpf: CpfItem[];
}

/** ListServices, ListIdentity, ListInterfaces or legacy 0x0001: no data in a request, a CPF in a reply. */
export interface ListBody {
  command: "listServices" | "listIdentity" | "listInterfaces" | "legacy";
  /** The reply's CPF items; absent when the data is empty (a request). */
  cpf?: CpfItem[];
}

/** NOP: any data, which the receiver ignores. */
export interface NopBody {
  command: "nop";
  data: Uint8Array;
}

/**
 * Data this codec leaves undecoded: a command without a body decoder here (IndicateStatus, Cancel,
 * StartDTLS, vendor codes), or any frame whose header `status` is not success (error replies carry no
 * defined data). The command code is the header's.
 */
export interface RawBody {
  command: "raw";
  data: Uint8Array;
}

/** The data after the header, discriminated by `command`. */
export type EncapsulationBody =
  | RegisterSessionBody
  | UnRegisterSessionBody
  | SendDataBody
  | ListBody
  | NopBody
  | RawBody;

/** A decoded encapsulation frame. */
export interface EncapsulationFrame {
  header: EncapsulationHeader;
  body: EncapsulationBody;
}

/**
 * Header fields for encoding; `length` is ignored (it is computed), `command` is taken from the body
 * and is needed only for a raw body. Defaults: session 0, status 0, sender context zeros, options 0.
 */
export interface EncapsulationHeaderInit {
  command?: number;
  length?: number;
  session?: number;
  status?: number;
  senderContext?: Uint8Array;
  options?: number;
}

/** A frame to encode; a decoded `EncapsulationFrame` is one. */
export interface EncapsulationFrameInit {
  header?: EncapsulationHeaderInit;
  body: EncapsulationBody;
}

/** Ceilings applied while decoding a frame. */
export interface EncapsulationLimits extends CpfLimits {
  /** Largest accepted length field; defaults to `MAX_ENCAPSULATION_LENGTH` (65535). */
  maxEncapsulationLength?: number;
}

/** Reads the 24-byte header; the sender context is a view of the input. */
export function decodeHeader(r: Reader): EncapsulationHeader {
  r.need(ENCAPSULATION_HEADER_SIZE, "header");
  const command = r.u16("command");
  const length = r.u16("length");
  const session = r.u32("session");
  const status = r.u32("status");
  const senderContext = r.bytesN(SENDER_CONTEXT_SIZE, "senderContext");
  return { command, length, session, status, senderContext, options: r.u32("options") };
}

/** Writes the 24-byte header exactly as given (`length` included). Throws `CipEncodeError` for out-of-range fields. */
export function encodeHeader(w: Writer, h: EncapsulationHeader): void {
  checkRange("command", h.command, 0, MAX_U16);
  checkRange("length", h.length, 0, MAX_U16);
  writeHeaderFields(w, h.command, h.length, h.session, h.status, h.senderContext, h.options);
}

function writeHeaderFields(
  w: Writer,
  command: number,
  length: number,
  session: number,
  status: number,
  senderContext: Uint8Array | undefined,
  options: number,
): void {
  checkRange("session", session, 0, MAX_U32);
  checkRange("status", status, 0, MAX_U32);
  checkRange("options", options, 0, MAX_U32);
  w.u16(command);
  w.u16(length);
  w.u32(session);
  w.u32(status);
  if (senderContext === undefined) w.zeros(SENDER_CONTEXT_SIZE);
  else {
    if (!(senderContext instanceof Uint8Array) || senderContext.length !== SENDER_CONTEXT_SIZE)
      throw new CipEncodeError(`"senderContext" must be ${SENDER_CONTEXT_SIZE} bytes`);
    w.raw(senderContext);
  }
  w.u32(options);
}

/**
 * Decodes one whole frame that fills `bytes` exactly. Throws `CipDecodeError` when the length field
 * disagrees with the bytes, exceeds `limits.maxEncapsulationLength`, or the data does not fit its command.
 */
export function decodeEncapsulation(bytes: Uint8Array, limits?: EncapsulationLimits): EncapsulationFrame {
  const r = new Reader(bytes);
  const header = decodeHeader(r);
  const length = header.length;
  r.ceiling(length, limits?.maxEncapsulationLength ?? MAX_ENCAPSULATION_LENGTH, "length");
  if (length !== r.remaining)
    throw r.fail(
      length > r.remaining ? "truncated" : "invalid",
      `length field says ${length} byte(s), ${r.remaining} follow the header`,
      "length",
      LENGTH_FIELD_OFFSET,
    );
  return { header, body: decodeBody(r, header, limits) };
}

function decodeBody(
  r: Reader,
  header: EncapsulationHeader,
  limits: EncapsulationLimits | undefined,
): EncapsulationBody {
  const length = header.length;
  if (header.status !== 0) return { command: "raw", data: r.rest() };
  switch (header.command) {
    case SEND_RR_DATA:
    case SEND_UNIT_DATA: {
      const interfaceHandle = r.u32("interfaceHandle");
      const timeout = r.u16("timeout");
      const cpf = decodeCpf(r, limits);
      expectEnd(r);
      return {
        command: header.command === SEND_RR_DATA ? "sendRRData" : "sendUnitData",
        interfaceHandle,
        timeout,
        cpf,
      };
    }
    case REGISTER_SESSION: {
      if (length !== REGISTER_SESSION_SIZE)
        throw r.fail(
          "invalid",
          `RegisterSession data is 4 bytes, not ${length}`,
          "length",
          LENGTH_FIELD_OFFSET,
        );
      const protocolVersion = r.u16("protocolVersion");
      return { command: "registerSession", protocolVersion, optionFlags: r.u16("optionFlags") };
    }
    case UNREGISTER_SESSION:
      if (length !== 0)
        throw r.fail(
          "invalid",
          `UnRegisterSession has no data, got ${length} byte(s)`,
          "length",
          LENGTH_FIELD_OFFSET,
        );
      return { command: "unRegisterSession" };
    case LIST_SERVICES:
    case LIST_IDENTITY:
    case LIST_INTERFACES:
    case LEGACY: {
      const command = listCommandName(header.command);
      if (length === 0) return { command };
      const cpf = decodeCpf(r, limits);
      expectEnd(r);
      return { command, cpf };
    }
    case NOP:
      return { command: "nop", data: r.rest() };
    default:
      return { command: "raw", data: r.rest() };
  }
}

function listCommandName(command: number): ListBody["command"] {
  return command === LIST_SERVICES
    ? "listServices"
    : command === LIST_IDENTITY
      ? "listIdentity"
      : command === LIST_INTERFACES
        ? "listInterfaces"
        : "legacy";
}

function expectEnd(r: Reader): void {
  if (r.remaining !== 0) throw r.fail("invalid", `${r.remaining} byte(s) follow the CPF`);
}

/** Bytes of a body on the wire: the value of the header's length field. */
export function sizeOfEncapsulationBody(body: EncapsulationBody): number {
  switch (body.command) {
    case "sendRRData":
    case "sendUnitData":
      return SEND_DATA_PREFIX_SIZE + sizeOfCpf(body.cpf);
    case "registerSession":
      return REGISTER_SESSION_SIZE;
    case "unRegisterSession":
      return 0;
    case "listServices":
    case "listIdentity":
    case "listInterfaces":
    case "legacy":
      return body.cpf === undefined ? 0 : sizeOfCpf(body.cpf);
    case "nop":
    case "raw":
      return body.data.length;
    default:
      return unknownCommand(body);
  }
}

/** Bytes of a whole frame: the 24-byte header and the body. */
export function sizeOfEncapsulation(frame: EncapsulationFrameInit): number {
  return ENCAPSULATION_HEADER_SIZE + sizeOfEncapsulationBody(frame.body);
}

/** The command code a body is sent with; a raw body takes the header's. */
function commandCodeOf(body: EncapsulationBody, header: EncapsulationHeaderInit | undefined): number {
  switch (body.command) {
    case "sendRRData":
      return SEND_RR_DATA;
    case "sendUnitData":
      return SEND_UNIT_DATA;
    case "registerSession":
      return REGISTER_SESSION;
    case "unRegisterSession":
      return UNREGISTER_SESSION;
    case "listServices":
      return LIST_SERVICES;
    case "listIdentity":
      return LIST_IDENTITY;
    case "listInterfaces":
      return LIST_INTERFACES;
    case "legacy":
      return LEGACY;
    case "nop":
      return NOP;
    case "raw":
      if (header?.command === undefined) throw new CipEncodeError('a raw body needs "header.command"');
      checkRange("command", header.command, 0, MAX_U16);
      return header.command;
    default:
      return unknownCommand(body);
  }
}

/**
 * Writes a whole frame, computing the length field from the body. Throws `CipEncodeError` when a
 * value does not fit, the data exceeds 65535 bytes, or `header.command` disagrees with the body.
 */
export function writeEncapsulation(w: Writer, frame: EncapsulationFrameInit): void {
  const { header, body } = frame;
  const command = commandCodeOf(body, header);
  if (header?.command !== undefined && header.command !== command)
    throw new CipEncodeError(
      `"header.command" 0x${header.command.toString(16)} disagrees with a ${body.command} body`,
    );
  const length = sizeOfEncapsulationBody(body);
  if (length > MAX_ENCAPSULATION_LENGTH)
    throw new CipEncodeError(`encapsulation data of ${length} bytes exceeds ${MAX_ENCAPSULATION_LENGTH}`);
  writeHeaderFields(
    w,
    command,
    length,
    header?.session ?? 0,
    header?.status ?? 0,
    header?.senderContext,
    header?.options ?? 0,
  );
  switch (body.command) {
    case "sendRRData":
    case "sendUnitData":
      checkRange("interfaceHandle", body.interfaceHandle, 0, MAX_U32);
      checkRange("timeout", body.timeout, 0, MAX_U16);
      w.u32(body.interfaceHandle);
      w.u16(body.timeout);
      encodeCpf(w, body.cpf);
      return;
    case "registerSession":
      checkRange("protocolVersion", body.protocolVersion, 0, MAX_U16);
      checkRange("optionFlags", body.optionFlags, 0, MAX_U16);
      w.u16(body.protocolVersion);
      w.u16(body.optionFlags);
      return;
    case "listServices":
    case "listIdentity":
    case "listInterfaces":
    case "legacy":
      if (body.cpf !== undefined) encodeCpf(w, body.cpf);
      return;
    case "nop":
    case "raw":
      w.raw(body.data);
      return;
    case "unRegisterSession":
      return;
    default:
      unknownCommand(body);
  }
}

/** A whole frame as bytes, in one exactly sized buffer; see `writeEncapsulation`. */
export function encodeEncapsulation(frame: EncapsulationFrameInit): Uint8Array {
  const w = new Writer(sizeOfEncapsulation(frame));
  writeEncapsulation(w, frame);
  return w.finish();
}

function unknownCommand(body: never): never {
  throw new CipEncodeError(
    `unknown encapsulation body ${JSON.stringify((body as { command?: unknown }).command)}`,
  );
}

import { CpppoError, defineError } from "@cpppo/automata/errors";

export { CpppoError, type DefinedError, defineError, InvalidArgumentError } from "@cpppo/automata/errors";

/**
 * A PDU a decoder cannot accept (code `ERR_MODBUS_PDU`). `exceptionCode` is the Modbus exception a server
 * answers with: 1 (Illegal Function) for an unknown function code or an empty PDU, 3 (Illegal Data Value) for a
 * bad quantity, byte count, value or length. `functionCode` is the PDU's first byte (-1 when there is none) and
 * `offset` the byte the decoder stopped at.
 */
export class ModbusPduError extends CpppoError {
  static override readonly code = "ERR_MODBUS_PDU";
  readonly exceptionCode: number;
  readonly functionCode: number;
  readonly offset: number;
  constructor(exceptionCode: number, functionCode: number, offset: number, detail: string) {
    super(
      "ERR_MODBUS_PDU",
      `${detail} (function ${functionCode}, offset ${offset}, exception ${exceptionCode})`,
    );
    this.name = "ModbusPduError";
    this.exceptionCode = exceptionCode;
    this.functionCode = functionCode;
    this.offset = offset;
  }
}

/**
 * A Modbus/TCP stream or ADU that has lost its framing (code `ERR_MODBUS_FRAME`): protocol id other than 0, an
 * MBAP length outside 2…254, or an ADU whose length field disagrees with its size. A server closes the connection.
 */
export class ModbusFrameError extends defineError("ERR_MODBUS_FRAME", "ModbusFrameError") {}

/** An RTU ADU whose CRC-16 does not match its bytes, or one too short to carry a CRC (code `ERR_MODBUS_CRC`). */
export class ModbusCrcError extends defineError("ERR_MODBUS_CRC", "ModbusCrcError") {}

/**
 * A value an encoder cannot put on the wire (code `ERR_MODBUS_ENCODE`): a field out of range, a quantity outside
 * the protocol's limits, a PDU over 253 bytes, a string that does not fit its registers.
 */
export class ModbusEncodeError extends defineError("ERR_MODBUS_ENCODE", "ModbusEncodeError") {}

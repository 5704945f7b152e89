/** The request and response shapes of every PDU, discriminated on `fc`. Addresses are 0-based protocol addresses. */

export type ReadRequest = { fc: 1 | 2 | 3 | 4; address: number; quantity: number };
export type WriteSingleCoilRequest = { fc: 5; address: number; value: boolean };
export type WriteSingleRegisterRequest = { fc: 6; address: number; value: number };
export type WriteMultipleCoilsRequest = { fc: 15; address: number; values: boolean[] };
export type WriteMultipleRegistersRequest = { fc: 16; address: number; values: number[] };
export type MaskWriteRegisterRequest = { fc: 22; address: number; andMask: number; orMask: number };
export type ReadWriteMultipleRegistersRequest = {
  fc: 23;
  readAddress: number;
  readQuantity: number;
  writeAddress: number;
  values: number[];
};
/** FC43 / MEI 14: Read Device Identification. `readDeviceIdCode` 1 basic, 2 regular, 3 extended, 4 one object. */
export type ReadDeviceIdentificationRequest = {
  fc: 43;
  meiType: 14;
  readDeviceIdCode: 1 | 2 | 3 | 4;
  objectId: number;
};

export type ModbusRequest =
  | ReadRequest
  | WriteSingleCoilRequest
  | WriteSingleRegisterRequest
  | WriteMultipleCoilsRequest
  | WriteMultipleRegistersRequest
  | MaskWriteRegisterRequest
  | ReadWriteMultipleRegistersRequest
  | ReadDeviceIdentificationRequest;

/** FC1/FC2 reply: the bits of every byte sent, padded to whole bytes; the caller truncates to its quantity. */
export type ReadBitsResponse = { fc: 1 | 2; bits: boolean[] };
export type ReadRegistersResponse = { fc: 3 | 4 | 23; registers: number[] };
export type WriteSingleCoilResponse = { fc: 5; address: number; value: boolean };
export type WriteSingleRegisterResponse = { fc: 6; address: number; value: number };
export type WriteMultipleResponse = { fc: 15 | 16; address: number; quantity: number };
export type MaskWriteRegisterResponse = { fc: 22; address: number; andMask: number; orMask: number };
/** One object of a Read Device Identification reply. */
export type DeviceIdObject = { id: number; value: Uint8Array };
export type ReadDeviceIdentificationResponse = {
  fc: 43;
  meiType: 14;
  readDeviceIdCode: number;
  conformityLevel: number;
  moreFollows: boolean;
  nextObjectId: number;
  objects: DeviceIdObject[];
};

export type ModbusResponse =
  | ReadBitsResponse
  | ReadRegistersResponse
  | WriteSingleCoilResponse
  | WriteSingleRegisterResponse
  | WriteMultipleResponse
  | MaskWriteRegisterResponse
  | ReadDeviceIdentificationResponse;

/** An exception reply: `fc` is the request's function code, without the 0x80 bit. */
export type ModbusExceptionResponse = { fc: number; exception: number };

/** True when `res` is an exception reply. */
export function isExceptionResponse(
  res: ModbusResponse | ModbusExceptionResponse,
): res is ModbusExceptionResponse {
  return "exception" in res;
}

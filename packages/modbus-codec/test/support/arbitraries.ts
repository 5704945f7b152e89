/** fast-check arbitraries of every request and response shape, within the protocol's limits. */
import fc from "fast-check";
import { QUANTITY_LIMITS } from "../../src/core/tables.js";
import type { ModbusExceptionResponse, ModbusRequest, ModbusResponse } from "../../src/pdu/types.js";

const u16 = fc.integer({ min: 0, max: 0xffff });
const u8 = fc.integer({ min: 0, max: 0xff });
const registers = (max: number) => fc.array(u16, { minLength: 1, maxLength: max });

export const request: fc.Arbitrary<ModbusRequest> = fc.oneof(
  fc.record({
    fc: fc.constantFrom(1 as const, 2 as const),
    address: u16,
    quantity: fc.integer({ min: 1, max: QUANTITY_LIMITS.readBits }),
  }),
  fc.record({
    fc: fc.constantFrom(3 as const, 4 as const),
    address: u16,
    quantity: fc.integer({ min: 1, max: QUANTITY_LIMITS.readRegisters }),
  }),
  fc.record({ fc: fc.constant(5 as const), address: u16, value: fc.boolean() }),
  fc.record({ fc: fc.constant(6 as const), address: u16, value: u16 }),
  fc.record({
    fc: fc.constant(15 as const),
    address: u16,
    values: fc.array(fc.boolean(), { minLength: 1, maxLength: QUANTITY_LIMITS.writeBits }),
  }),
  fc.record({
    fc: fc.constant(16 as const),
    address: u16,
    values: registers(QUANTITY_LIMITS.writeRegisters),
  }),
  fc.record({ fc: fc.constant(22 as const), address: u16, andMask: u16, orMask: u16 }),
  fc.record({
    fc: fc.constant(23 as const),
    readAddress: u16,
    readQuantity: fc.integer({ min: 1, max: QUANTITY_LIMITS.readWriteRead }),
    writeAddress: u16,
    values: registers(QUANTITY_LIMITS.readWriteWrite),
  }),
  fc.record({
    fc: fc.constant(43 as const),
    meiType: fc.constant(14 as const),
    readDeviceIdCode: fc.constantFrom(1 as const, 2 as const, 3 as const, 4 as const),
    objectId: u8,
  }),
);

/** Bits in whole bytes, as a decoder returns them. */
const bits = fc
  .integer({ min: 1, max: QUANTITY_LIMITS.readBits / 8 })
  .chain((n) => fc.array(fc.boolean(), { minLength: 8 * n, maxLength: 8 * n }));

const deviceObjects = fc
  .array(fc.record({ id: u8, value: fc.uint8Array({ maxLength: 40 }) }), { maxLength: 8 })
  .filter((objs) => objs.reduce((n, o) => n + 2 + o.value.length, 7) <= 253);

export const response: fc.Arbitrary<ModbusResponse> = fc.oneof(
  fc.record({ fc: fc.constantFrom(1 as const, 2 as const), bits }),
  fc.record({
    fc: fc.constantFrom(3 as const, 4 as const, 23 as const),
    registers: registers(QUANTITY_LIMITS.readRegisters),
  }),
  fc.record({ fc: fc.constant(5 as const), address: u16, value: fc.boolean() }),
  fc.record({ fc: fc.constant(6 as const), address: u16, value: u16 }),
  fc.record({
    fc: fc.constant(15 as const),
    address: u16,
    quantity: fc.integer({ min: 1, max: QUANTITY_LIMITS.writeBits }),
  }),
  fc.record({
    fc: fc.constant(16 as const),
    address: u16,
    quantity: fc.integer({ min: 1, max: QUANTITY_LIMITS.writeRegisters }),
  }),
  fc.record({ fc: fc.constant(22 as const), address: u16, andMask: u16, orMask: u16 }),
  fc.record({
    fc: fc.constant(43 as const),
    meiType: fc.constant(14 as const),
    readDeviceIdCode: fc.integer({ min: 1, max: 4 }),
    conformityLevel: fc.constantFrom(0x01, 0x02, 0x03, 0x81, 0x82, 0x83),
    moreFollows: fc.boolean(),
    nextObjectId: u8,
    objects: deviceObjects,
  }),
);

export const exception: fc.Arbitrary<ModbusExceptionResponse> = fc.record({
  fc: fc.integer({ min: 1, max: 0x7f }),
  exception: u8,
});

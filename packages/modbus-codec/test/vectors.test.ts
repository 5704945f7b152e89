/**
 * The 23 real ADUs of fixtures/modbus-vectors.json: each decodes to the vector's own fields and re-encodes
 * byte-exact, as a TCP ADU and as a PDU.
 */

import { decodeTcpAdu, encodeTcpAdu } from "../src/adu/tcp.js";
import { decodeRequestPdu, decodeResponsePdu, encodeRequestPdu, encodeResponsePdu } from "../src/pdu/pdu.js";
import { bytes, hex, VECTORS } from "./support/vectors.js";

/** The vector's list of bit or register values (its key names the addresses, e.g. `coils_20_to_38`). */
function listField(decoded: Record<string, unknown>, prefix: string): number[] {
  const key = Object.keys(decoded).find((k) => k.startsWith(prefix));
  if (key === undefined) throw new Error(`no ${prefix}* field`);
  return decoded[key] as number[];
}

describe("the Modbus vectors", () => {
  it("holds all 23 ADUs", () => {
    expect(VECTORS).toHaveLength(23);
  });

  describe.each(VECTORS.map((v) => [v.name, v] as const))("%s", (_name, v) => {
    const adu = bytes(v.hex);
    const d = v.decoded;

    it("has the MBAP fields and re-encodes byte-exact", () => {
      const tcp = decodeTcpAdu(adu);
      expect(tcp.transactionId).toBe(d.transaction_id);
      expect(tcp.protocolId).toBe(d.protocol_id);
      expect(tcp.unitId).toBe(d.unit_id);
      expect(hex(tcp.pdu)).toBe(v.pdu_hex);
      expect(hex(encodeTcpAdu(tcp.transactionId, tcp.unitId, tcp.pdu))).toBe(v.hex);
    });

    it("decodes to the vector's fields and re-encodes byte-exact", () => {
      const pdu = bytes(v.pdu_hex);
      const fc = d.function_code as number;
      if (v.direction === "request") {
        const req = decodeRequestPdu(pdu);
        expect(req.fc).toBe(fc);
        switch (req.fc) {
          case 1:
          case 2:
          case 3:
          case 4:
            expect(req).toEqual({ fc, address: d.starting_address, quantity: d.quantity });
            break;
          case 5:
            expect(req).toEqual({ fc, address: d.output_address, value: d.output_value === 0xff00 });
            break;
          case 6:
            expect(req).toEqual({ fc, address: d.register_address, value: d.register_value });
            break;
          case 15:
            expect(req.address).toBe(d.starting_address);
            expect(req.values).toHaveLength(d.quantity as number);
            expect(req.values.map(Number)).toEqual(listField(d, "coils_"));
            break;
          case 16:
            expect(req).toEqual({ fc, address: d.starting_address, values: d.registers });
            break;
          default:
            throw new Error(`no check for request fc ${req.fc}`);
        }
        expect(hex(encodeRequestPdu(req))).toBe(v.pdu_hex);
        return;
      }
      const res = decodeResponsePdu(pdu);
      if ("exception" in res) {
        expect(res).toEqual({ fc: fc & 0x7f, exception: d.exception_code });
      } else {
        expect(res.fc).toBe(fc);
        switch (res.fc) {
          case 1:
          case 2: {
            const expected = listField(d, res.fc === 1 ? "coils_" : "inputs_");
            expect(res.bits).toHaveLength((d.byte_count as number) * 8);
            expect(res.bits.slice(0, expected.length).map(Number)).toEqual(expected);
            break;
          }
          case 3:
          case 4:
            expect(res.registers).toEqual(listField(d, res.fc === 3 ? "registers_" : "register_"));
            expect(res.registers.length * 2).toBe(d.byte_count);
            break;
          case 5:
            expect(res).toEqual({ fc, address: d.output_address, value: d.output_value === 0xff00 });
            break;
          case 6:
            expect(res).toEqual({ fc, address: d.register_address, value: d.register_value });
            break;
          case 15:
          case 16:
            expect(res).toEqual({ fc, address: d.starting_address, quantity: d.quantity });
            break;
          default:
            throw new Error(`no check for reply fc ${res.fc}`);
        }
      }
      expect(hex(encodeResponsePdu(res))).toBe(v.pdu_hex);
    });
  });
});

import fc from "fast-check";
import {
  decodeIdentityBytes,
  decodeInterfaceConfiguration,
  decodeTcpIpInterfaceBytes,
  encodeIdentityBytes,
  encodeInterfaceConfiguration,
  encodeTcpIpInterfaceBytes,
  type Identity,
  type InterfaceConfiguration,
  sizeOfIdentity,
  sizeOfInterfaceConfiguration,
  sizeOfTcpIpInterface,
  type TcpIpInterface,
} from "../src/bodies/objects.js";
import type { EPath } from "../src/cip/epath.js";
import { CipDecodeError, CipEncodeError } from "../src/core/errors.js";
import { fromHex, toHex } from "../src/core/hex.js";
import { Reader } from "../src/core/reader.js";
import { Writer } from "../src/core/writer.js";
import { loadVectors, type Vector as SharedVector } from "./support/vectors.js";

type Vector = SharedVector<Record<string, unknown>>;
const vectors = loadVectors<Record<string, unknown>>();
const byName = (name: string) => vectors.find((v) => v.name === name) as Vector;

/** Reply data of a CIP reply with no extended status: after service, reserved, general status and size bytes. */
function replyData(cipHex: string): Uint8Array {
  const cip = fromHex(cipHex);
  if (cip[3] !== 0) throw new Error("these vectors carry no extended status");
  return cip.subarray(4);
}

/** The CIP reply in a full SendRRData frame's second CPF item (24 header + 6 interface/timeout + 2 count + 4 null item + 4 header). */
function cipOfFrame(hex: string): string {
  return hex.slice(2 * (24 + 6 + 2 + 4 + 4));
}

interface VectorIdentity {
  vendor_id: number;
  device_type: number;
  product_code: number;
  revision: string;
  status_word: number;
  serial_number: number;
  product_name: string;
  state?: number;
  configuration_consistency_value?: number;
  heartbeat_interval?: number;
}

function identityOf(v: VectorIdentity): Identity {
  const [major, minor] = v.revision.split(".").map(Number) as [number, number];
  const out: Identity = {
    vendorId: v.vendor_id,
    deviceType: v.device_type,
    productCode: v.product_code,
    revision: { major, minor },
    status: v.status_word,
    serialNumber: v.serial_number,
    productName: v.product_name,
  };
  if (v.state !== undefined) out.state = v.state;
  if (v.configuration_consistency_value !== undefined)
    out.configurationConsistencyValue = v.configuration_consistency_value;
  if (v.heartbeat_interval !== undefined) out.heartbeatInterval = v.heartbeat_interval;
  return out;
}

describe("Identity Get Attributes All", () => {
  const cases: [string, string, VectorIdentity][] = [];
  {
    const real = byName("gaa_011_reply");
    const cip = (real.decoded.cpf as { items: { cip?: { identity: VectorIdentity; data: string } }[] })
      .items[1]?.cip;
    cases.push([
      "gaa_011_reply (real ControlLogix, no state)",
      cipOfFrame(real.hex),
      cip?.identity as VectorIdentity,
    ]);
    it("slices gaa_011_reply's reply data by hand", () => {
      expect(toHex(replyData(cipOfFrame(real.hex)))).toBe(cip?.data);
    });
    const sim = byName("sim_identity_gaa_reply");
    cases.push([
      "sim_identity_gaa_reply (state, CCV, heartbeat)",
      sim.hex,
      sim.decoded.identity as VectorIdentity,
    ]);
  }
  for (const [name, cipHex, fields] of cases) {
    describe(name, () => {
      const data = replyData(cipHex);
      const identity = identityOf(fields);
      it("decodes", () => {
        expect(decodeIdentityBytes(data)).toEqual(identity);
      });
      it("encodes", () => {
        expect(sizeOfIdentity(identity)).toBe(data.length);
        expect(toHex(encodeIdentityBytes(identity))).toBe(toHex(data));
      });
      it("round-trips", () => {
        expect(decodeIdentityBytes(encodeIdentityBytes(identity))).toEqual(identity);
      });
    });
  }

  it("the cpppo reply of §2.14 with state 0xFF, CCV 0, heartbeat 0", () => {
    const data = fromHex("01000e003600140b60311a066c0014313735362d4c36312f42204c4f47495835353631ff000000");
    expect(decodeIdentityBytes(data)).toMatchObject({ revision: { major: 20, minor: 11 }, state: 0xff });
  });

  it("rejects short data and out-of-order optional attributes", () => {
    expect(() => decodeIdentityBytes(fromHex("01000e003600140b60311a066c0014"))).toThrow(CipDecodeError);
    const base = identityOf(byName("sim_identity_gaa_reply").decoded.identity as VectorIdentity);
    const { state: _, ...noState } = base;
    expect(() => encodeIdentityBytes(noState)).toThrow(CipEncodeError);
    expect(() => encodeIdentityBytes({ ...base, vendorId: 0x10000 })).toThrow(CipEncodeError);
    expect(() => encodeIdentityBytes({ ...base, productName: "x".repeat(256) })).toThrow(CipEncodeError);
  });
});

interface VectorIface {
  ip_address: string;
  network_mask: string;
  gateway_address: string;
  dns_primary: string;
  dns_secondary: string;
  domain_name: string;
}
const ifaceOf = (v: VectorIface): InterfaceConfiguration => ({
  ipAddress: v.ip_address,
  networkMask: v.network_mask,
  gatewayAddress: v.gateway_address,
  nameServer: v.dns_primary,
  nameServer2: v.dns_secondary,
  domainName: v.domain_name,
});

describe("TCP/IP Interface", () => {
  describe("type_ifaceaddrs (attribute 5 with an odd-length, padded domain name)", () => {
    const v = byName("type_ifaceaddrs");
    const bytes = fromHex(v.hex);
    const config = ifaceOf(v.decoded as unknown as VectorIface);
    it("decodes", () => {
      const r = new Reader(bytes);
      expect(decodeInterfaceConfiguration(r)).toEqual(config);
      expect(r.remaining).toBe(0);
    });
    it("encodes", () => {
      const w = new Writer(sizeOfInterfaceConfiguration(config));
      encodeInterfaceConfiguration(w, config);
      expect(toHex(w.finish())).toBe(v.hex);
    });
    it("round-trips", () => {
      const w = new Writer();
      encodeInterfaceConfiguration(w, config);
      expect(decodeInterfaceConfiguration(new Reader(w.finish()))).toEqual(config);
    });
  });

  describe("sim_tcpip_gaa_reply (Get Attributes All)", () => {
    const v = byName("sim_tcpip_gaa_reply");
    const data = replyData(v.hex);
    const d = v.decoded.tcpip as {
      interface_status: number;
      configuration_capability: number;
      configuration_control: number;
      physical_link_path_words: number;
      interface_configuration: VectorIface;
      host_name: string;
    };
    const tcpip: TcpIpInterface = {
      status: d.interface_status,
      configurationCapability: d.configuration_capability,
      configurationControl: d.configuration_control,
      physicalLinkPath: [],
      interfaceConfiguration: ifaceOf(d.interface_configuration),
      hostName: d.host_name,
    };
    it("decodes", () => {
      expect(decodeTcpIpInterfaceBytes(data)).toEqual(tcpip);
    });
    it("encodes", () => {
      expect(sizeOfTcpIpInterface(tcpip)).toBe(data.length);
      expect(toHex(encodeTcpIpInterfaceBytes(tcpip))).toBe(toHex(data));
    });
    it("round-trips", () => {
      expect(decodeTcpIpInterfaceBytes(encodeTcpIpInterfaceBytes(tcpip))).toEqual(tcpip);
    });
  });

  it("a device's reply: link path @0xF6/1, names, and later attributes kept raw", () => {
    const tcpip: TcpIpInterface = {
      status: 1,
      configurationCapability: 0x94,
      configurationControl: 2,
      physicalLinkPath: [{ class: 0xf6 }, { instance: 1 }],
      interfaceConfiguration: {
        ipAddress: "192.168.1.10",
        networkMask: "255.255.255.0",
        gatewayAddress: "192.168.1.1",
        nameServer: "0.0.0.0",
        nameServer2: "0.0.0.0",
        domainName: "plant.example",
      },
      hostName: "plc",
      moreAttributes: fromHex("0000000000000001"),
    };
    const hex = [
      "01000000" + "94000000" + "02000000", // status, capability, control
      "0200" + "20f6" + "2401", // link path: 2 words, class 0xF6, instance 1
      "0a01a8c0" + "00ffffff" + "0101a8c0", // IP, mask, gateway as little-endian UDINTs
      "00000000" + "00000000", // name servers
      "0d00" + "706c616e742e6578616d706c65" + "00", // domain name, 13 characters, pad
      "0300" + "706c63" + "00", // host name, 3 characters, pad
      "0000000000000001", // attributes 7.. as raw bytes
    ].join("");
    expect(toHex(encodeTcpIpInterfaceBytes(tcpip))).toBe(hex);
    expect(decodeTcpIpInterfaceBytes(fromHex(hex))).toEqual(tcpip);
  });

  it("tolerates a missing final pad byte and rejects short data", () => {
    const noPad = fromHex(`${"00".repeat(12)}0000${"00".repeat(20)}0000${"0100"}${"41"}`);
    expect(decodeTcpIpInterfaceBytes(noPad).hostName).toBe("A");
    expect(() => decodeTcpIpInterfaceBytes(noPad.subarray(0, 30))).toThrow(CipDecodeError);
    expect(() =>
      encodeTcpIpInterfaceBytes({
        status: 0,
        configurationCapability: 0,
        configurationControl: 0,
        physicalLinkPath: [],
        interfaceConfiguration: {
          ...ifaceOf(byName("type_ifaceaddrs").decoded as unknown as VectorIface),
          ipAddress: "300.1.1.1",
        },
        hostName: "",
      }),
    ).toThrow(CipEncodeError);
  });
});

const text = (max: number) =>
  fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: max }).map((c) => String.fromCharCode(...c));

describe("object properties", () => {
  it("identities round-trip", () => {
    const arb = fc
      .record({
        vendorId: fc.integer({ min: 0, max: 0xffff }),
        deviceType: fc.integer({ min: 0, max: 0xffff }),
        productCode: fc.integer({ min: 0, max: 0xffff }),
        revision: fc.record({
          major: fc.integer({ min: 0, max: 255 }),
          minor: fc.integer({ min: 0, max: 255 }),
        }),
        status: fc.integer({ min: 0, max: 0xffff }),
        serialNumber: fc.integer({ min: 0, max: 0xffffffff }),
        productName: text(255),
        optional: fc.integer({ min: 0, max: 3 }),
      })
      .map(({ optional, ...identity }): Identity => {
        const out: Identity = { ...identity };
        if (optional > 0) out.state = 3;
        if (optional > 1) out.configurationConsistencyValue = 0x1234;
        if (optional > 2) out.heartbeatInterval = 9;
        return out;
      });
    fc.assert(
      fc.property(arb, (identity) => {
        expect(decodeIdentityBytes(encodeIdentityBytes(identity))).toEqual(identity);
      }),
    );
  });

  it("TCP/IP replies round-trip", () => {
    const arb = fc.record({
      status: fc.integer({ min: 0, max: 0xffffffff }),
      configurationCapability: fc.integer({ min: 0, max: 0xffffffff }),
      configurationControl: fc.integer({ min: 0, max: 0xffffffff }),
      physicalLinkPath: fc.constantFrom<EPath>(
        [],
        [{ class: 0xf6 }, { instance: 1 }],
        [{ port: 1, link: 0 }],
      ),
      interfaceConfiguration: fc.record({
        ipAddress: fc.ipV4(),
        networkMask: fc.ipV4(),
        gatewayAddress: fc.ipV4(),
        nameServer: fc.ipV4(),
        nameServer2: fc.ipV4(),
        domainName: text(48),
      }),
      hostName: text(64),
    });
    fc.assert(
      fc.property(arb, (tcpip) => {
        expect(decodeTcpIpInterfaceBytes(encodeTcpIpInterfaceBytes(tcpip))).toEqual(tcpip);
      }),
    );
  });

  it("random bytes decode to an object or a CipDecodeError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        for (const decode of [decodeIdentityBytes, decodeTcpIpInterfaceBytes]) {
          try {
            decode(bytes);
          } catch (e) {
            expect(e).toBeInstanceOf(CipDecodeError);
          }
        }
      }),
      { numRuns: 2000 },
    );
  });
});

import {
  decodeIdentityBytes,
  decodeTcpIpInterfaceBytes,
  encodeValues,
  forwardCloseRequest,
  getAttributeListRequest,
  getAttributeSingleRequest,
  getAttributesAllRequest,
  PADDED_STRING,
  parseEPath,
  readTagRequest,
  setAttributeSingleRequest,
  UDINT,
  UINT,
  unconnectedSend,
} from "@cpppo/cip-codec";
import { Controller } from "../src/controller/controller.js";
import { hexOf as h, run } from "./support/controller.js";

const path = (text: string) => parseEPath(text);

describe("Identity @1/1", () => {
  it("answers Get Attributes All with cpppo's bytes", () => {
    const x = run(new Controller(), getAttributesAllRequest(path("@1/1")));
    expect(x.hex).toBe(
      h('81 00 00 00 01 00 0e 00 36 00 14 0b 60 31 1a 06 6c 00 14 "1756-L61/B LOGIX5561" ff 00 00 00'),
    );
    if (x.reply.kind !== "generic") throw new Error("generic reply expected");
    expect(decodeIdentityBytes(x.reply.data)).toEqual(new Controller().identity);
  });

  it("answers each attribute 1..10 with Get Attribute Single", () => {
    const c = new Controller({ identity: { productName: "1756-L85E/B", serialNumber: 0x12345678 } });
    const attr = (n: number) => run(c, getAttributeSingleRequest(path(`@1/1/${n}`))).hex.slice(8);
    expect(attr(1)).toBe("0100");
    expect(attr(4)).toBe("140b");
    expect(attr(6)).toBe("78563412");
    expect(attr(7)).toBe(h('0b "1756-L85E/B"'));
    expect(attr(8)).toBe("ff");
    expect(attr(10)).toBe("00");
  });

  it("reads the live identity: a change shows in the next reply", () => {
    const c = new Controller();
    c.identity.status = 0x0030;
    expect(run(c, getAttributeSingleRequest(path("@1/1/5"))).hex).toBe(h("8e 00 00 00 30 00"));
  });

  it("answers a missing attribute with 0x14 (attribute not supported)", () => {
    expect(run(new Controller(), getAttributeSingleRequest(path("@1/1/99"))).hex).toBe(h("8e 00 14 00"));
  });

  it("refuses to set an identity attribute (0x0E)", () => {
    expect(
      run(new Controller(), setAttributeSingleRequest(path("@1/1/1"), encodeValues(UINT, [5]))).hex,
    ).toBe(h("90 00 0e 00"));
  });
});

describe("class attributes at instance 0", () => {
  it("answers revision, max instance and number of instances", () => {
    const c = new Controller();
    const x = run(c, getAttributeListRequest(path("@1/0"), [1, 2, 3]));
    expect(x.hex).toBe(h("83 00 00 00 03 00 01 00 00 00 01 00 02 00 00 00 01 00 03 00 00 00 01 00"));
    expect(run(c, getAttributeSingleRequest(path("@0xf5/0/1"))).hex).toBe(h("8e 00 00 00 03 00"));
    expect(run(c, getAttributesAllRequest(path("@0x6c/0"))).reply.generalStatus).toBe(0);
  });
});

describe("Get Attribute List 0x03 and Set Attribute List 0x04", () => {
  it("answers in the spec form: count, then id, status and value per attribute; 0x0A when one fails", () => {
    const c = new Controller();
    const x = run(c, getAttributeListRequest(path("@1/1"), [1, 99, 3]));
    expect(x.hex).toBe(h("83 00 0a 00 03 00 01 00 00 00 01 00 63 00 14 00 03 00 00 00 36 00"));
    expect(x.reply).toMatchObject({
      kind: "getAttributeList",
      generalStatus: 0x0a,
      attributes: [
        { id: 1, status: 0, value: Uint8Array.of(1, 0) },
        { id: 99, status: 0x14 },
        { id: 3, status: 0, value: Uint8Array.of(0x36, 0) },
      ],
    });
  });

  it("sets several attributes and reports each status", () => {
    const c = new Controller();
    const x = run(c, {
      kind: "setAttributeList",
      service: 0x04,
      path: path("@0xf5/1"),
      attributes: [
        { id: 3, value: encodeValues(UDINT, [0x10]) },
        { id: 1, value: encodeValues(UDINT, [0]) },
        { id: 6, value: encodeValues(PADDED_STRING, ["plc7"]) },
      ],
    });
    expect(x.reply).toMatchObject({
      kind: "setAttributeList",
      generalStatus: 0x0a,
      attributes: [
        { id: 3, status: 0 },
        { id: 1, status: 0x0e },
        { id: 6, status: 0 },
      ],
    });
    expect(c.tcpip.configurationControl).toBe(0x10);
    expect(c.tcpip.hostName).toBe("plc7");
  });
});

describe("TCP/IP Interface @0xF5/1", () => {
  it("answers Get Attributes All with attributes 1..6 the codec decodes back to the live values", () => {
    const c = new Controller({
      tcpip: { hostName: "sim", interfaceConfiguration: { ipAddress: "10.0.0.5" } as never },
    });
    const x = run(c, getAttributesAllRequest(path("@0xf5/1")));
    if (x.reply.kind !== "generic") throw new Error("generic reply expected");
    const decoded = decodeTcpIpInterfaceBytes(x.reply.data);
    expect(decoded).toEqual(c.tcpip);
    expect(decoded.interfaceConfiguration.ipAddress).toBe("10.0.0.5");
    expect(decoded.interfaceConfiguration.networkMask).toBe("0.0.0.0");
    expect(decoded.physicalLinkPath).toEqual([{ class: 0xf6 }, { instance: 1 }]);
    expect(x.hex.slice(8, 32)).toBe(h("02 00 00 00 30 00 00 00 00 00 00 00"));
  });

  it("answers attributes 4, 5, 6 and the later ones with Get Attribute Single", () => {
    const c = new Controller();
    expect(run(c, getAttributeSingleRequest(path("@0xf5/1/4"))).hex).toBe(h("8e 00 00 00 02 00 20 f6 24 01"));
    expect(run(c, getAttributeSingleRequest(path("@0xf5/1/6"))).hex).toBe(h("8e 00 00 00 00 00"));
    expect(run(c, getAttributeSingleRequest(path("@0xf5/1/13"))).hex).toBe(h("8e 00 00 00 78 00"));
  });

  it("sets the host name (padded STRING) and the interface configuration", () => {
    const c = new Controller();
    expect(
      run(c, setAttributeSingleRequest(path("@0xf5/1/6"), encodeValues(PADDED_STRING, ["abc"]))).hex,
    ).toBe(h("90 00 00 00"));
    expect(c.tcpip.hostName).toBe("abc");
    expect(run(c, getAttributeSingleRequest(path("@0xf5/1/6"))).hex).toBe(h('8e 00 00 00 03 00 "abc" 00'));
    const config = run(c, getAttributeSingleRequest(path("@0xf5/1/5")));
    if (config.reply.kind !== "generic") throw new Error("generic reply expected");
    const changed = config.reply.data.slice();
    changed[0] = 7;
    expect(run(c, setAttributeSingleRequest(path("@0xf5/1/5"), changed)).reply.generalStatus).toBe(0);
    expect(c.tcpip.interfaceConfiguration.ipAddress).toBe("0.0.0.7");
  });
});

describe("Ethernet Link @0xF6/1", () => {
  it("answers speed, flags and MAC like a 1756-EN2T on a 100 Mbit/s full-duplex port", () => {
    const c = new Controller({ ethernetLink: { physicalAddress: "00:00:BC:01:02:03" } });
    expect(run(c, getAttributeSingleRequest(path("@0xf6/1/1"))).hex).toBe(h("8e 00 00 00 64 00 00 00"));
    expect(run(c, getAttributeSingleRequest(path("@0xf6/1/2"))).hex).toBe(h("8e 00 00 00 0f 00 00 00"));
    expect(run(c, getAttributeSingleRequest(path("@0xf6/1/3"))).hex).toBe(h("8e 00 00 00 00 00 bc 01 02 03"));
    expect(run(c, getAttributeSingleRequest(path("@0xf6/1/4"))).bytes.length).toBe(4 + 44);
  });

  it("answers Get Attributes All with attributes 1..11 in order", () => {
    const x = run(new Controller(), getAttributesAllRequest(path("@0xf6/1")));
    expect(x.bytes.length).toBe(4 + 4 + 4 + 6 + 44 + 48 + 4 + 1 + 1 + 1 + 1 + 17);
    expect(x.hex.slice(8, 36)).toBe(h("64 00 00 00 0f 00 00 00 00 00 bc 3c 6f 01"));
  });
});

describe("objects Logix clients probe", () => {
  it("answers the controller name at @0x64/1 as pycomm3 reads it (Get Attributes All, and the list form)", () => {
    const c = new Controller({ name: "PLC_A" });
    expect(run(c, getAttributesAllRequest(path("@0x64/1"))).hex).toBe(h('81 00 00 00 05 00 "PLC_A"'));
    expect(run(c, getAttributeListRequest(path("@0x64/1"), [1])).hex).toBe(
      h('83 00 00 00 01 00 01 00 00 00 05 00 "PLC_A"'),
    );
    c.name = "Renamed";
    expect(run(c, getAttributesAllRequest(path("@0x64/1"))).hex).toBe(h('81 00 00 00 07 00 "Renamed"'));
    expect(new Controller().name).toBe("Simulator");
  });

  it("answers the 0x66 object as cpppo does", () => {
    const x = run(new Controller(), getAttributesAllRequest(path("@0x66/1")));
    expect(x.hex).toBe(h("81 00 00 00 00 00 00 00 08 00 00 00 00 2d 00 01 00 01 01 01 b1 2a 1b 00 0a 00"));
  });

  it("answers the 0xAC counters", () => {
    const c = new Controller();
    expect(run(c, getAttributeListRequest(path("@0xac/1"), [1, 2, 3, 4, 10])).hex).toBe(
      h(
        "83 00 00 00 05 00 01 00 00 00 05 00 02 00 00 00 02 00 03 00 00 00 03 b2 80 c5 04 00 00 00 03 b2 80 c5 0a 00 00 00 f8 de 47 b8",
      ),
    );
  });

  it("answers the Connection Manager's counters and refuses its services (0x08)", () => {
    const c = new Controller();
    expect(run(c, getAttributeSingleRequest(path("@6/1/1"))).hex).toBe(h("8e 00 00 00 00 00"));
    const send = run(c, unconnectedSend(readTagRequest(path("X")), path("1/0")));
    expect(send.hex).toBe(h("d2 00 08 00"));
    const close = run(
      c,
      forwardCloseRequest({ connectionSerial: 1, originatorVendor: 2, originatorSerial: 3 }),
    );
    expect(close.hex).toBe(h("ce 00 08 00"));
  });
});

describe("errors on object paths", () => {
  it("answers an unknown class or instance with 0x05, and an unknown service with 0x08", () => {
    const c = new Controller();
    expect(run(c, getAttributesAllRequest(path("@0x77/1"))).hex).toBe(h("81 00 05 01 00 00"));
    expect(run(c, getAttributesAllRequest(path("@1/2"))).hex).toBe(h("81 00 05 01 00 00"));
    expect(run(c, { kind: "generic", service: 0x05, path: path("@1/1"), data: new Uint8Array(0) }).hex).toBe(
      h("85 00 08 00"),
    );
    expect(run(c, { kind: "generic", service: 0x05, path: path("@1/7"), data: new Uint8Array(0) }).hex).toBe(
      h("85 00 05 01 00 00"),
    );
  });

  it("answers Set Attribute Single with the wrong size with 0x13 or 0x15", () => {
    const c = new Controller();
    expect(run(c, setAttributeSingleRequest(path("@0xf5/1/3"), Uint8Array.of(1))).hex).toBe(h("90 00 13 00"));
    expect(run(c, setAttributeSingleRequest(path("@0xf5/1/3"), new Uint8Array(5))).hex).toBe(
      h("90 00 15 00"),
    );
  });
});

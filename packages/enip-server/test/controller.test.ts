import {
  DINT,
  encodeValues,
  fromHex,
  getAttributeSingleRequest,
  INT,
  LINT,
  parseEPath,
  REAL,
  readModifyWriteTagRequest,
  readTagFragmentedRequest,
  readTagRequest,
  SSTRING,
  STRING,
  toHex,
  writeTagFragmentedRequest,
  writeTagRequest,
} from "@cpppo/cip-codec";
import { Controller } from "../src/controller/controller.js";
import { InvalidArgumentError, InvalidTagError } from "../src/core/errors.js";
import { hexOf as h, run } from "./support/controller.js";

const path = (text: string) => parseEPath(text);

describe("Read Tag 0x4C", () => {
  it("answers REAL 1.5 with the bytes cpppo shows (cc 00 00 00 ca 00 00 00 c0 3f)", () => {
    const c = new Controller({ tags: ["FLOAT=REAL"] });
    c.tags.require("FLOAT").setValues(0, [1.5]);
    const x = run(c, readTagRequest(path("FLOAT")));
    expect(x.hex).toBe(h("cc 00 00 00 ca 00 00 00 c0 3f"));
    expect(x.reply).toMatchObject({ kind: "readTag", generalStatus: 0, type: 0xca });
  });

  it("reads one element of an array and a run of elements", () => {
    const c = new Controller({ tags: ["SCADA=INT[10]"] });
    c.tags.require("SCADA").setValues(0, [0, 11, 22, 33, 44]);
    expect(run(c, readTagRequest(path("SCADA[1]"))).hex).toBe(h("cc 00 00 00 c3 00 0b 00"));
    expect(run(c, readTagRequest(path("SCADA[2]"), 3)).hex).toBe(h("cc 00 00 00 c3 00 16 00 21 00 2c 00"));
  });

  it("answers beyond the end with cc 00 ff 01 05 21", () => {
    const c = new Controller({ tags: ["SCADA=INT[10]"] });
    expect(run(c, readTagRequest(path("SCADA[9]"), 2)).hex).toBe(h("cc 00 ff 01 05 21"));
    expect(run(c, readTagRequest(path("SCADA[10]"))).hex).toBe(h("cc 00 ff 01 05 21"));
    expect(run(c, readTagRequest(path("SCADA"), 11)).hex).toBe(h("cc 00 ff 01 05 21"));
  });

  it("answers an unknown tag with 0x04 and extended status 0x0000, like a real Logix", () => {
    const c = new Controller({ tags: ["SCADA=INT[10]"] });
    const x = run(c, readTagRequest(path("NOPE")));
    expect(x.hex).toBe(h("cc 00 04 01 00 00"));
    expect(x.reply).toMatchObject({ generalStatus: 0x04, extStatus: [0] });
  });

  it("reads program-scoped and dotted tag names sent as several symbolic segments", () => {
    const c = new Controller({ tags: ["Program:Main.Count=DINT", "Motor.Speed=REAL", "Motor=INT"] });
    c.tags.require("Program:Main.Count").setValues(0, [3]);
    c.tags.require("Motor.Speed").setValues(0, [1.5]);
    expect(run(c, readTagRequest(path("Program:Main.Count"))).hex).toBe(h("cc 00 00 00 c4 00 03 00 00 00"));
    expect(run(c, readTagRequest(path("Motor.Speed"))).hex).toBe(h("cc 00 00 00 ca 00 00 00 c0 3f"));
    expect(run(c, readTagRequest(path("Motor"))).hex).toBe(h("cc 00 00 00 c3 00 00 00"));
    expect(run(c, readTagRequest(path("Program:Other.Count"))).hex).toBe(h("cc 00 04 01 00 00"));
  });

  it("finds tags whatever the letter case", () => {
    const c = new Controller({ tags: ["Scada=DINT"] });
    expect(run(c, readTagRequest(path("sCADA"))).reply).toMatchObject({ generalStatus: 0, type: 0xc4 });
  });

  it("answers with 0x06 and 488 bytes of whole elements when the data does not fit", () => {
    const c = new Controller({ tags: ["SCADA=INT[1000]"] });
    const x = run(c, readTagRequest(path("SCADA"), 1000));
    expect(x.hex.slice(0, 12)).toBe(h("cc 00 06 00 c3 00"));
    expect(x.bytes.length).toBe(6 + 488);
  });

  it("uses the transport's reply limit for connected requests", () => {
    const c = new Controller({ tags: ["SCADA=INT[1000]"] });
    const x = run(c, readTagRequest(path("SCADA"), 1000), { connected: true, replyLimit: 4000 });
    expect(x.reply).toMatchObject({ generalStatus: 0 });
    expect(x.bytes.length).toBe(6 + 2000);
  });

  it("forces a tag's error status on reads and writes", () => {
    const c = new Controller({ tags: ["SCADA=INT[10]"] });
    c.tags.require("SCADA").error = 0x08;
    expect(run(c, readTagRequest(path("SCADA"))).hex).toBe(h("cc 00 08 00"));
    expect(run(c, writeTagRequest(path("SCADA"), { type: 0xc3 }, 1, fromHex("0100"))).hex).toBe(
      h("cd 00 08 00"),
    );
  });

  it("reads 64-bit and string tags (SSTRING as cpppo sends it)", () => {
    const c = new Controller({ tags: ["BIG=LINT", "TEXT=SSTRING[3]"] });
    c.tags.require("BIG").setValues(0, [-2n]);
    c.tags.require("TEXT").setValues(0, ["abc", "", "z"]);
    expect(run(c, readTagRequest(path("BIG"))).hex).toBe(h("cc 00 00 00 c5 00 fe ff ff ff ff ff ff ff"));
    expect(run(c, readTagRequest(path("TEXT"), 3)).hex).toBe(h('cc 00 00 00 da 00 03 "abc" 00 01 "z"'));
  });
});

describe("Read Tag Fragmented 0x52", () => {
  it("answers INT[1000] at offset 0 with d2 00 06 00 c3 00 and 488 bytes (244 INTs)", () => {
    const c = new Controller({ tags: ["SCADA=INT[1000]"] });
    const values = Array.from({ length: 1000 }, (_, i) => i - 500);
    c.tags.require("SCADA").setValues(0, values);
    const x = run(c, readTagFragmentedRequest(path("SCADA"), 1000, 0));
    expect(x.hex.slice(0, 12)).toBe(h("d2 00 06 00 c3 00"));
    expect(x.bytes.length).toBe(6 + 488);
    expect(toHex(x.bytes.subarray(6))).toBe(toHex(encodeValues(INT, values.slice(0, 244))));
  });

  it("continues from an offset to the end, then says 0x00", () => {
    const c = new Controller({ tags: ["SCADA=INT[1000]"] });
    const values = Array.from({ length: 1000 }, (_, i) => i);
    c.tags.require("SCADA").setValues(0, values);
    const collected: number[] = [];
    let offset = 0;
    for (let round = 0; round < 10; round++) {
      const x = run(c, readTagFragmentedRequest(path("SCADA"), 1000, offset));
      if (x.reply.kind !== "readTagFragmented") throw new Error("unexpected reply");
      const data = x.reply.data;
      for (let i = 0; i < data.length; i += 2)
        collected.push((data[i] as number) | ((data[i + 1] as number) << 8));
      offset += data.length;
      if (x.reply.generalStatus === 0) break;
      expect(x.reply.generalStatus).toBe(0x06);
    }
    expect(collected).toEqual(values);
  });

  it("starts at the path's element and stops at the requested count", () => {
    const c = new Controller({ tags: ["SCADA=DINT[10]"] });
    c.tags.require("SCADA").setValues(0, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const x = run(c, readTagFragmentedRequest(path("SCADA[2]"), 4, 4));
    expect(x.hex).toBe(h("d2 00 00 00 c4 00 03 00 00 00 04 00 00 00 05 00 00 00"));
  });

  it("answers an offset past the range with 0xFF/0x2105", () => {
    const c = new Controller({ tags: ["SCADA=DINT[10]"] });
    expect(run(c, readTagFragmentedRequest(path("SCADA"), 2, 8)).hex).toBe(h("d2 00 ff 01 05 21"));
  });
});

describe("Write Tag 0x4D and Write Tag Fragmented 0x53", () => {
  it("writes INT 99 to SCADA[1] (cd 00 00 00)", () => {
    const c = new Controller({ tags: ["SCADA=INT[10]"] });
    const x = run(c, writeTagRequest(path("SCADA[1]"), { type: 0xc3 }, 1, encodeValues(INT, [99])));
    expect(x.hex).toBe(h("cd 00 00 00"));
    expect(c.tags.require("SCADA").values(0, 3)).toEqual([0, 99, 0]);
  });

  it("accepts DINT into REAL as cpppo does (cd 00 00 00) and refuses REAL into INT (cd 00 ff 01 07 21)", () => {
    const c = new Controller({ tags: ["FLOAT=REAL", "SCADA=INT"] });
    expect(run(c, writeTagRequest(path("FLOAT"), { type: 0xc4 }, 1, encodeValues(DINT, [7]))).hex).toBe(
      h("cd 00 00 00"),
    );
    expect(c.tags.require("FLOAT").values()).toEqual([7]);
    expect(run(c, writeTagRequest(path("SCADA"), { type: 0xca }, 1, encodeValues(REAL, [1.5]))).hex).toBe(
      h("cd 00 ff 01 07 21"),
    );
  });

  it("widens INT into LINT and refuses values the tag type cannot hold", () => {
    const c = new Controller({ tags: ["BIG=LINT[2]", "SMALL=SINT"] });
    expect(
      run(c, writeTagRequest(path("BIG"), { type: 0xc3 }, 2, encodeValues(INT, [-3, 4]))).reply.generalStatus,
    ).toBe(0);
    expect(c.tags.require("BIG").values()).toEqual([-3n, 4n]);
    expect(
      run(c, writeTagRequest(path("BIG"), { type: 0xc5 }, 1, encodeValues(LINT, [9n]))).reply.generalStatus,
    ).toBe(0);
    expect(run(c, writeTagRequest(path("SMALL"), { type: 0xc6 }, 1, Uint8Array.of(200))).hex).toBe(
      h("cd 00 ff 01 07 21"),
    );
  });

  it("answers writes beyond the end with 0xFF/0x2105 and short data with 0x13", () => {
    const c = new Controller({ tags: ["SCADA=INT[2]"] });
    expect(run(c, writeTagRequest(path("SCADA[1]"), { type: 0xc3 }, 2, encodeValues(INT, [1, 2]))).hex).toBe(
      h("cd 00 ff 01 05 21"),
    );
    expect(run(c, writeTagRequest(path("SCADA"), { type: 0xc3 }, 2, encodeValues(INT, [1]))).hex).toBe(
      h("cd 00 13 00"),
    );
    expect(run(c, writeTagRequest(path("NOPE"), { type: 0xc3 }, 1, encodeValues(INT, [1]))).hex).toBe(
      h("cd 00 04 01 00 00"),
    );
  });

  it("writes the counted elements of a Write Tag with surplus data and succeeds, as a Logix does (issue 9 item 10)", () => {
    const c = new Controller({ tags: ["SCADA=INT[4]", "D=DINT[2]", "R=REAL", "F=BOOL"] });
    // Same type: 2 INTs counted, 4 sent.
    expect(
      run(c, writeTagRequest(path("SCADA"), { type: 0xc3 }, 2, encodeValues(INT, [1, 2, 3, 4]))).hex,
    ).toBe(h("cd 00 00 00"));
    expect(c.tags.require("SCADA").values()).toEqual([1, 2, 0, 0]);
    // An odd byte past the last counted element is ignored too.
    expect(run(c, writeTagRequest(path("SCADA[2]"), { type: 0xc3 }, 1, Uint8Array.of(7, 0, 9))).hex).toBe(
      h("cd 00 00 00"),
    );
    expect(c.tags.require("SCADA").values()).toEqual([1, 2, 7, 0]);
    // A widening write (INT into DINT) with one INT too many.
    expect(run(c, writeTagRequest(path("D"), { type: 0xc3 }, 2, encodeValues(INT, [5, 6, 8]))).hex).toBe(
      h("cd 00 00 00"),
    );
    expect(c.tags.require("D").values()).toEqual([5, 6]);
    expect(run(c, writeTagRequest(path("R"), { type: 0xca }, 1, encodeValues(REAL, [1.5, 9]))).hex).toBe(
      h("cd 00 00 00"),
    );
    expect(c.tags.require("R").values()).toEqual([1.5]);
    expect(run(c, writeTagRequest(path("F"), { type: 0xc1 }, 1, Uint8Array.of(1, 0))).hex).toBe(
      h("cd 00 00 00"),
    );
    expect(c.tags.require("F").values()).toEqual([true]);
    // Too few bytes for the count: 0x13 with no extended status, and nothing is written.
    expect(run(c, writeTagRequest(path("SCADA"), { type: 0xc3 }, 3, encodeValues(INT, [9, 9]))).hex).toBe(
      h("cd 00 13 00"),
    );
    expect(run(c, writeTagRequest(path("SCADA"), { type: 0xc3 }, 1, Uint8Array.of(9))).hex).toBe(
      h("cd 00 13 00"),
    );
    expect(run(c, writeTagRequest(path("D"), { type: 0xc3 }, 2, encodeValues(INT, [9]))).hex).toBe(
      h("cd 00 13 00"),
    );
    expect(c.tags.require("SCADA").values()).toEqual([1, 2, 7, 0]);
    expect(c.tags.require("D").values()).toEqual([5, 6]);
  });

  it("writes fragments at byte offsets (cpppo's SCADA[0-3]+4 with DINTs 1, 2)", () => {
    const c = new Controller({ tags: ["SCADA=DINT[4]"] });
    const x = run(
      c,
      writeTagFragmentedRequest(path("SCADA"), { type: 0xc4 }, 4, 4, encodeValues(DINT, [1, 2])),
    );
    expect(x.hex).toBe(h("d3 00 00 00"));
    expect(c.tags.require("SCADA").values()).toEqual([0, 1, 2, 0]);
    const beyond = run(
      c,
      writeTagFragmentedRequest(path("SCADA"), { type: 0xc4 }, 4, 12, encodeValues(DINT, [1, 2])),
    );
    expect(beyond.hex).toBe(h("d3 00 ff 01 05 21"));
  });

  it("writes SSTRING values and accepts CIP STRING writes into a Logix STRING", () => {
    const c = new Controller({ tags: ["TEXT=SSTRING[2]", "NAME=STRING"] });
    expect(
      run(c, writeTagRequest(path("TEXT"), { type: 0xda }, 2, encodeValues(SSTRING, ["hi", "there"]))).reply
        .generalStatus,
    ).toBe(0);
    expect(c.tags.require("TEXT").values()).toEqual(["hi", "there"]);
    expect(
      run(c, writeTagRequest(path("NAME"), { type: 0xd0 }, 1, encodeValues(STRING, ["abc"]))).reply
        .generalStatus,
    ).toBe(0);
    expect(c.tags.require("NAME").values()).toEqual(["abc"]);
    // Issue 9 item 10: a string past the counted elements is ignored, as a Logix ignores surplus data.
    const extra = run(c, writeTagRequest(path("TEXT"), { type: 0xda }, 1, encodeValues(SSTRING, ["a", "b"])));
    expect(extra.hex).toBe(h("cd 00 00 00"));
    expect(c.tags.require("TEXT").values()).toEqual(["a", "there"]);
    expect(run(c, writeTagRequest(path("TEXT"), { type: 0xda }, 2, encodeValues(SSTRING, ["x"]))).hex).toBe(
      h("cd 00 13 00"),
    );
    expect(c.tags.require("TEXT").values()).toEqual(["a", "there"]);
    expect(run(c, writeTagRequest(path("TEXT"), { type: 0xda }, 1, Uint8Array.of(5, 0x41))).hex).toBe(
      h("cd 00 13 00"),
    );
  });
});

describe("Read Modify Write Tag 0x4E", () => {
  it("sets OR-mask bits and clears AND-mask zeros on an integer tag", () => {
    const c = new Controller({ tags: ["BITS=DINT"] });
    c.tags.require("BITS").setValues(0, [0x0f0]);
    const x = run(c, readModifyWriteTagRequest(path("BITS"), fromHex("01000000"), fromHex("efffffff")));
    expect(x.hex).toBe(h("ce 00 00 00"));
    expect(c.tags.require("BITS").values()).toEqual([0x0e1]);
  });

  it("refuses masks on REAL tags and masks wider than the tag (0xFF/0x2107)", () => {
    const c = new Controller({ tags: ["F=REAL", "S=SINT"] });
    expect(run(c, readModifyWriteTagRequest(path("F"), fromHex("01"), fromHex("ff"))).hex).toBe(
      h("ce 00 ff 01 07 21"),
    );
    expect(run(c, readModifyWriteTagRequest(path("S"), fromHex("0100"), fromHex("ffff"))).hex).toBe(
      h("ce 00 ff 01 07 21"),
    );
  });
});

describe("numeric tag addresses (cpppo @class/instance/attribute)", () => {
  it("reads and writes a tag by its address with Read/Write Tag and Get/Set Attribute Single", () => {
    const c = new Controller({ tags: ["Motor_Velocity@0x93/3/10=REAL"] });
    const sas = run(c, {
      kind: "setAttributeSingle",
      service: 0x10,
      path: path("@0x93/3/10"),
      data: encodeValues(REAL, [1.0]),
    });
    expect(sas.hex).toBe(h("90 00 00 00"));
    expect(c.tags.require("Motor_Velocity").values()).toEqual([1]);
    expect(run(c, getAttributeSingleRequest(path("@0x93/3/10"))).hex).toBe(h("8e 00 00 00 00 00 80 3f"));
    expect(run(c, readTagRequest(path("@0x93/3/10"))).hex).toBe(h("cc 00 00 00 ca 00 00 00 80 3f"));
    expect(
      run(c, writeTagRequest(path("@0x93/3/10"), { type: 0xca }, 1, encodeValues(REAL, [2.5]))).hex,
    ).toBe(h("cd 00 00 00"));
    expect(c.tags.require("Motor_Velocity").values()).toEqual([2.5]);
  });

  it("gives tags without an address Message Router attributes 1, 2, 3… in creation order", () => {
    const c = new Controller({ tags: ["A=INT", "B=DINT", "C@0x99/1/1=INT", "D=SINT"] });
    c.tags.require("B").setValues(0, [5]);
    expect(run(c, readTagRequest(path("@2/1/2"))).hex).toBe(h("cc 00 00 00 c4 00 05 00 00 00"));
    expect(c.tags.require("D").address).toEqual({ class: 2, instance: 1, attribute: 3 });
  });

  it("answers an unknown numeric path with 0x05", () => {
    const c = new Controller({ tags: ["A=INT"] });
    expect(run(c, readTagRequest(path("@2/1/9"))).hex).toBe(h("cc 00 05 01 00 00"));
    expect(run(c, readTagRequest(path("@0x93/1/1"))).hex).toBe(h("cc 00 05 01 00 00"));
  });

  it("makes a second name at the same address an alias of the same tag", () => {
    const c = new Controller({ tags: ["Int@0x99/1/1=INT[100]", "Other@0x99/1/1=INT[100]"] });
    c.tags.require("Other").setValues(5, [42]);
    expect(c.tags.require("Int").values(5, 1)).toEqual([42]);
    expect(() => c.defineTag("Third@0x99/1/1=DINT[100]")).toThrow(InvalidTagError);
  });

  it("makes an address with an element a view of part of an attribute", () => {
    const c = new Controller({ tags: ["Int@0x99/1/1=INT[100]", "Part@0x99/1/1/10=INT[5]"] });
    c.tags.require("Part").setValues(0, [7, 8]);
    expect(c.tags.require("Int").values(10, 2)).toEqual([7, 8]);
    expect(() => c.defineTag("Big@0x99/1/1/98=INT[5]")).toThrow(InvalidTagError);
  });

  it("refuses a tag at an attribute a standard object owns", () => {
    expect(() => new Controller({ tags: ["X@1/1/1=INT"] })).toThrow(/Identity/);
  });
});

describe("Controller options", () => {
  it("refuses bad options with messages that name the field", () => {
    expect(() => new Controller({ maxReplyData: 0 })).toThrow(InvalidArgumentError);
    expect(() => new Controller({ maxReplyData: 0 })).toThrow(/"maxReplyData"/);
    expect(() => new Controller({ identity: { vendorId: -1 } })).toThrow(/"identity"/);
    expect(() => new Controller({ ethernetLink: { physicalAddress: "nope" } })).toThrow(/physicalAddress/);
    expect(() => new Controller({ tags: ["X=NOPE"] })).toThrow(/unknown type "NOPE"/);
  });

  it("routes Connection Manager services that reach the model to 0x08", () => {
    const c = new Controller();
    const x = run(c, { kind: "generic", service: 0x56, path: path("@6/1"), data: new Uint8Array(0) });
    expect(x.hex).toBe(h("d6 00 08 00"));
  });
});

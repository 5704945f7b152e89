/** Status tables and service tables: coverage, names, and the status description helper. */
import { readFileSync } from "node:fs";
import {
  CipService,
  ConnectionManagerService,
  LogixService,
  serviceName,
  targetClass,
  targetInstance,
} from "../src/cip/services.js";
import {
  ConnectionManagerExtendedStatus,
  describeStatus,
  GeneralStatus,
  isSuccessStatus,
  LogixExtendedStatus,
} from "../src/cip/status.js";
import { fixturePath } from "./support/vectors.js";

describe("GeneralStatus", () => {
  it("covers every code of CIP Vol 1 Appendix B (0x00..0x2E) and Logix's 0xFF", () => {
    for (let code = 0x00; code <= 0x2e; code++) expect(GeneralStatus.has(code)).toBe(true);
    expect(GeneralStatus.has(0x2f)).toBe(false); // reserved from 0x2F on
    expect(GeneralStatus.describe(0xff)).toBe("General error");
    expect(GeneralStatus.nameOf(0x1e)).toBe("embeddedServiceError");
  });

  it("names every status the vectors carry as the vectors do", () => {
    const seen = new Map<number, string>();
    // biome-ignore lint/suspicious/noExplicitAny: vector JSON is untyped by nature
    const walk = (o: any): void => {
      if (o === null || typeof o !== "object") return;
      if (typeof o.general_status === "number" && typeof o.status_name === "string")
        seen.set(o.general_status, o.status_name);
      for (const v of Object.values(o)) walk(v);
    };
    walk(JSON.parse(readFileSync(fixturePath("enip-vectors.json"), "utf8")));
    expect(seen.size).toBeGreaterThanOrEqual(6);
    for (const [code, name] of seen) expect(GeneralStatus.describe(code)).toBe(name);
  });
});

describe("describeStatus", () => {
  it("uses the Logix table for 0xFF and the Connection Manager table for 0x01", () => {
    expect(describeStatus(0xff, [0x2105])).toBe(
      "General error (0xff), extended 0x2105: number of elements extends beyond the end of the requested tag",
    );
    expect(describeStatus(0xff, [0x2107])).toMatch(/does not match/);
    expect(describeStatus(0x01, [0x0100])).toBe(
      "Connection failure (0x01), extended 0x0100: connection in use or duplicate Forward Open",
    );
    expect(describeStatus(0x01, [0x0315])).toMatch(/invalid segment in connection path/);
  });

  it("shows extended words it has no text for, and the bare status otherwise", () => {
    expect(describeStatus(0x05, [0x0000])).toBe("Path destination unknown (0x05), extended 0x0000");
    expect(describeStatus(0x00)).toBe("Success (0x00)");
    expect(describeStatus(0x1f, [0x1234, 0x0001])).toBe(
      "Vendor specific error (0x1f), extended 0x1234 0x0001",
    );
    expect(describeStatus(0x30)).toBe("unknown 0x30 (0x30)");
  });

  it("has the Logix and Connection Manager codes the brief names", () => {
    for (const code of [0x2104, 0x2105, 0x2107]) expect(LogixExtendedStatus.has(code)).toBe(true);
    for (const code of [0x0100, 0x0109, 0x0113, 0x0315])
      expect(ConnectionManagerExtendedStatus.has(code)).toBe(true);
  });
});

describe("isSuccessStatus", () => {
  it("is true for success and partial transfer only", () => {
    expect(isSuccessStatus(0x00)).toBe(true);
    expect(isSuccessStatus(0x06)).toBe(true);
    for (const code of [0x01, 0x04, 0x05, 0x08, 0x1e, 0xff]) expect(isSuccessStatus(code)).toBe(false);
  });
});

describe("service tables", () => {
  it("name services by the class they go to", () => {
    expect(serviceName(0x52, 0x06)).toBe("Unconnected Send");
    expect(serviceName(0x52)).toBe("Read Tag Fragmented");
    expect(serviceName(0xd2)).toBe("Read Tag Fragmented reply");
    expect(serviceName(0x4e, 0x06)).toBe("Forward Close");
    expect(serviceName(0x4e, 0x02)).toBe("Read Modify Write Tag");
    expect(serviceName(0x4c, 0x6c)).toBe("Read Template");
    expect(serviceName(0x5b, 0x06)).toBe("Large Forward Open");
    expect(serviceName(0x8a)).toBe("Multiple Service Packet reply");
    expect(serviceName(0x7e)).toBe("Service (0x7e)");
  });

  it("have the codes of the spec", () => {
    expect(CipService.codes.getAttributeList).toBe(0x03);
    expect(CipService.codes.multipleServicePacket).toBe(0x0a);
    expect(LogixService.codes.getInstanceAttributeList).toBe(0x55);
    expect(ConnectionManagerService.codes.forwardOpen).toBe(0x54);
  });

  it("find the target class and instance behind port segments", () => {
    const path = [{ port: 1, link: 0 }, { class: 2 }, { instance: 1 }];
    expect(targetClass(path)).toBe(2);
    expect(targetInstance(path)).toBe(1);
    expect(targetClass([{ symbolic: "Tag" }])).toBeUndefined();
  });
});

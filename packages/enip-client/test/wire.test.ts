/**
 * The client's traffic under Wireshark: every kind of request the client sends (each operation, in
 * each messaging mode, packed, continued, browsing, the List commands, Forward Open and Close) goes
 * through a recording proxy to the real simulator, and tshark must find 0 malformed frames and 0
 * expert errors in the capture, and see the CIP services we meant to send.
 */
import { EnipFramer, type JsonDataType, parseEPath } from "@cpppo/cip-codec";
import type { EnipServer } from "@cpppo/enip-server";
import { describeWithTshark, RecordingProxy, tsharkFields, tsharkVerdict } from "@cpppo/pcap-kit";
import { EnipClient, type EnipClientOptions } from "../src/client.js";
import { listTags, readTemplate } from "../src/operations/logix.js";
import { parseOperation } from "../src/parse-operations.js";
import { startSimulator } from "./support/simulator.js";

const UDT: JsonDataType = {
  name: "Pair",
  template: { structure_handle: 0x1234, structure_size: 8 },
  internal_tags: {
    A: { offset: 0, data_type: "DINT", tag_type: "atomic" },
    B: { offset: 4, data_type: "REAL", tag_type: "atomic" },
  },
  attributes: ["A", "B"],
};

const TAGS = [
  "SCADA=INT[1000]",
  "BIG=DINT[3000]",
  "R=REAL",
  "TEXT=STRING",
  "Program:Main.Count=DINT",
  "Motor_Velocity@0x93/3/10=REAL",
];

const MODES: [string, Partial<EnipClientOptions>][] = [
  ["unconnected, routed 1/0", {}],
  ["simple", { routePath: false, sendPath: "" }],
  ["connected, Large Forward Open", { connected: true }],
  ["connected, standard Forward Open", { connected: true, connectionSize: 500 }],
];

describeWithTshark("the client's traffic is clean under tshark", () => {
  let server: EnipServer;
  let proxy: RecordingProxy;
  const templates: string[] = [];

  beforeAll(async () => {
    const sim = await startSimulator({ tags: [...TAGS, "P=Pair[2]"], udts: [UDT] });
    server = sim.server;
    proxy = await RecordingProxy.start(sim.port, () => new EnipFramer());
    for (const [, mode] of MODES) {
      const client = await EnipClient.connect({
        host: "127.0.0.1",
        port: proxy.port,
        timeout: 3000,
        ...mode,
      });
      try {
        await client.write("SCADA[1]", [99], { type: "INT" });
        await client.read("SCADA[0]", { elements: 10 });
        await client.read("SCADA[0]", { elements: 1000 }); // continued with Read Tag Fragmented
        await client.write(
          "BIG",
          Array.from({ length: 3000 }, (_, i) => i),
          { type: "DINT" },
        ); // Write Tag Fragmented
        await client.read("BIG[10]", { elements: 5, offset: 8 }); // explicit offset, fragmented
        await client.write("R", [1.5], { type: "REAL" });
        await client.write("TEXT", ["Hello, world!"]);
        await client.read("TEXT");
        await client.read("NOPE"); // an error reply
        await client.readModifyWrite("SCADA[2]", { orMask: [0x01, 0x00], andMask: [0xff, 0xff] });
        await client.getAttributeSingle("@1/1/7");
        await client.getAttributesAll("@1/1");
        await client.getAttributeList("@1/1", [1, 2, 7], { sizes: { 1: 2, 2: 2 } });
        await client.setAttributeSingle("@0x93/3/10", new Uint8Array([0, 0, 0x80, 0x3f]));
        await client.service(0x0e, parseEPath("@1/1/1"));
        const ops = Array.from({ length: 40 }, (_, i) => parseOperation(`SCADA[${i}]`));
        for await (const _ of client.pipeline(ops, { depth: 5, multiple: true })) {
          // packed into Multiple Service Packets
        }
        const pair = (await listTags(client)).find((t) => t.name === "P");
        if (pair?.templateId !== undefined)
          templates.push((await readTemplate(client, pair.templateId)).name);
        await client.listIdentity();
        await client.listServices();
        await client.listInterfaces();
      } finally {
        await client.close(); // Forward Close when connected, then UnRegisterSession
      }
    }
  }, 60_000);

  afterAll(async () => {
    await proxy?.close();
    await server?.close();
  });

  it("records the sessions, template reads included", () => {
    expect(proxy.frames).toBeGreaterThan(200);
    expect(templates).toEqual(["Pair", "Pair", "Pair", "Pair"]);
  });

  it("has no malformed frames and no expert errors", () => {
    const verdict = tsharkVerdict(proxy.pcap.bytes());
    expect({
      malformed: verdict.malformed,
      expertErrors: verdict.expertErrors,
      detail: verdict.detail,
    }).toEqual({
      malformed: [],
      expertErrors: [],
      detail: "",
    });
    expect(verdict.lines.length).toBe(proxy.frames);
  });

  it("tshark sees the commands and CIP services the client sent", () => {
    const rows = tsharkFields(proxy.pcap.bytes(), ["enip.command", "cip.sc"]);
    const commands = new Set(rows.map((r) => r[0]));
    const services = new Set(rows.flatMap((r) => (r[1] ?? "").split("|")).filter(Boolean));
    for (const c of ["0x0065", "0x0066", "0x006f", "0x0070", "0x0063", "0x0004", "0x0064"])
      expect(commands).toContain(c);
    for (const s of [
      "0x4c",
      "0x4d",
      "0x4e",
      "0x52",
      "0x53",
      "0x0a",
      "0x0e",
      "0x01",
      "0x03",
      "0x10",
      "0x54",
      "0x5b",
      "0x55",
    ])
      expect(services).toContain(s);
  });
});

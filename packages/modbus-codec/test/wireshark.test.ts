/**
 * Wireshark as the wire oracle: a request, its reply and an exception reply of every function code, encoded by
 * this codec as Modbus/TCP ADUs, written into one pcap as a client/server conversation on port 502 and read back
 * by `tshark -r`. Wireshark must flag nothing (no malformed packet, no expert item), dissect every frame as
 * Modbus/TCP, and agree on the transaction ids, function codes and exception codes.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeWithTshark, PcapWriter } from "@cpppo/pcap-kit";
import { encodeTcpAdu } from "../src/adu/tcp.js";
import { ExceptionCode } from "../src/core/tables.js";
import { encodeExceptionPdu, encodeRequestPdu, encodeResponsePdu } from "../src/pdu/pdu.js";
import type { ModbusRequest, ModbusResponse } from "../src/pdu/types.js";

const TSHARK_TIMEOUT_MS = 120_000;
const text = (s: string) => new TextEncoder().encode(s);

/** Each function code's request and a matching reply; every one is also answered by an exception. */
const EXCHANGES: [ModbusRequest, ModbusResponse][] = [
  [
    { fc: 1, address: 19, quantity: 19 },
    { fc: 1, bits: Array.from({ length: 24 }, (_, i) => i % 3 === 0) },
  ],
  [
    { fc: 2, address: 196, quantity: 22 },
    { fc: 2, bits: Array.from({ length: 24 }, (_, i) => i % 2 === 0) },
  ],
  [
    { fc: 3, address: 0, quantity: 125 },
    { fc: 3, registers: Array.from({ length: 125 }, (_, i) => i * 7) },
  ],
  [
    { fc: 4, address: 8, quantity: 1 },
    { fc: 4, registers: [10] },
  ],
  [
    { fc: 5, address: 172, value: true },
    { fc: 5, address: 172, value: true },
  ],
  [
    { fc: 6, address: 1, value: 3 },
    { fc: 6, address: 1, value: 3 },
  ],
  [
    { fc: 15, address: 19, values: [true, false, true, true, false, false, true, true, true, false] },
    { fc: 15, address: 19, quantity: 10 },
  ],
  [
    { fc: 16, address: 1, values: Array.from({ length: 123 }, (_, i) => i) },
    { fc: 16, address: 1, quantity: 123 },
  ],
  [
    { fc: 22, address: 4, andMask: 0xf2, orMask: 0x25 },
    { fc: 22, address: 4, andMask: 0xf2, orMask: 0x25 },
  ],
  [
    { fc: 23, readAddress: 3, readQuantity: 6, writeAddress: 14, values: [0xff, 0xff, 0xff] },
    { fc: 23, registers: [0xfe, 0xacf0, 0x1234, 0, 1, 2] },
  ],
  [
    { fc: 43, meiType: 14, readDeviceIdCode: 1, objectId: 0 },
    {
      fc: 43,
      meiType: 14,
      readDeviceIdCode: 1,
      conformityLevel: 0x01,
      moreFollows: false,
      nextObjectId: 0,
      objects: [
        { id: 0, value: text("cpppo") },
        { id: 1, value: text("modbus-codec") },
        { id: 2, value: text("0.1.0") },
      ],
    },
  ],
];

interface Written {
  transactionId: number;
  fc: number;
  exception: number | undefined;
}

function conversation(): { pcap: Uint8Array; written: Written[] } {
  const pcap = new PcapWriter(502, 50502);
  const written: Written[] = [];
  let tid = 0;
  const exceptions = Object.values(ExceptionCode);
  EXCHANGES.forEach(([req, res], k) => {
    tid++;
    pcap.request(encodeTcpAdu(tid, 1, encodeRequestPdu(req)));
    pcap.reply(encodeTcpAdu(tid, 1, encodeResponsePdu(res)));
    written.push({ transactionId: tid, fc: req.fc, exception: undefined });
    written.push({ transactionId: tid, fc: req.fc, exception: undefined });
    tid++;
    const exception = exceptions[k % exceptions.length] as number;
    pcap.request(encodeTcpAdu(tid, 1, encodeRequestPdu(req)));
    pcap.reply(encodeTcpAdu(tid, 1, encodeExceptionPdu(req.fc, exception)));
    written.push({ transactionId: tid, fc: req.fc, exception: undefined });
    written.push({ transactionId: tid, fc: req.fc, exception }); // Wireshark's func_code drops the 0x80 bit
  });
  return { pcap: pcap.bytes(), written };
}

function tshark(pcap: Uint8Array, args: string[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), "cpppo-modbus-pcap-"));
  try {
    const file = join(dir, "modbus.pcap");
    writeFileSync(file, pcap);
    const out = execFileSync("tshark", ["-r", file, ...args], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
      timeout: 60_000,
    });
    return out.split("\n").filter(Boolean);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describeWithTshark("Wireshark dissects every Modbus/TCP ADU the codec encodes (tshark -r)", () => {
  let written: Written[];
  let malformed: string[];
  let expert: string[];
  let rows: string[][];

  beforeAll(() => {
    const c = conversation();
    written = c.written;
    if (process.env.CPPPO_KEEP_PCAP) writeFileSync(process.env.CPPPO_KEEP_PCAP, c.pcap);
    malformed = tshark(c.pcap, ["-Y", "_ws.malformed"]);
    expert = tshark(c.pcap, [
      "-Y",
      "_ws.expert && mbtcp",
      "-T",
      "fields",
      "-e",
      "frame.number",
      "-e",
      "_ws.expert.message",
    ]);
    rows = tshark(c.pcap, [
      "-Y",
      "mbtcp",
      "-T",
      "fields",
      "-E",
      "separator=\t",
      "-e",
      "mbtcp.trans_id",
      "-e",
      "mbtcp.prot_id",
      "-e",
      "modbus.func_code",
      "-e",
      "modbus.exception_code",
      "-e",
      "_ws.col.Info",
      "-E",
      "aggregator=,",
      "-e",
      "modbus.regval_uint16",
      "-e",
      "modbus.data",
    ]).map((line) => line.split("\t"));
  }, TSHARK_TIMEOUT_MS);

  it("flags no malformed packet and no expert item", () => {
    expect(malformed).toEqual([]);
    expect(expert).toEqual([]);
  });

  it("dissects every ADU as Modbus/TCP with our transaction ids, function codes and exception codes", () => {
    expect(written).toHaveLength(EXCHANGES.length * 4);
    expect(rows).toHaveLength(written.length);
    const seen = rows.map(([tid, prot, fc, exception]) => ({
      transactionId: Number(tid),
      protocolId: Number(prot),
      fc: Number(fc),
      exception: exception ? Number(exception) : undefined,
    }));
    expect(seen).toEqual(written.map((w) => ({ ...w, protocolId: 0 })));
  });

  it("reads the register values we wrote in every register-carrying request and reply", () => {
    const expected: string[] = [];
    const seen: string[] = [];
    // Wireshark 4.0 shows FC23's registers as raw data, the others as values.
    const words = (values: readonly number[]) => values.map((v) => v.toString(16).padStart(4, "0")).join("");
    const field = (fc: number, row: string[] | undefined) =>
      fc === 23 ? (row?.[6] ?? "") : (row?.[5] ?? "");
    EXCHANGES.forEach(([req, res], k) => {
      const values = req.fc === 16 || req.fc === 23 ? req.values : undefined;
      if (values !== undefined) {
        expected.push(`request ${req.fc}: ${req.fc === 23 ? words(values) : values.join(",")}`);
        seen.push(`request ${req.fc}: ${field(req.fc, rows[4 * k])}`);
      }
      if ("registers" in res) {
        expected.push(`reply ${res.fc}: ${res.fc === 23 ? words(res.registers) : res.registers.join(",")}`);
        seen.push(`reply ${res.fc}: ${field(res.fc, rows[4 * k + 1])}`);
      }
    });
    expect(expected.length).toBeGreaterThanOrEqual(5);
    expect(seen).toEqual(expected);
  });

  it("reads requests as queries and replies as responses", () => {
    const infos = rows.map((r) => (r[4] ?? "").trim());
    infos.forEach((info, i) => {
      expect(info).toMatch(i % 2 === 0 ? /^Query/ : /^Response/);
    });
    for (const name of [
      "Read Coils",
      "Write Multiple Registers",
      "Mask Write Register",
      "Read Write Register",
    ])
      expect(infos.join("\n")).toContain(name);
  });
});

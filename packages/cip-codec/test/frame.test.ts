/**
 * Whole frames: every full vector and every frame of the real capture decodes through
 * `decodeEnipMessage` (encapsulation + CPF + CIP), and frames of the SendRRData/SendUnitData shape
 * re-encode byte for byte through `encodeSendRRData`/`encodeSendUnitData`.
 */
import fc from "fast-check";
import { unconnectedSend } from "../src/bodies/connection-manager.js";
import { readTagRequest } from "../src/bodies/logix.js";
import { CipDecodeError } from "../src/core/errors.js";
import { fromHex, toHex } from "../src/core/hex.js";
import {
  type CipMessage,
  decodeEnipMessage,
  encodeSendRRData,
  encodeSendUnitData,
  sizeOfSendRRData,
  sizeOfSendUnitData,
} from "../src/frame/frame.js";
import type { CipRequest } from "../src/message/message.js";
import { loadCaptureFrames, loadVectors } from "./support/vectors.js";

const vectors = loadVectors();
const full = vectors.filter((v) => v.frame === "full" && v.hex.length > 0 && !v.malformed);

// These use a 16-bit segment where an 8-bit one would do; they decode, and re-encode minimally.
const NON_MINIMAL = new Set(["rfg_gg0_req"]);
// Connected data on a PCCC connection (ANC-120e via the 0xA6 object): not CIP, left raw.
const PCCC = new Set(["snd_u01_req", "snd_u01_rpy"]);

/** The request a reply answers, by the vectors' `_request`/`_reply` (or `_req`/`_rpy`) naming. */
function pairedRequest(name: string): CipRequest | undefined {
  const candidates = [name.replace(/_reply$/, "_request"), name.replace(/_rpy$/, "_req")];
  for (const c of candidates) {
    const v = vectors.find((x) => x.name === c && c !== name);
    if (v) {
      const m = decodeEnipMessage(fromHex(v.hex));
      if (m.cip && !("generalStatus" in m.cip)) return m.cip;
    }
  }
  return undefined;
}

describe("decodeEnipMessage over every full vector", () => {
  it.each(full.map((v) => [v.name, v] as const))("%s", (_name, v) => {
    const bytes = fromHex(v.hex);
    const request = v.direction === "reply" ? pairedRequest(v.name) : undefined;
    const connectedData = PCCC.has(v.name) ? "raw" : "cip";
    const m = decodeEnipMessage(bytes, { hint: request ? { request } : undefined, connectedData });
    expect(m.header.command).toBe(v.decoded.command);
    expect(m.header.session).toBe(v.decoded.session);
    const items = v.decoded.cpf?.items ?? [];
    const cipIndex = items.findIndex((i: { cip?: unknown }) => i.cip !== undefined);
    if (PCCC.has(v.name)) expect(items[1].pccc).toBeDefined();
    if (cipIndex < 0) {
      expect(m.cip).toBeUndefined();
      return;
    }
    expect(m.cipItem).toBe(cipIndex);
    const expected = items[cipIndex].cip;
    expect(m.cip?.service).toBe(expected.service);
    if ("generalStatus" in (m.cip as CipMessage))
      expect((m.cip as { generalStatus: number }).generalStatus).toBe(expected.general_status);
  });
});

describe("encodeSendRRData / encodeSendUnitData re-create real frames", () => {
  const shaped = full.filter((v) => {
    if (PCCC.has(v.name)) return false;
    const items = v.decoded.cpf?.items;
    if (items?.length !== 2) return false;
    return (
      (v.decoded.command === 0x6f && items[0].type_id === 0 && items[1].type_id === 0xb2) ||
      (v.decoded.command === 0x70 && items[0].type_id === 0xa1 && items[1].type_id === 0xb1)
    );
  });

  it("covers both commands", () => {
    expect(shaped.some((v) => v.decoded.command === 0x6f)).toBe(true);
    expect(shaped.some((v) => v.decoded.command === 0x70)).toBe(true);
  });

  it.each(shaped.map((v) => [v.name, v] as const))("%s", (name, v) => {
    const bytes = fromHex(v.hex);
    const request = v.direction === "reply" ? pairedRequest(name) : undefined;
    const m = decodeEnipMessage(bytes, { hint: request ? { request } : undefined });
    const body = m.body;
    if (body.command !== "sendRRData" && body.command !== "sendUnitData")
      throw new Error("not a send-data frame");
    const common = {
      session: m.header.session,
      senderContext: m.header.senderContext,
      status: m.header.status,
    };
    let again: Uint8Array;
    if (body.command === "sendRRData") {
      again = encodeSendRRData({ ...common, timeout: body.timeout, message: m.cip as CipMessage });
      expect(again.length).toBe(sizeOfSendRRData({ ...common, message: m.cip as CipMessage }));
    } else {
      const address = body.cpf[0];
      const data = body.cpf[1];
      if (address?.kind !== "connectedAddress" || data?.kind !== "connectedData")
        throw new Error("not connected");
      const init = {
        ...common,
        connectionId: address.connectionId,
        sequence: data.sequence,
        message: m.cip as CipMessage,
      };
      again = encodeSendUnitData(init);
      expect(again.length).toBe(sizeOfSendUnitData(init));
    }
    if (NON_MINIMAL.has(name)) {
      expect(again.length).toBeLessThan(bytes.length);
      expect(decodeEnipMessage(again, { hint: request ? { request } : undefined }).cip).toEqual(m.cip);
    } else {
      expect(toHex(again)).toBe(v.hex);
    }
  });
});

describe("the real ControlLogix capture", () => {
  it("every frame decodes whole, replies resolved by the request before them", () => {
    let last: CipRequest | undefined;
    for (const f of loadCaptureFrames()) {
      const m = decodeEnipMessage(fromHex(f.tcp_payload_hex), { hint: last ? { request: last } : undefined });
      if (f.direction === "request") last = m.cip && !("generalStatus" in m.cip) ? m.cip : undefined;
      if (f.tshark["cip.sc"].length > 0) expect(m.cip).toBeDefined();
    }
  });
});

describe("hostile input", () => {
  it("random bytes after a valid SendRRData header give a message or a CipDecodeError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (tail) => {
        const frame = new Uint8Array(24 + 8 + tail.length);
        frame.set(fromHex("6f00"), 0);
        frame[2] = (8 + tail.length) & 0xff;
        frame[3] = (8 + tail.length) >> 8;
        frame.set(fromHex("0000000000000200"), 24);
        frame.set(tail, 32);
        try {
          decodeEnipMessage(frame);
        } catch (e) {
          if (!(e instanceof CipDecodeError)) throw e;
        }
      }),
      { numRuns: 3000 },
    );
  });

  it("trailing bytes after the CIP message are an error naming the item", () => {
    const good = encodeSendRRData({ session: 1, message: readTagRequest([{ symbolic: "A" }], 1) });
    const bad = new Uint8Array(good.length + 1);
    bad.set(good);
    bad[2] = (bad[2] as number) + 1; // encapsulation length
    bad[38] = (bad[38] as number) + 1; // the 0x00B2 item's length
    expect(() => decodeEnipMessage(bad)).toThrow(/cpf\[1\]\.cip/);
  });
});

describe("cpppo's verified wire example (spec §2.14)", () => {
  it("routed Read Tag SCADA[1], context '0', session 0x11223344", () => {
    const message = unconnectedSend(readTagRequest([{ symbolic: "SCADA" }, { element: 1 }], 1), [
      { port: 1, link: 0 },
    ]);
    const senderContext = new Uint8Array([0x30, 0, 0, 0, 0, 0, 0, 0]);
    const frame = encodeSendRRData({ session: 0x11223344, senderContext, timeout: 8, message });
    expect(toHex(frame)).toBe(
      "6f002c00443322110000000030000000000000000000000000000000080002000000" +
        "0000b2001c00520220062401059d0e004c05910553434144410028010100" +
        "01000100",
    );
  });
});

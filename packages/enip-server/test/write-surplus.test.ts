/**
 * Surplus write data (issue 9, item 10): a Write Tag whose data holds more bytes than its element count needs writes
 * the counted elements and succeeds, as a ControlLogix does; too few bytes is general status 0x13 ("not enough
 * data", no extended status) and writes nothing. Real server on loopback port 0, over TCP.
 */
import { DINT, encodeValues, INT, SSTRING, writeTagRequest } from "@cpppo/cip-codec";
import { tagPath, tagValues } from "./support/server-client.js";
import { useServers } from "./support/servers.js";

const { start, client } = useServers();

describe("Write Tag with more or less data than its element count", () => {
  test("surplus bytes are ignored and the counted elements written; short data is 0x13", async () => {
    const { port, controller } = await start();
    const c = await client(port);
    // 3 INTs counted, 5 sent (as some HMIs send a whole buffer).
    const surplus = await c.request(
      writeTagRequest(tagPath("SCADA", 10), { type: 0xc3 }, 3, encodeValues(INT, [1, 2, 3, 4, 5])),
    );
    expect(surplus).toMatchObject({ service: 0xcd, generalStatus: 0, extStatus: [] });
    expect(tagValues(controller, "SCADA", 10, 5)).toEqual([1, 2, 3, 0, 0]);
    // INT values widened into a DINT array: 2 counted, 3 sent.
    controller.defineTag("D=DINT[3]");
    const widened = await c.request(
      writeTagRequest(tagPath("D"), { type: 0xc3 }, 2, encodeValues(INT, [7, 8, 9])),
    );
    expect(widened).toMatchObject({ service: 0xcd, generalStatus: 0 });
    expect(tagValues(controller, "D", 0, 3)).toEqual([7, 8, 0]);
    const dints = await c.request(
      writeTagRequest(tagPath("D", 2), { type: 0xc4 }, 1, encodeValues(DINT, [5, 6])),
    );
    expect(dints).toMatchObject({ generalStatus: 0 });
    expect(tagValues(controller, "D", 0, 3)).toEqual([7, 8, 5]);
    // Too few bytes: 0x13 with no extended status, nothing written.
    const short = await c.request(
      writeTagRequest(tagPath("SCADA", 30), { type: 0xc3 }, 4, encodeValues(INT, [6, 6, 6])),
    );
    expect(short).toMatchObject({ service: 0xcd, generalStatus: 0x13, extStatus: [] });
    expect(tagValues(controller, "SCADA", 30, 4)).toEqual([0, 0, 0, 0]);
  });

  test("a string past the counted SSTRING elements is ignored; too few strings is 0x13", async () => {
    const { port, controller } = await start();
    controller.defineTag("TEXT=SSTRING[2]");
    const c = await client(port);
    const one = await c.request(
      writeTagRequest(tagPath("TEXT"), { type: 0xda }, 1, encodeValues(SSTRING, ["hi", "surplus"])),
    );
    expect(one).toMatchObject({ generalStatus: 0 });
    expect(tagValues(controller, "TEXT", 0, 2)).toEqual(["hi", ""]);
    const short = await c.request(
      writeTagRequest(tagPath("TEXT"), { type: 0xda }, 2, encodeValues(SSTRING, ["only"])),
    );
    expect(short).toMatchObject({ generalStatus: 0x13, extStatus: [] });
    expect(tagValues(controller, "TEXT", 0, 2)).toEqual(["hi", ""]);
  });
});

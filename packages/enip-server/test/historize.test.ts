/**
 * historize: every tag read and write a real server serves, from a real TCP client, reaches the writer in cpppo's
 * historize form (serial `[name, [first, last]]`, data `{"read": […]}` / `{"write": […]}`), with one "Started
 * recording" comment per tag; hooks set before still run first, and the disposer restores them.
 */
import { type HistorizeWriter, historize } from "../src/historize.js";
import type { TagAccess } from "../src/tags/hooks.js";
import { ints, readTag, writeInts } from "./support/server-client.js";
import { useServers } from "./support/servers.js";

/** A writer that keeps what it is given, in order. */
function memoryWriter() {
  const lines: (
    | { kind: "record"; now: number; serial: unknown; data: unknown }
    | { kind: "comment"; text: string }
  )[] = [];
  const writer: HistorizeWriter = {
    write(data, { now, serial }) {
      lines.push({ kind: "record", now, serial, data });
    },
    comment(text) {
      lines.push({ kind: "comment", text });
    },
  };
  return { writer, lines };
}

const servers = useServers({ udp: false });

describe("historize", () => {
  it("records reads and writes from a client in cpppo's form, a comment before each tag's first", async () => {
    const { server, port } = await servers.start();
    const { writer, lines } = memoryWriter();
    let clock = 1405461824.186;
    historize(server, writer, { now: () => clock++ });
    const client = await servers.client(port);
    expect((await client.request(writeInts("SCADA", 0, [0, 1, 2, 3]))).generalStatus).toBe(0);
    expect(ints(await client.request(readTag("SCADA", 1, 2)))).toEqual([1, 2]);
    expect((await client.request(writeInts("SCADA", 7, [-5]))).generalStatus).toBe(0);
    expect(lines).toEqual([
      { kind: "comment", text: "2014-07-15 22:03:44.186: Started recording Tag: SCADA" },
      { kind: "record", now: 1405461824.186, serial: ["SCADA", [0, 3]], data: { write: [0, 1, 2, 3] } },
      { kind: "record", now: 1405461825.186, serial: ["SCADA", [1, 2]], data: { read: [1, 2] } },
      { kind: "record", now: 1405461826.186, serial: ["SCADA", [7, 7]], data: { write: [-5] } },
    ]);
  });

  it("runs the hooks set before first: records what they substitute, skips what they refuse; restores them", async () => {
    const { server, port, controller } = await servers.start();
    const seen: string[] = [];
    const before = {
      onRead: (a: TagAccess) => {
        seen.push(`read ${a.start}`);
        return a.start === 5 ? [99] : undefined;
      },
      onWrite: (a: TagAccess) => {
        seen.push(`write ${a.start}`);
        return a.start !== 9;
      },
    };
    controller.hooks = before;
    const { writer, lines } = memoryWriter();
    const stop = historize(server, writer, { now: () => 1 });
    const client = await servers.client(port);
    expect(ints(await client.request(readTag("SCADA", 5)))).toEqual([99]);
    expect((await client.request(writeInts("SCADA", 9, [1]))).generalStatus).toBe(0x0f);
    expect((await client.request(writeInts("SCADA", 8, [2]))).generalStatus).toBe(0);
    expect(seen).toEqual(["read 5", "write 9", "write 8"]);
    expect(
      lines.filter((l) => l.kind === "record").map((l) => l.kind === "record" && [l.serial, l.data]),
    ).toEqual([
      [["SCADA", [5, 5]], { read: [99] }],
      [["SCADA", [8, 8]], { write: [2] }],
    ]);
    stop();
    expect(controller.hooks).toBe(before);
    await client.request(readTag("SCADA", 0));
    expect(lines.filter((l) => l.kind === "record")).toHaveLength(2);
  });

  it("notes a hook's failure as cpppo's PLC I/O comment; the client gets status 0x1F", async () => {
    const { server, port, controller } = await servers.start();
    controller.hooks = {
      onRead: () => {
        throw new Error("sensor offline");
      },
    };
    const { writer, lines } = memoryWriter();
    historize(server.controller, writer, { now: () => 1405461824.186 });
    const client = await servers.client(port);
    expect((await client.request(readTag("SCADA", 2, 2))).generalStatus).toBe(0x1f);
    expect(lines).toEqual([
      {
        kind: "comment",
        text: "2014-07-15 22:03:44.186: PLC I/O Read  Tag SCADA[2-3] Exception: sensor offline",
      },
    ]);
  });
});

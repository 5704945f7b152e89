import {
  DINT,
  decodeValues,
  encodeValues,
  getAttributeSingleRequest,
  INT,
  parseEPath,
  REAL,
  readModifyWriteTagRequest,
  readTagFragmentedRequest,
  readTagRequest,
  setAttributeSingleRequest,
  writeTagRequest,
} from "@cpppo/cip-codec";
import { Controller } from "../src/controller/controller.js";
import type { TagAccess, TagHooks } from "../src/tags/hooks.js";
import { run } from "./support/controller.js";

const path = (text: string) => parseEPath(text);

interface Record {
  write: boolean;
  name: string;
  type: string;
  start: number;
  count: number;
  values: unknown[];
  peer?: string;
}

function recorder(): { hooks: TagHooks; log: Record[] } {
  const log: Record[] = [];
  const note = (a: TagAccess): void => {
    log.push({
      write: a.write,
      name: a.name,
      type: a.type.name,
      start: a.start,
      count: a.count,
      values: a.values,
      ...(a.peer ? { peer: a.peer } : {}),
    });
  };
  return { log, hooks: { onRead: note, onWrite: note } };
}

describe("TagHooks: recording every access", () => {
  it("sees reads, writes, fragments, Read Modify Write and numeric Get/Set Attribute Single", () => {
    const { hooks, log } = recorder();
    const c = new Controller({ tags: ["SCADA=INT[10]", "Speed@0x93/3/10=REAL"], hooks });
    const peer = { peer: "10.0.0.1:60592" };
    run(c, writeTagRequest(path("SCADA[2]"), { type: 0xc3 }, 2, encodeValues(INT, [5, 6])), peer);
    run(c, readTagRequest(path("SCADA[1]"), 3), peer);
    run(c, readTagFragmentedRequest(path("SCADA"), 10, 4));
    run(c, readModifyWriteTagRequest(path("SCADA[0]"), Uint8Array.of(1, 0), Uint8Array.of(0xff, 0xff)));
    run(c, setAttributeSingleRequest(path("@0x93/3/10"), encodeValues(REAL, [2.5])));
    run(c, getAttributeSingleRequest(path("@0x93/3/10")));
    expect(log).toEqual([
      { write: true, name: "SCADA", type: "INT", start: 2, count: 2, values: [5, 6], peer: "10.0.0.1:60592" },
      {
        write: false,
        name: "SCADA",
        type: "INT",
        start: 1,
        count: 3,
        values: [0, 5, 6],
        peer: "10.0.0.1:60592",
      },
      {
        write: false,
        name: "SCADA",
        type: "INT",
        start: 0,
        count: 10,
        values: [0, 0, 5, 6, 0, 0, 0, 0, 0, 0],
      },
      { write: true, name: "SCADA", type: "INT", start: 0, count: 1, values: [1] },
      { write: true, name: "Speed", type: "REAL", start: 0, count: 1, values: [2.5] },
      { write: false, name: "Speed", type: "REAL", start: 0, count: 1, values: [2.5] },
    ]);
  });

  it("reports member accesses with the member's type and position", () => {
    const { hooks, log } = recorder();
    const c = new Controller({ tags: ["NAME=STRING[2]"], hooks });
    run(c, readTagRequest(path("NAME[1].LEN")));
    expect(log).toEqual([{ write: false, name: "NAME", type: "DINT", start: 0, count: 1, values: [0] }]);
  });

  it("leaves replies unchanged when the hooks only observe", () => {
    const plain = new Controller({ tags: ["A=DINT[4]"] });
    const hooked = new Controller({
      tags: ["A=DINT[4]"],
      hooks: { onRead: () => undefined, onWrite: () => undefined },
    });
    for (const c of [plain, hooked]) c.tags.require("A").setValues(0, [1, 2, 3, 4]);
    expect(run(hooked, readTagRequest(path("A"), 4)).hex).toBe(run(plain, readTagRequest(path("A"), 4)).hex);
  });
});

describe("TagHooks: a tag whose value is computed", () => {
  it("answers reads with the values onRead returns, leaving storage alone", () => {
    let ticks = 0;
    const c = new Controller({
      tags: ["Clock=DINT", "Other=DINT"],
      hooks: { onRead: (a) => (a.name === "Clock" ? [++ticks * 100] : undefined) },
    });
    const read = () =>
      decodeValues(DINT, (run(c, readTagRequest(path("Clock"))).reply as { data: Uint8Array }).data);
    expect(read()).toEqual([100]);
    expect(read()).toEqual([200]);
    expect(c.tags.require("Clock").values()).toEqual([0]);
    expect(run(c, readTagRequest(path("Other"))).reply.generalStatus).toBe(0);
  });
});

describe("TagHooks: refusing and failing", () => {
  it("answers a refused write with 0x0F and keeps the old value", () => {
    const c = new Controller({ tags: ["Locked=INT"], hooks: { onWrite: () => false } });
    const x = run(c, writeTagRequest(path("Locked"), { type: 0xc3 }, 1, encodeValues(INT, [5])));
    expect(x.hex).toBe("cd000f00");
    expect(c.tags.require("Locked").values()).toEqual([0]);
    expect(run(c, setAttributeSingleRequest(path("@2/1/1"), encodeValues(INT, [5]))).hex).toBe("90000f00");
  });

  it("answers 0x1F when a hook throws or returns values the type cannot hold", () => {
    const c = new Controller({
      tags: ["Bad=INT", "Wrong=INT"],
      hooks: {
        onRead: (a) => {
          if (a.name === "Bad") throw new Error("boom");
          return ["not a number"];
        },
        onWrite: () => {
          throw new Error("boom");
        },
      },
    });
    expect(run(c, readTagRequest(path("Bad"))).hex).toBe("cc001f00");
    expect(run(c, readTagRequest(path("Wrong"))).hex).toBe("cc001f00");
    expect(run(c, writeTagRequest(path("Bad"), { type: 0xc3 }, 1, encodeValues(INT, [1]))).hex).toBe(
      "cd001f00",
    );
  });

  it("can be set after construction", () => {
    const c = new Controller({ tags: ["A=INT"] });
    const seen: string[] = [];
    c.hooks = { onRead: (a) => void seen.push(a.name) };
    run(c, readTagRequest(path("A")));
    expect(seen).toEqual(["A"]);
  });
});

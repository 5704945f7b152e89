// Strict servers (issue 9, items 1 and 3). A C simulator many PLC libraries test against answers RegisterSession
// with encapsulation status 0x0001 when the sender context is not all zeros, and echoes a zero context; any non-zero
// encapsulation status must fail the operation it answers at once, naming the status (never a timeout); a reply
// carrying another session handle is a protocol error, not a result.
import type { Socket } from "node:net";
import { EnipClient } from "../src/client.js";
import { EncapsulationStatusError, ProtocolError } from "../src/core/errors.js";
import {
  dintReply,
  frameOf,
  headerOf,
  type RawServer,
  REGISTER_DATA,
  rawServer,
  rrData,
} from "./support/raw-server.js";

const SESSION = 0x1234abcd;
const ZERO = new Uint8Array(8);
/** Generous against a loaded machine, far below the 5 s default timeout a missed reply would take. */
const AT_ONCE_MS = 2000;

let server: RawServer | undefined;
let client: EnipClient | undefined;
afterEach(async () => {
  await client?.close();
  client = undefined;
  await server?.close();
  server = undefined;
});

/** The strict simulator's RegisterSession: 0x0001 for a non-zero context, else a session; the context echoed zero. */
function strictRegister(frame: Uint8Array, socket: Socket): void {
  const { context } = headerOf(frame);
  const refused = context.some((b) => b !== 0);
  socket.write(refused ? frameOf(0x65, 0, 0x01, ZERO) : frameOf(0x65, SESSION, 0, ZERO, REGISTER_DATA));
}

async function rejection(promise: Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const started = performance.now();
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  return { error, ms: performance.now() - started };
}

describe("strict servers", () => {
  test("RegisterSession goes with an all-zero sender context, so a strict server takes it", async () => {
    server = await rawServer((frame, socket) => {
      const h = headerOf(frame);
      if (h.command === 0x65) strictRegister(frame, socket);
      else if (h.command === 0x6f) socket.write(frameOf(0x6f, SESSION, 0, h.context, rrData(dintReply(7))));
    });
    client = await EnipClient.connect({ host: "127.0.0.1", port: server.port, timeout: 5000 });
    expect(client.sessionHandle).toBe(SESSION);
    const register = server.frames[0] as Uint8Array;
    expect(headerOf(register).command).toBe(0x65);
    expect([...headerOf(register).context]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    const r = await client.read("X");
    expect(r.value).toEqual([7]);
  });

  test("a RegisterSession reply is matched whatever context it carries", async () => {
    server = await rawServer((frame, socket) => {
      const h = headerOf(frame);
      if (h.command === 0x65)
        socket.write(frameOf(0x65, SESSION, 0, Uint8Array.of(9, 9, 9, 9, 9, 9, 9, 9), REGISTER_DATA));
      else if (h.command === 0x6f) socket.write(frameOf(0x6f, SESSION, 0, h.context, rrData(dintReply(3))));
    });
    client = await EnipClient.connect({ host: "127.0.0.1", port: server.port, timeout: 5000 });
    expect(client.sessionHandle).toBe(SESSION);
    expect((await client.read("X")).value).toEqual([3]);
  });

  test("RegisterSession refused with status 0x0001 fails the connect at once, naming the status", async () => {
    server = await rawServer((_frame, socket) => {
      socket.write(frameOf(0x65, 0, 0x01, ZERO));
    });
    const { error, ms } = await rejection(
      EnipClient.connect({ host: "127.0.0.1", port: server.port, timeout: 5000 }),
    );
    expect(error).toBeInstanceOf(EncapsulationStatusError);
    expect((error as EncapsulationStatusError).code).toBe("ERR_ENIP_STATUS");
    expect((error as Error).message).toMatch(/0x0001 invalid or unsupported/);
    expect(ms).toBeLessThan(AT_ONCE_MS);
  });

  test("a SendRRData answered with a status and a zero context rejects that operation at once", async () => {
    let n = 0;
    server = await rawServer((frame, socket) => {
      const h = headerOf(frame);
      if (h.command === 0x65) strictRegister(frame, socket);
      else if (h.command === 0x6f) {
        // The first request gets 0x0003 with no data and a zeroed context; the others a value.
        if (n++ === 0) socket.write(frameOf(0x6f, SESSION, 0x03, ZERO));
        else socket.write(frameOf(0x6f, SESSION, 0, h.context, rrData(dintReply(n))));
      }
    });
    client = await EnipClient.connect({ host: "127.0.0.1", port: server.port, timeout: 5000 });
    const { error, ms } = await rejection(client.read("X"));
    expect(error).toBeInstanceOf(EncapsulationStatusError);
    expect((error as Error).message).toMatch(/0x0003 poorly formed or incorrect data/);
    expect(ms).toBeLessThan(AT_ONCE_MS);
    // The session goes on: the next operation gets its own reply.
    expect((await client.read("X")).value).toEqual([2]);
  });

  test("a status reply that echoes the context rejects its own operation, in a pipeline too", async () => {
    let n = 0;
    server = await rawServer((frame, socket) => {
      const h = headerOf(frame);
      if (h.command === 0x65) strictRegister(frame, socket);
      else if (h.command === 0x6f) {
        const i = n++;
        socket.write(
          i === 1
            ? frameOf(0x6f, SESSION, 0x65, h.context)
            : frameOf(0x6f, SESSION, 0, h.context, rrData(dintReply(i))),
        );
      }
    });
    client = await EnipClient.connect({ host: "127.0.0.1", port: server.port, timeout: 5000 });
    const ops = [0, 1, 2].map((i) => ({
      method: "read" as const,
      path: [{ symbolic: "X" }, { element: i }],
    }));
    const seen: unknown[] = [];
    const { error, ms } = await rejection(
      (async () => {
        for await (const r of client.pipeline(ops, { depth: 3 })) seen.push(r.value);
      })(),
    );
    expect(seen).toEqual([[0]]);
    expect(error).toBeInstanceOf(EncapsulationStatusError);
    expect((error as Error).message).toMatch(/0x0065 invalid message length/);
    expect(ms).toBeLessThan(AT_ONCE_MS);
  });
});

describe("servers that do not echo the sender context", () => {
  test("replies with a zero context answer the requests in order, pipelined too", async () => {
    let n = 0;
    server = await rawServer((frame, socket) => {
      const h = headerOf(frame);
      if (h.command === 0x65) strictRegister(frame, socket);
      else if (h.command === 0x6f) socket.write(frameOf(0x6f, SESSION, 0, ZERO, rrData(dintReply(n++))));
    });
    client = await EnipClient.connect({ host: "127.0.0.1", port: server.port, timeout: 5000 });
    const ops = [0, 1, 2, 3].map((i) => ({
      method: "read" as const,
      path: [{ symbolic: "X" }, { element: i }],
    }));
    expect(await client.results(ops, { depth: 4 })).toEqual([[0], [1], [2], [3]]);
  });
});

describe("session checks", () => {
  test("a reply with a session handle not ours is a ProtocolError, not a result", async () => {
    server = await rawServer((frame, socket) => {
      const h = headerOf(frame);
      if (h.command === 0x65) socket.write(frameOf(0x65, SESSION, 0, h.context, REGISTER_DATA));
      else if (h.command === 0x6f)
        socket.write(frameOf(0x6f, SESSION ^ 0xff, 0, h.context, rrData(dintReply(1))));
    });
    client = await EnipClient.connect({ host: "127.0.0.1", port: server.port, timeout: 5000 });
    const { error, ms } = await rejection(client.read("X"));
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).code).toBe("ERR_ENIP_PROTOCOL");
    expect((error as Error).message).toMatch(/session handle 0x1234ab32, not this session's 0x1234abcd/);
    expect(ms).toBeLessThan(AT_ONCE_MS);
  });

  test("a RegisterSession that gives session handle 0 fails the connect", async () => {
    server = await rawServer((frame, socket) => {
      socket.write(frameOf(0x65, 0, 0, headerOf(frame).context, REGISTER_DATA));
    });
    const { error } = await rejection(
      EnipClient.connect({ host: "127.0.0.1", port: server.port, timeout: 5000 }),
    );
    expect(error).toBeInstanceOf(ProtocolError);
  });
});

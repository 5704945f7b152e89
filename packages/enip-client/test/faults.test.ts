// Faults injected by a tiny net.Server that registers sessions properly and then misbehaves on purpose:
// closes mid-pipeline, stops answering, or answers garbage. Every pending operation must reject within its
// deadline with a coded error, and the next operation must reconnect when `reconnect` is on.
import { createServer, type Server, type Socket } from "node:net";
import {
  type CipReply,
  type CipRequest,
  decodeEnipMessage,
  EnipFramer,
  type EnipMessage,
  encodeEncapsulation,
  encodeSendRRData,
  encodeSendUnitData,
  type ForwardOpenRequest,
  type ReadTagReply,
} from "@cpppo/cip-codec";
import { EnipClient } from "../src/client.js";
import { AbortError, ProtocolError, RequestTimeoutError, SessionClosedError } from "../src/core/errors.js";
import type { PipelineOperation } from "../src/pipeline/types.js";

type Behaviour = (request: EnipMessage, answer: () => void, socket: Socket, count: number) => void;

interface FaultServer {
  port: number;
  connections: number;
  close(): Promise<void>;
}

const SESSION = 0x4d2;

function dintReply(value: number): ReadTagReply {
  const data = new Uint8Array(4);
  new DataView(data.buffer).setInt32(0, value, true);
  return { kind: "readTag", service: 0xcc, generalStatus: 0, extStatus: [], type: 0xc4, data };
}

/** A server that registers every session, then lets `behave` decide what each SendRRData request gets. */
async function faultServer(
  behave: Behaviour,
  forwardOpen?: (request: ForwardOpenRequest) => CipReply,
): Promise<FaultServer> {
  const sockets = new Set<Socket>();
  const state = { connections: 0, requests: 0, forwardOpen };
  const server: Server = createServer((socket) => {
    state.connections++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    const framer = new EnipFramer();
    socket.on("data", (chunk) => {
      for (const frame of framer.push(chunk)) {
        const request = decodeEnipMessage(frame);
        const context = request.header.senderContext.slice();
        if (request.body.command === "registerSession") {
          socket.write(
            encodeEncapsulation({
              header: { session: SESSION, senderContext: context },
              body: { command: "registerSession", protocolVersion: 1, optionFlags: 0 },
            }),
          );
          continue;
        }
        if (request.body.command === "sendUnitData") {
          // Connected requests get a DINT read reply on the same connection id and sequence count.
          const address = request.body.cpf[0];
          const data = request.body.cpf[1];
          if (address?.kind !== "connectedAddress" || data?.kind !== "connectedData") continue;
          const n = state.requests++;
          socket.write(
            encodeSendUnitData({
              session: SESSION,
              connectionId: 0x7a7a,
              sequence: data.sequence,
              message: dintReply(n),
            }),
          );
          continue;
        }
        if (request.body.command !== "sendRRData") continue;
        const cip = request.cip;
        if (
          cip !== undefined &&
          "service" in cip &&
          (cip.service === 0x5b || cip.service === 0x54) &&
          state.forwardOpen
        ) {
          socket.write(
            encodeSendRRData({
              session: SESSION,
              senderContext: context,
              message: state.forwardOpen(cip as ForwardOpenRequest),
            }),
          );
          continue;
        }
        const n = state.requests++;
        const answer = (): void => {
          socket.write(encodeSendRRData({ session: SESSION, senderContext: context, message: dintReply(n) }));
        };
        behave(request, answer, socket, n);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return {
    port: address.port,
    get connections() {
      return state.connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

const reads = (n: number): PipelineOperation[] =>
  Array.from({ length: n }, (_, i) => ({ method: "read", path: [{ symbolic: "X" }, { element: i }] }));

/** Collects a pipeline, returning how many results came before it threw, and what it threw. */
async function drain(iterable: AsyncIterable<unknown>): Promise<{ count: number; error: unknown }> {
  let count = 0;
  try {
    for await (const _ of iterable) count++;
  } catch (error) {
    return { count, error };
  }
  return { count, error: undefined };
}

describe("faults", () => {
  let server: FaultServer | undefined;
  let client: EnipClient | undefined;
  afterEach(async () => {
    await client?.close();
    await server?.close();
    client = undefined;
    server = undefined;
  });

  test("the server closes mid-pipeline: the answered results come first, then SessionClosedError at once", async () => {
    server = await faultServer((_req, answer, socket, n) => {
      if (n < 3) answer();
      else if (n === 5) socket.destroy();
    });
    client = await EnipClient.connect({ host: "127.0.0.1", port: server.port, timeout: 5000 });
    const started = performance.now();
    const { count, error } = await drain(client.pipeline(reads(10), { depth: 6 }));
    expect(count).toBe(3);
    expect(error).toBeInstanceOf(SessionClosedError);
    expect((error as SessionClosedError).code).toBe("ERR_ENIP_SESSION_CLOSED");
    expect(performance.now() - started).toBeLessThan(2000);
    expect(client.inFlight).toBe(0);
    expect(client.state).toBe("disconnected");
  });

  test("the server stops answering: every pending request rejects with RequestTimeoutError near its deadline", async () => {
    server = await faultServer(() => undefined);
    client = await EnipClient.connect({ host: "127.0.0.1", port: server.port, timeout: 5000 });
    const started = performance.now();
    const pending = [150, 250, 350].map((timeout) =>
      client?.read("X", { timeout }).then(
        () => "resolved",
        (error: unknown) => ({ error, at: performance.now() - started }),
      ),
    );
    const outcomes = (await Promise.all(pending)) as { error: unknown; at: number }[];
    outcomes.forEach((o, i) => {
      expect(o.error).toBeInstanceOf(RequestTimeoutError);
      expect((o.error as RequestTimeoutError).code).toBe("ERR_ENIP_TIMEOUT");
      const deadline = [150, 250, 350][i] as number;
      expect(o.at).toBeGreaterThanOrEqual(deadline - 5);
      expect(o.at).toBeLessThan(deadline + 300);
    });
    expect(client.inFlight).toBe(0);
  });

  test("a pipeline against a silent server throws RequestTimeoutError within the timeout", async () => {
    server = await faultServer((_req, answer, _s, n) => {
      if (n < 2) answer();
    });
    client = await EnipClient.connect({ host: "127.0.0.1", port: server.port });
    const started = performance.now();
    const { count, error } = await drain(client.pipeline(reads(8), { depth: 4, timeout: 200 }));
    expect(count).toBe(2);
    expect(error).toBeInstanceOf(RequestTimeoutError);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  test("garbage that breaks the framing rejects everything pending at once, coded", async () => {
    server = await faultServer((_req, _answer, socket, n) => {
      // A header announcing 0xFFFF bytes, more than this client accepts, once two requests are pending.
      if (n === 1) socket.write(Buffer.from("ffffffffffffffffffffffffffffffffffffffffffffffff", "hex"));
    });
    client = await EnipClient.connect({ host: "127.0.0.1", port: server.port, maxFrameSize: 4096 });
    const started = performance.now();
    const errors = await Promise.all(
      [client.read("X"), client.read("Y")].map((p) =>
        p.then(
          () => undefined,
          (e: unknown) => e,
        ),
      ),
    );
    for (const e of errors) {
      expect(e).toBeInstanceOf(SessionClosedError);
      expect((e as Error).cause).toBeInstanceOf(ProtocolError);
    }
    expect(performance.now() - started).toBeLessThan(1000);
  });

  test("garbage that keeps the framing busy: pending requests still reject within their deadline", async () => {
    server = await faultServer((_req, _answer, socket) => {
      socket.write(Buffer.from("6f00ff00deadbeef0000000000000000", "hex"));
    });
    client = await EnipClient.connect({ host: "127.0.0.1", port: server.port });
    const started = performance.now();
    const errors = await Promise.all(
      [client.read("X", { timeout: 200 }), client.read("Y", { timeout: 300 })].map((p) =>
        p.then(
          () => undefined,
          (e: unknown) => e,
        ),
      ),
    );
    expect(errors[0]).toBeInstanceOf(RequestTimeoutError);
    expect(errors[1]).toBeInstanceOf(RequestTimeoutError);
    expect(performance.now() - started).toBeLessThan(600);
  });

  test("a well-framed reply that is not CIP rejects only its own request with ProtocolError", async () => {
    server = await faultServer((request, answer, socket, n) => {
      if (n === 0) {
        const context = request.header.senderContext.slice();
        // A SendRRData whose data item holds a request (no reply bit): not an answer.
        const bogus: CipRequest = {
          kind: "generic",
          service: 0x01,
          path: [{ class: 1 }, { instance: 1 }],
          data: new Uint8Array(0),
        };
        socket.write(encodeSendRRData({ session: SESSION, senderContext: context, message: bogus }));
      } else answer();
    });
    client = await EnipClient.connect({ host: "127.0.0.1", port: server.port });
    const first = await client.read("X").then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((first as { code?: string }).code).toBe("ERR_ENIP_PROTOCOL");
    const second = await client.read("X");
    expect(second.ok).toBe(true);
    expect(second.value).toEqual([1]);
  });

  test("after a loss the next operation reconnects when `reconnect` is on", async () => {
    server = await faultServer((_req, answer, socket, n) => {
      if (n === 0) socket.destroy();
      else answer();
    });
    client = await EnipClient.connect({ host: "127.0.0.1", port: server.port, reconnect: true });
    await expect(client.read("X")).rejects.toBeInstanceOf(SessionClosedError);
    expect(client.state).toBe("disconnected");
    const again = await client.read("X");
    expect(again.ok).toBe(true);
    expect(server.connections).toBe(2);
    expect(client.state).toBe("ready");
  });

  test("without `reconnect` the next operation fails with SessionClosedError naming the fix", async () => {
    server = await faultServer((_req, _answer, socket) => socket.destroy());
    client = await EnipClient.connect({ host: "127.0.0.1", port: server.port });
    await expect(client.read("X")).rejects.toBeInstanceOf(SessionClosedError);
    await expect(client.read("X")).rejects.toThrow(/reconnect: true/);
    expect(server.connections).toBe(1);
  });

  test("an aborted request rejects with AbortError and leaves nothing pending", async () => {
    server = await faultServer(() => undefined);
    client = await EnipClient.connect({ host: "127.0.0.1", port: server.port });
    const controller = new AbortController();
    const p = client.read("X", { signal: controller.signal });
    setTimeout(() => controller.abort(new Error("enough")), 20);
    const error = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AbortError);
    expect((error as AbortError).code).toBe("ERR_ABORTED");
    expect(client.inFlight).toBe(0);
    const already = AbortSignal.abort();
    await expect(client.read("X", { signal: already })).rejects.toBeInstanceOf(AbortError);
  });

  test("close() rejects pending requests, is idempotent, and refuses later operations", async () => {
    server = await faultServer(() => undefined);
    client = await EnipClient.connect({ host: "127.0.0.1", port: server.port });
    const p = client.read("X").then(
      () => undefined,
      (e: unknown) => e,
    );
    await Promise.all([client.close(), client.close()]);
    expect(await p).toBeInstanceOf(SessionClosedError);
    expect(client.state).toBe("closed");
    await expect(client.read("X")).rejects.toBeInstanceOf(SessionClosedError);
  });

  test("a refused connection rejects with SessionClosedError; a silent RegisterSession with RequestTimeoutError", async () => {
    const probe = await faultServer(() => undefined);
    const port = probe.port;
    await probe.close();
    await expect(
      EnipClient.connect({ host: "127.0.0.1", port, connectTimeout: 1000 }),
    ).rejects.toBeInstanceOf(SessionClosedError);
    const held = new Set<Socket>();
    const silent = createServer((socket) => {
      held.add(socket);
      socket.on("error", () => undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const silentPort = (silent.address() as { port: number }).port;
    const started = performance.now();
    await expect(
      EnipClient.connect({ host: "127.0.0.1", port: silentPort, timeout: 200 }),
    ).rejects.toBeInstanceOf(RequestTimeoutError);
    expect(performance.now() - started).toBeLessThan(1000);
    for (const s of held) s.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });

  test("an abort of the client's own signal closes it", async () => {
    server = await faultServer(() => undefined);
    const controller = new AbortController();
    client = await EnipClient.connect({ host: "127.0.0.1", port: server.port, signal: controller.signal });
    const p = client.read("X").then(
      () => undefined,
      (e: unknown) => e,
    );
    controller.abort();
    expect(await p).toBeInstanceOf(SessionClosedError);
    expect(client.state).toBe("closed");
  });

  test("a refused Large Forward Open falls back to a standard one of 504 bytes", async () => {
    const asked: number[] = [];
    server = await faultServer(
      () => undefined,
      (request) => {
        asked.push(request.service);
        if (request.service === 0x5b)
          return { kind: "forwardOpenFailure", service: 0xdb, generalStatus: 0x08, extStatus: [] };
        return {
          kind: "forwardOpen",
          service: 0xd4,
          generalStatus: 0,
          extStatus: [],
          otConnectionId: 0x7a7a,
          toConnectionId: request.toConnectionId,
          connectionSerial: request.connectionSerial,
          originatorVendor: request.originatorVendor,
          originatorSerial: request.originatorSerial,
          otApiUs: request.otRpiUs,
          toApiUs: request.toRpiUs,
          applicationReply: new Uint8Array(0),
        };
      },
    );
    client = await EnipClient.connect({ host: "127.0.0.1", port: server.port, connected: true });
    expect(asked).toEqual([0x5b, 0x54]);
    expect(client.connectionSize).toBe(504);
    const r = await client.read("X");
    expect(r.ok).toBe(true);
    expect(r.value).toEqual([0]);
  });

  test("a Forward Open refused in both forms fails the connect with ProtocolError", async () => {
    server = await faultServer(
      () => undefined,
      (request) => ({
        kind: "forwardOpenFailure",
        service: request.service === 0x5b ? 0xdb : 0xd4,
        generalStatus: 0x01,
        extStatus: [0x0100],
      }),
    );
    await expect(
      EnipClient.connect({ host: "127.0.0.1", port: server.port, connected: true }),
    ).rejects.toThrow(/Forward Open refused/);
  });
});

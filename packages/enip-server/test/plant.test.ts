import { createServer } from "node:net";
import { type ListIdentityItem, readTagRequest } from "@cpppo/cip-codec";
import { InvalidArgumentError } from "../src/core/errors.js";
import { type Plant, startPlant } from "../src/plant.js";
import { TestClient, withDeadline } from "./support/server-client.js";

const plants: Plant[] = [];
const clients: TestClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await withDeadline(Promise.all(plants.splice(0).map((p) => p.close())), "plants to close", 5000);
});

/** A port free on 127.0.0.1..3 at the time of asking. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.2", resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe("startPlant", () => {
  test("runs 3 controllers on 127.0.0.1..3, each with its own tags and identity address", async () => {
    const plant = await startPlant({
      count: 3,
      port: 0,
      controller: (i) => ({ tags: [`SCADA=INT[${10 + i}]`] }),
      server: { udp: false },
    });
    plants.push(plant);
    expect(plant.servers).toHaveLength(3);
    for (let i = 0; i < 3; i++) {
      const server = plant.servers[i];
      const address = `127.0.0.${i + 1}`;
      expect(server?.tcpAddress?.address).toBe(address);
      const port = server?.tcpAddress?.port ?? 0;
      const c = await TestClient.connect(port, address);
      clients.push(c);
      await c.register();
      // Each controller has a SCADA of its own size: reading its last element works, one more does not.
      expect(
        (await c.request(readTagRequest([{ symbolic: "SCADA" }, { element: 9 + i }]))).generalStatus,
      ).toBe(0);
      expect(
        (await c.request(readTagRequest([{ symbolic: "SCADA" }, { element: 10 + i }]))).generalStatus,
      ).not.toBe(0);
      c.send(new Uint8Array([0x63, 0, 0, 0, ...new Array(20).fill(0)]));
      const identity = await c.next();
      const item = (identity.body as { cpf: ListIdentityItem[] }).cpf[0];
      expect(item?.socketAddress).toEqual({ family: 2, port, address });
    }
  });

  test("a shared port on distinct addresses; a failure closes the servers already started", async () => {
    const port = await freePort();
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(port, "127.0.0.2", resolve));
    try {
      await expect(startPlant({ count: 3, port, server: { udp: false } })).rejects.toMatchObject({
        code: "EADDRINUSE",
      });
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
    const plant = await startPlant({ count: 3, port, server: { udp: false } });
    plants.push(plant);
    expect(plant.servers.map((s) => `${s.tcpAddress?.address}:${s.tcpAddress?.port}`)).toEqual([
      `127.0.0.1:${port}`,
      `127.0.0.2:${port}`,
      `127.0.0.3:${port}`,
    ]);
    const closing = plant.close();
    expect(plant.close()).toBe(closing);
    await closing;
    expect(plant.servers.every((s) => s.tcpAddress === undefined)).toBe(true);
  });

  test("bad options throw InvalidArgumentError", async () => {
    await expect(startPlant({ count: 0 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(startPlant({ count: 2, baseAddress: "localhost" })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await expect(startPlant({ count: 2, baseAddress: "255.255.255.255" })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
  });

  test("aborting the signal closes the plant", async () => {
    const abort = new AbortController();
    const plant = await startPlant({ count: 2, port: 0, signal: abort.signal });
    plants.push(plant);
    abort.abort();
    await withDeadline(Promise.all(plant.servers.map((s) => s.closed)), "the plant to close");
  });
});

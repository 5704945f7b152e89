/** Servers on a loopback port 0 for the transport suites, and raw clients to them, all closed after each test. */
import type { Controller, RequestContext } from "../../src/controller/controller.js";
import { EnipServer, type ServerOptions } from "../../src/server.js";
import { makeController, recordContexts, TestClient, withDeadline } from "./server-client.js";

/** A started server, its controller, the contexts the controller saw, and the port to reach it on. */
export interface StartedServer {
  server: EnipServer;
  controller: Controller;
  contexts: RequestContext[];
  port: number;
}

/** What `useServers` gives a suite. */
export interface ServerHarness {
  /** Starts a server on 127.0.0.1 port 0 over `makeController()`, with `defaults` then `extra` as options. */
  start(extra?: Partial<ServerOptions>): Promise<StartedServer>;
  /** A raw client connected to `port`, registered unless `register` is false. */
  client(port: number, register?: boolean): Promise<TestClient>;
}

/** Servers and clients for one suite; an `afterEach` it registers closes every one (servers within 5 s). */
export function useServers(defaults: Partial<ServerOptions> = {}): ServerHarness {
  const servers: EnipServer[] = [];
  const clients: TestClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await withDeadline(Promise.all(servers.splice(0).map((s) => s.close())), "servers to close", 5000);
  });
  return {
    async start(extra = {}) {
      const controller = makeController();
      const contexts = recordContexts(controller);
      const server = await EnipServer.start({
        controller,
        host: "127.0.0.1",
        port: 0,
        ...defaults,
        ...extra,
      });
      servers.push(server);
      return { server, controller, contexts, port: server.tcpAddress?.port ?? server.udpAddress?.port ?? 0 };
    },
    async client(port, register = true) {
      const c = await TestClient.connect(port);
      clients.push(c);
      if (register) await c.register();
      return c;
    },
  };
}

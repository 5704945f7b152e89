/** An in-process simulator on 127.0.0.1 port 0 for the CLIs to talk to. */
// The app depends on the simulator package only for its tests (a devDependency).
import { Controller, EnipServer } from "@cpppo/enip-server";

/** A running simulator and the `-a` text that reaches it. */
export interface Simulator {
  server: EnipServer;
  controller: Controller;
  port: number;
  address: string;
}

/** Starts a simulator with `tags` (cpppo's tag definitions, e.g. "SCADA=INT[1000]"). */
export async function startSimulator(
  tags: string[],
  options: { routePath?: false } = {},
): Promise<Simulator> {
  const controller = new Controller({ tags });
  const server = await EnipServer.start({ controller, host: "127.0.0.1", port: 0, ...options });
  const port = (server.tcpAddress as { port: number }).port;
  return { server, controller, port, address: `127.0.0.1:${port}` };
}

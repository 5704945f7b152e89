// The real simulator on a loopback port 0, as every client suite boots it.
import { Controller, type ControllerOptions, EnipServer } from "@cpppo/enip-server";

/** A running simulator and the port it listens on. */
export interface Simulator {
  server: EnipServer;
  port: number;
}

/** Starts the simulator with `tags` (or controller options, or a controller) on 127.0.0.1, TCP only, on a free port. */
export async function startSimulator(
  tags: string[] | ControllerOptions | Controller = [],
): Promise<Simulator> {
  const controller =
    tags instanceof Controller ? tags : new Controller(Array.isArray(tags) ? { tags } : tags);
  const server = await EnipServer.start({ controller, host: "127.0.0.1", port: 0, udp: false });
  return { server, port: server.tcpAddress?.port as number };
}

import { createServer, type Socket } from "node:net";

/** A bare Node server: its port, and a close that also ends the connections it holds. */
export interface NodeReferenceServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * The benchmarks' Node floor: a TCP server on 127.0.0.1, port 0, that writes `answer(chunk)` for every chunk it
 * receives and does nothing else (an echo, or one canned reply). A server's figure over this one is what its own
 * work costs beyond Node's sockets.
 */
export async function startNodeReferenceServer(
  answer: (chunk: Buffer) => Uint8Array,
): Promise<NodeReferenceServer> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on("data", (chunk) => socket.write(answer(chunk)));
    socket.on("error", () => socket.destroy());
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  return {
    port: typeof address === "object" && address !== null ? address.port : 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

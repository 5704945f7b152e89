// A simulator in a process of its own, so that one benchmark figure measures the client without sharing its event loop.
import { Controller, EnipServer } from "@cpppo/enip-server";

const controller = new Controller({ tags: ["SCADA=DINT[1000]", "BIG=DINT[10000]"] });
const server = await EnipServer.start({ controller, host: "127.0.0.1", port: 0, udp: false });
process.send?.(server.tcpAddress?.port);
process.on("message", async () => {
  await server.close();
  process.exit(0);
});

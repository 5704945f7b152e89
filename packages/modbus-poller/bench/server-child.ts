// The benchmarks' Modbus/TCP server in a process of its own, so its CPU is not the poller's: our simulator with
// holding registers 40001-40300, on 127.0.0.1 port 0; prints the port, exits when stdin closes.
import { ModbusServer, ModbusStore, parseRegisterRanges } from "@cpppo/modbus-server";

const server = new ModbusServer({ store: ModbusStore.fromRanges(parseRegisterRanges(["40001-40300=7"])) });
const { port } = await server.listenTcp({ host: "127.0.0.1", port: 0 });
console.log(String(port));
process.stdin.resume();
process.stdin.on("end", () => void server.close({ deadlineMs: 0 }).then(() => process.exit(0)));

// A normal EtherNet/IP client for the dashboard benchmark: lock-step reads of one DINT, timed, without pause. Each
// line "mark" on stdin prints JSON {count, p50, p99} (milliseconds) of the reads since the last mark and starts a new
// slice; "stop" (or the end of stdin) closes the client and exits. Usage: latency-client.ts PORT
import { createInterface } from "node:readline";
import { EnipClient } from "../../enip-client/src/index.js";

const port = Number(process.argv[2]);
const client = await EnipClient.connect({ host: "127.0.0.1", port });
for (let i = 0; i < 200; i++) await client.read("D");
let times: number[] = [];
let running = true;
createInterface({ input: process.stdin })
  .on("line", (line) => {
    if (line.trim() === "mark") {
      const slice = times.sort((a, b) => a - b);
      times = [];
      const at = (q: number) => slice[Math.min(slice.length - 1, Math.floor(q * slice.length))] ?? 0;
      console.log(JSON.stringify({ count: slice.length, p50: at(0.5), p99: at(0.99) }));
    } else if (line.trim() === "stop") running = false;
  })
  .on("close", () => {
    running = false;
  });
while (running) {
  const start = performance.now();
  const r = await client.read("D");
  times.push(performance.now() - start);
  if (!r.ok) throw new Error(`read failed: ${r.status}`);
}
await client.close();

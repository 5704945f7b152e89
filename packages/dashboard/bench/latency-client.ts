// A normal EtherNet/IP client for the dashboard benchmark: lock-step reads of one DINT, each timed; prints JSON
// {count, p50, p99} in milliseconds. Usage: latency-client.ts PORT READS
import { EnipClient } from "../../enip-client/src/index.js";

const port = Number(process.argv[2]);
const reads = Number(process.argv[3] ?? 3000);
const client = await EnipClient.connect({ host: "127.0.0.1", port });
for (let i = 0; i < 200; i++) await client.read("D");
const times: number[] = [];
for (let i = 0; i < reads; i++) {
  const start = performance.now();
  const r = await client.read("D");
  times.push(performance.now() - start);
  if (!r.ok) throw new Error(`read failed: ${r.status}`);
}
await client.close();
times.sort((a, b) => a - b);
const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0;
console.log(JSON.stringify({ count: times.length, p50: at(0.5), p99: at(0.99) }));

// N dashboards' worth of event streams for the dashboard benchmark, opened and closed on command: each reads
// /api/events and parses every event, as a page would. Lines on stdin: "open" opens N streams and prints "open" once
// all have their hello; "close" closes them all and prints "closed"; the end of stdin exits.
// Usage: sse-clients.ts URL N
import { type ClientRequest, request } from "node:http";
import { createInterface } from "node:readline";

const url = process.argv[2] ?? "";
const n = Number(process.argv[3] ?? 50);
let open: ClientRequest[] = [];

function openAll(): void {
  let ready = 0;
  for (let i = 0; i < n; i++) {
    const req = request(url, { headers: { Accept: "text/event-stream" } }, (res) => {
      res.setEncoding("utf8");
      let buffer = "";
      let hello = false;
      res.on("data", (chunk: string) => {
        buffer += chunk;
        for (let at = buffer.indexOf("\n\n"); at >= 0; at = buffer.indexOf("\n\n")) {
          const data = /^data: (.*)$/m.exec(buffer.slice(0, at))?.[1];
          buffer = buffer.slice(at + 2);
          if (data) JSON.parse(data);
          if (!hello && data) {
            hello = true;
            if (++ready === n) console.log("open");
          }
        }
      });
      res.on("error", () => undefined);
    });
    req.on("error", () => undefined);
    req.end();
    open.push(req);
  }
}

createInterface({ input: process.stdin })
  .on("line", (line) => {
    if (line.trim() === "open") openAll();
    else if (line.trim() === "close") {
      for (const req of open) req.destroy();
      open = [];
      console.log("closed");
    }
  })
  .on("close", () => {
    for (const req of open) req.destroy();
    process.exit(0);
  });

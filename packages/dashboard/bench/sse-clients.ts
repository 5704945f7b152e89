// N dashboards' worth of event streams for the dashboard benchmark: each reads /api/events and parses every event,
// as a page would. Prints "ready" once all have their hello, then runs until killed.
import { request } from "node:http";

const url = process.argv[2] ?? "";
const n = Number(process.argv[3] ?? 50);
let ready = 0;
for (let i = 0; i < n; i++) {
  request(url, { headers: { Accept: "text/event-stream" } }, (res) => {
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
          if (++ready === n) console.log("ready");
        }
      }
    });
  }).end();
}

// A writer process for the kill -9 test: writes records {n: 0, 1, …} to argv[2] without end, printing
// `ack N` once record N is acknowledged (its promise resolved), until the parent kills it.
import { HistoryWriter } from "../../src/files/index.js";

const writer = new HistoryWriter(process.argv[2] as string);
let n = 0;
async function loop(): Promise<void> {
  for (;;) {
    const i = n++;
    // Several records in flight at once: acknowledgements come per group commit.
    const pending = [writer.write({ n: i }), i % 3 === 0 ? writer.write({ n: n++ }) : undefined];
    await Promise.all(pending);
    process.stdout.write(`ack ${n - 1}\n`);
  }
}
void loop();

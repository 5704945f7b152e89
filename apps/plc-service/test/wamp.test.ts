/**
 * WAMP end to end with real processes: wamp-router, plc-service --wamp, our plc-client over WAMP://, and
 * autobahn-python (Twisted, msgpack) as a caller that also receives the status events.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { cleanup, exitOf, run, runToEnd, tempDir } from "./support/process.js";

jest.setTimeout(180_000);
afterEach(cleanup);

/** Runs the autobahn-python caller; resolves its JSON lines (Twisted's own log lines skipped) and exit code. */
function autobahn(url: string, id: string): Promise<{ code: number | null; lines: unknown[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      "/usr/bin/python3",
      [join(__dirname, "support", "autobahn_caller.py"), url, "Automation", id],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    let err = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`autobahn caller hung: ${out} ${err}`));
    }, 60_000);
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      err += c.toString();
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      try {
        resolve({
          code,
          lines: out
            .split("\n")
            .filter((l) => l.startsWith("["))
            .map((l) => JSON.parse(l)),
        });
      } catch {
        reject(new Error(`autobahn caller printed ${out}; stderr ${err}`));
      }
    });
  });
}

describe("WAMP with real peers", () => {
  it("autobahn-python calls <ID>.GetPLCstatus and StartPLC through wamp-router, and gets the status event", async () => {
    const router = run("wamp-router", ["-a", "127.0.0.1:0"]);
    const [, url] = await router.waitFor(/^Ready: (ws:\/\/127\.0\.0\.1:\d+\/ws)$/m);
    const dir = await tempDir();
    const svc = run("plc-service", [
      "-a",
      "127.0.0.1:0",
      "--workdir",
      dir,
      "--wamp",
      url as string,
      "--wamp-id",
      "plc7",
    ]);
    const [, ready] = await svc.waitFor(/^Ready: (.*)$/m);
    const port = /:(\d+)\/ws$/.exec(url as string)?.[1];
    const wampUri = `WAMP://127.0.0.1:${port}/ws#Automation#plc7`;
    expect(ready?.split(" ")).toEqual([expect.stringMatching(/^PYRO:\/\/127\.0\.0\.1:\d+$/), wampUri]);
    const program = join(dir, "p.json");
    await import("node:fs/promises").then((fs) =>
      fs.writeFile(program, JSON.stringify({ parts: [{ kind: "modbus", name: "m", port: 0 }] })),
    );
    expect(await runToEnd("plc-client", [wampUri, "transfer", program])).toMatchObject({
      code: 0,
      stdout: "true\n",
    });
    const caller = await autobahn(url as string, "plc7");
    expect(caller).toEqual({
      code: 0,
      lines: [
        ["status", ["Stopped", [0, 0, 0, 0]]],
        ["start", true],
        ["event", "Started"],
      ],
    });
    svc.child.kill("SIGTERM");
    expect((await exitOf(svc)).code).toBe(0);
    router.child.kill("SIGTERM");
    expect((await exitOf(router)).code).toBe(0);
  });

  it("the service registers again after the router is killed (-9) and restarted", async () => {
    const router = run("wamp-router", ["-a", "127.0.0.1:0"]);
    const [, url] = await router.waitFor(/^Ready: (ws:\/\/127\.0\.0\.1:(\d+)\/ws)$/m);
    const port = /:(\d+)\/ws$/.exec(url as string)?.[1] as string;
    const dir = await tempDir();
    const svc = run("plc-service", [
      "-a",
      "127.0.0.1:0",
      "--workdir",
      dir,
      "--wamp",
      url as string,
      "--wamp-id",
      "plc8",
    ]);
    await svc.waitFor(/^Ready: /m);
    const uri = `WAMP://127.0.0.1:${port}/ws#Automation#plc8`;
    expect(await runToEnd("plc-client", [uri, "GetPLCstatus"])).toMatchObject({
      code: 0,
      stdout: '["Empty",[0,0,0,0]]\n',
    });
    router.child.kill("SIGKILL");
    await exitOf(router);
    expect(await runToEnd("plc-client", ["--timeout", "3", uri, "GetPLCstatus"])).toMatchObject({
      code: 1,
      stdout: "Disconnected\n",
    });
    const again = run("wamp-router", ["-a", `127.0.0.1:${port}`]);
    await again.waitFor(/^Ready: /m);
    await svc.waitFor(/wamp joined[^\n]*\n[\s\S]*wamp joined/, "stderr");
    expect(await runToEnd("plc-client", [uri, "GetPLCstatus"])).toMatchObject({
      code: 0,
      stdout: '["Empty",[0,0,0,0]]\n',
    });
    svc.child.kill("SIGINT");
    expect((await exitOf(svc)).code).toBe(0);
  });
});

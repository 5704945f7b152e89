/**
 * The WAMP security flags with real processes: wamp-router --auth-file --cert --key (WAMP-CRA over wss://),
 * plc-service --wamp wss://… --wamp-secret-file --wamp-ca, plc-client WAMPS://… with the same; and plc-service
 * --wamp-listen hosting the router itself.
 */
import { execFileSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { cleanup, exitOf, run, runToEnd, tempDir } from "./support/process.js";

jest.setTimeout(180_000);
afterEach(cleanup);

/** A CA and a server certificate for IP 127.0.0.1 minted by openssl in `dir`. */
function mint(dir: string): { ca: string; cert: string; key: string } {
  const at = (f: string): string => join(dir, f);
  const ssl = (...args: string[]): void => void execFileSync("openssl", args, { stdio: "pipe" });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  ssl(
    "req",
    "-x509",
    ...ec,
    "-keyout",
    at("ca.key"),
    "-out",
    at("ca.pem"),
    "-days",
    "2",
    "-subj",
    "/CN=test CA",
  );
  ssl("req", ...ec, "-keyout", at("server.key"), "-out", at("server.csr"), "-subj", "/CN=127.0.0.1");
  execFileSync("sh", ["-c", `echo subjectAltName=IP:127.0.0.1 > ${at("san.ext")}`]);
  ssl(
    "x509",
    "-req",
    "-in",
    at("server.csr"),
    "-CA",
    at("ca.pem"),
    "-CAkey",
    at("ca.key"),
    "-CAcreateserial",
    "-out",
    at("server.pem"),
    "-days",
    "2",
    "-extfile",
    at("san.ext"),
  );
  return { ca: at("ca.pem"), cert: at("server.pem"), key: at("server.key") };
}

describe("WAMP-CRA over wss:// with the CLIs", () => {
  it("the service and plc-client authenticate through a TLS router; a wrong secret is Disconnected", async () => {
    const dir = await tempDir();
    const pki = mint(dir);
    const auth = join(dir, "wamp-auth.txt");
    await writeFile(auth, "# AUTHID:SECRET\nplc9:runtime-secret\nide:ide-secret\n");
    await writeFile(join(dir, "plc9.secret"), "plc9:runtime-secret\n");
    await writeFile(join(dir, "ide.secret"), "ide:ide-secret\n");
    await writeFile(join(dir, "bad.secret"), "ide:not-it\n");
    const router = run("wamp-router", [
      "-a",
      "127.0.0.1:0",
      "--auth-file",
      auth,
      "--cert",
      pki.cert,
      "--key",
      pki.key,
    ]);
    const [, url] = await router.waitFor(/^Ready: (wss:\/\/127\.0\.0\.1:\d+\/ws)$/m);
    const svc = run("plc-service", [
      "-a",
      "127.0.0.1:0",
      "--workdir",
      dir,
      "--wamp",
      url as string,
      "--wamp-id",
      "plc9",
      "--wamp-secret-file",
      join(dir, "plc9.secret"),
      "--wamp-ca",
      pki.ca,
    ]);
    const [, ready] = await svc.waitFor(/^Ready: (.*)$/m);
    const port = /:(\d+)\/ws$/.exec(url as string)?.[1];
    const uri = `WAMPS://127.0.0.1:${port}/ws#Automation#plc9`;
    expect(ready?.split(" ")[1]).toBe(uri);
    const secure = ["--wamp-ca", pki.ca, "--wamp-secret-file"];
    expect(
      await runToEnd("plc-client", [...secure, join(dir, "ide.secret"), uri, "GetPLCstatus"]),
    ).toMatchObject({
      code: 0,
      stdout: '["Empty",[0,0,0,0]]\n',
    });
    expect(
      await runToEnd("plc-client", [
        ...secure,
        join(dir, "bad.secret"),
        "--timeout",
        "3",
        uri,
        "GetPLCstatus",
      ]),
    ).toMatchObject({ code: 1, stdout: "Disconnected\n" });
    expect(await runToEnd("plc-client", ["--timeout", "3", uri, "GetPLCstatus"])).toMatchObject({
      code: 1,
      stdout: "Disconnected\n",
    });
    expect(
      await runToEnd("plc-client", ["--wamp-secret-file", join(dir, "missing"), uri, "GetPLCstatus"]),
    ).toMatchObject({ code: 2 });
    svc.child.kill("SIGTERM");
    expect((await exitOf(svc)).code).toBe(0);
    router.child.kill("SIGTERM");
    expect((await exitOf(router)).code).toBe(0);
    expect((await runToEnd("wamp-router", ["-a", "127.0.0.1:0", "--cert", pki.cert])).code).toBe(2);
    expect(
      (await runToEnd("wamp-router", ["-a", "127.0.0.1:0", "--auth-file", join(dir, "missing")])).code,
    ).toBe(2);
  });

  it("plc-service --wamp-listen hosts the router: WAMP:// clients call the runtime over one WebSocket", async () => {
    const dir = await tempDir();
    const svc = run("plc-service", [
      "-a",
      "127.0.0.1:0",
      "--workdir",
      dir,
      "--wamp-listen",
      "127.0.0.1:0",
      "--wamp-id",
      "plc10",
    ]);
    const [, ready] = await svc.waitFor(/^Ready: (.*)$/m);
    const [pyro, wamp] = ready?.split(" ") ?? [];
    expect(pyro).toMatch(/^PYRO:\/\/127\.0\.0\.1:\d+$/);
    expect(wamp).toMatch(/^WAMP:\/\/127\.0\.0\.1:\d+\/ws#Automation#plc10$/);
    expect(await runToEnd("plc-client", [wamp as string, "GetPLCstatus"])).toMatchObject({
      code: 0,
      stdout: '["Empty",[0,0,0,0]]\n',
    });
    expect(
      (await runToEnd("plc-service", ["-a", "127.0.0.1:0", "--wamp-listen", "127.0.0.1:0", "--workdir", dir]))
        .code,
    ).toBe(2);
    svc.child.kill("SIGINT");
    expect((await exitOf(svc)).code).toBe(0);
  });
});

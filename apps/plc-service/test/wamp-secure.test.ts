/**
 * The WAMP security flags with real processes: wamp-router --auth-file --cert --key (WAMP-CRA over wss://),
 * plc-service --wamp wss://… --wamp-secret-file --wamp-ca, plc-client WAMPS://… with the same; and plc-service
 * --wamp-listen hosting the router itself.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { TestPki } from "@cpppo/test-kit";
import { cleanup, exitOf, run, runToEnd, tempDir } from "./support/process.js";

jest.setTimeout(180_000);
afterEach(cleanup);

/** Every folder of certificates minted by a test, removed after it. */
const minted: TestPki[] = [];
afterEach(() => {
  for (const pki of minted.splice(0)) pki.remove();
});

/** A CA and a server certificate for IP 127.0.0.1 minted by openssl: the files' paths. */
function mint(): { ca: string; cert: string; key: string } {
  const pki = new TestPki("cpppo-wamps-cli-");
  minted.push(pki);
  const ca = pki.ca("ca");
  const server = pki.issue("server", "ca", ["subjectAltName=IP:127.0.0.1"], "/CN=127.0.0.1");
  return { ca: ca.certFile, cert: server.certFile, key: server.keyFile };
}

describe("WAMP-CRA over wss:// with the CLIs", () => {
  it("the service and plc-client authenticate through a TLS router; a wrong secret is Disconnected", async () => {
    const dir = await tempDir();
    const pki = mint();
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

/** External peers for the connector tests: stunnel in PSK mode (client or server) and openssl s_client. */
import { type ChildProcess, spawn } from "node:child_process";
import { chmod, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";

/** How long a peer may take to come up or answer before the test fails. */
export const PEER_WAIT_MS = 20_000;

const children: ChildProcess[] = [];

/** Kills every peer still running (for an afterEach). */
export function killPeers(): void {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
}

/** A port that was free a moment ago (for stunnel, which cannot report the port it bound). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Runs stunnel in the foreground with one service; resolves once it has bound its accept port. */
export async function startStunnel(
  dir: string,
  role: "client" | "server",
  accept: number,
  connect: number,
  secretsFile: string,
): Promise<ChildProcess> {
  const conf = join(dir, `stunnel-${role}-${accept}.conf`);
  await chmod(secretsFile, 0o600);
  await writeFile(
    conf,
    [
      "foreground = yes",
      "pid =",
      "debug = 5",
      `[${role}]`,
      `client = ${role === "client" ? "yes" : "no"}`,
      `accept = 127.0.0.1:${accept}`,
      `connect = 127.0.0.1:${connect}`,
      "ciphers = PSK",
      `PSKsecrets = ${secretsFile}`,
      "",
    ].join("\n"),
  );
  const child = spawn("stunnel", [conf], { stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let log = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`stunnel did not start: ${log}`)), PEER_WAIT_MS);
    const onData = (chunk: Buffer): void => {
      log += chunk.toString();
      if (/Configuration successful/.test(log)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`stunnel exited ${code}: ${log}`));
    });
  });
  return child;
}

/** Runs `openssl s_client -psk` against 127.0.0.1:`port`; resolves whether the handshake completed. */
export function opensslPsk(port: number, identity: string, key: Buffer, tls12: boolean): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const args = [
      "s_client",
      "-brief",
      "-connect",
      `127.0.0.1:${port}`,
      "-psk_identity",
      identity,
      "-psk",
      key.toString("hex"),
    ];
    if (tls12) args.push("-tls1_2", "-cipher", "PSK");
    else args.push("-tls1_3", "-ciphersuites", "TLS_AES_128_GCM_SHA256");
    const child = spawn("openssl", args, { stdio: ["pipe", "pipe", "pipe"] });
    children.push(child);
    let out = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`openssl s_client hung: ${out}`));
    }, PEER_WAIT_MS);
    child.stdout?.on("data", (c: Buffer) => {
      out += c.toString();
    });
    child.stderr?.on("data", (c: Buffer) => {
      out += c.toString();
      if (/CONNECTION ESTABLISHED/.test(out)) child.stdin?.end();
    });
    child.once("exit", () => {
      clearTimeout(timer);
      resolve(
        /CONNECTION ESTABLISHED/.test(out) &&
          !/alert|error/i.test(out.split("CONNECTION ESTABLISHED")[0] ?? ""),
      );
    });
  });
}

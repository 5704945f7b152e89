/**
 * Test support for Wireshark checks (moved here from cip-codec's tests so every package can use it): a
 * minimal pcap writer that wraps TCP payloads and UDP datagrams between clients and a server in
 * Ethernet/IPv4 frames with correct checksums, sequence and acknowledgement numbers, each TCP
 * conversation opened by a three-way handshake, so tshark dissects them as clean conversations; and
 * tshark verdicts (malformed frames, expert errors, fields) over such a file.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const SYN = 0x02;
const FIN = 0x01;
const ACK = 0x10;
const PSH = 0x08;

function checksum(bytes: Uint8Array, initial = 0): number {
  let sum = initial;
  for (let i = 0; i + 1 < bytes.length; i += 2) sum += ((bytes[i] as number) << 8) | (bytes[i + 1] as number);
  if (bytes.length % 2) sum += (bytes[bytes.length - 1] as number) << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

type Ipv4 = readonly [number, number, number, number];
const CLIENT_IP: Ipv4 = [10, 0, 0, 1];
const SERVER_IP: Ipv4 = [10, 0, 0, 2];
/** Microseconds between consecutive records, so timestamps rise and tshark's timing columns stay sane. */
const RECORD_SPACING_US = 1000;

function pseudoHeaderSum(src: Ipv4, dst: Ipv4, proto: number, length: number): number {
  const words =
    ((src[0] << 8) | src[1]) + ((src[2] << 8) | src[3]) + ((dst[0] << 8) | dst[1]) + ((dst[2] << 8) | dst[3]);
  return words + proto + length;
}

/** The records of one pcap file, shared by every conversation written into it. */
class RecordLog {
  readonly records: Uint8Array[] = [];
  private ipId = 1;
  private readonly startSeconds = 1_700_000_000;

  ip(proto: number, src: Ipv4, dst: Ipv4, body: Uint8Array): void {
    const frame = new Uint8Array(14 + 20 + body.length);
    const v = new DataView(frame.buffer);
    frame.set([2, 0, 0, 0, 0, dst[3], 2, 0, 0, 0, 0, src[3]], 0);
    v.setUint16(12, 0x0800);
    const ip = frame.subarray(14, 34);
    const iv = new DataView(frame.buffer, 14, 20);
    ip[0] = 0x45;
    iv.setUint16(2, 20 + body.length);
    iv.setUint16(4, this.ipId++ & 0xffff);
    iv.setUint16(6, 0x4000);
    ip[8] = 64;
    ip[9] = proto;
    ip.set(src, 12);
    ip.set(dst, 16);
    iv.setUint16(10, checksum(ip));
    frame.set(body, 34);
    const rec = new Uint8Array(16 + frame.length);
    const rv = new DataView(rec.buffer);
    const us = this.records.length * RECORD_SPACING_US;
    rv.setUint32(0, this.startSeconds + Math.floor(us / 1_000_000), true);
    rv.setUint32(4, us % 1_000_000, true);
    rv.setUint32(8, frame.length, true);
    rv.setUint32(12, frame.length, true);
    rec.set(frame, 16);
    this.records.push(rec);
  }
}

/** One TCP conversation (client port ↔ server port) inside a pcap file; opened with a three-way handshake. */
export class TcpConversation {
  private clientSeq = 1000;
  private serverSeq = 5000;
  private finished = false;

  /** @internal Use `PcapWriter.conversation` (or the writer's own default conversation). */
  constructor(
    private readonly log: RecordLog,
    readonly serverPort: number,
    readonly clientPort: number,
  ) {
    this.segment(true, SYN, new Uint8Array(0));
    this.segment(false, SYN | ACK, new Uint8Array(0));
    this.segment(true, ACK, new Uint8Array(0));
  }

  /** A TCP segment client → server carrying `payload`. */
  request(payload: Uint8Array): this {
    this.segment(true, PSH | ACK, payload);
    return this;
  }

  /** A TCP segment server → client carrying `payload`. */
  reply(payload: Uint8Array): this {
    this.segment(false, PSH | ACK, payload);
    return this;
  }

  /** Closes the conversation (FIN from the client, FIN from the server, last ACK); later calls do nothing. */
  close(): this {
    if (this.finished) return this;
    this.finished = true;
    this.segment(true, FIN | ACK, new Uint8Array(0));
    this.segment(false, FIN | ACK, new Uint8Array(0));
    this.segment(true, ACK, new Uint8Array(0));
    return this;
  }

  private segment(fromClient: boolean, flags: number, payload: Uint8Array): void {
    const seg = new Uint8Array(20 + payload.length);
    const v = new DataView(seg.buffer);
    v.setUint16(0, fromClient ? this.clientPort : this.serverPort);
    v.setUint16(2, fromClient ? this.serverPort : this.clientPort);
    v.setUint32(4, fromClient ? this.clientSeq : this.serverSeq);
    v.setUint32(8, flags & ACK ? (fromClient ? this.serverSeq : this.clientSeq) : 0);
    seg[12] = 5 << 4;
    seg[13] = flags;
    v.setUint16(14, 65535);
    seg.set(payload, 20);
    const [src, dst] = fromClient ? [CLIENT_IP, SERVER_IP] : [SERVER_IP, CLIENT_IP];
    v.setUint16(16, checksum(seg, pseudoHeaderSum(src, dst, 6, seg.length)));
    const advance = payload.length + (flags & (SYN | FIN) ? 1 : 0);
    if (fromClient) this.clientSeq = (this.clientSeq + advance) >>> 0;
    else this.serverSeq = (this.serverSeq + advance) >>> 0;
    this.log.ip(6, src, dst, seg);
  }
}

/**
 * A pcap file of EtherNet/IP traffic between clients (10.0.0.1) and a server (10.0.0.2) on `serverPort`
 * (default 44818). It opens one TCP conversation from `clientPort` (default 50000) at once, which
 * `request`/`reply` write to; `conversation` opens more, and `udp` adds datagrams.
 */
export class PcapWriter {
  private readonly log = new RecordLog();
  private readonly main: TcpConversation;
  private readonly clientPort: number;

  constructor(
    readonly serverPort = 44818,
    clientPort = 50000,
  ) {
    this.clientPort = clientPort;
    this.main = new TcpConversation(this.log, serverPort, clientPort);
  }

  /** A TCP segment client → server carrying `payload`, on the first conversation. */
  request(payload: Uint8Array): this {
    this.main.request(payload);
    return this;
  }

  /** A TCP segment server → client carrying `payload`, on the first conversation. */
  reply(payload: Uint8Array): this {
    this.main.reply(payload);
    return this;
  }

  /** Opens another TCP conversation from `clientPort` (it must differ from the others') to the server. */
  conversation(clientPort: number): TcpConversation {
    return new TcpConversation(this.log, this.serverPort, clientPort);
  }

  /** A UDP datagram between the first client port and the server port (client → server when `toServer`). */
  udp(payload: Uint8Array, toServer: boolean): this {
    const udp = new Uint8Array(8 + payload.length);
    const v = new DataView(udp.buffer);
    v.setUint16(0, toServer ? this.clientPort : this.serverPort);
    v.setUint16(2, toServer ? this.serverPort : this.clientPort);
    v.setUint16(4, udp.length);
    udp.set(payload, 8);
    const [src, dst] = toServer ? [CLIENT_IP, SERVER_IP] : [SERVER_IP, CLIENT_IP];
    v.setUint16(6, checksum(udp, pseudoHeaderSum(src, dst, 17, udp.length)) || 0xffff);
    this.log.ip(17, src, dst, udp);
    return this;
  }

  /** Records written so far, handshakes included. */
  get recordCount(): number {
    return this.log.records.length;
  }

  /** The pcap file: global header (Ethernet link type) and every record so far. */
  bytes(): Uint8Array {
    const header = new Uint8Array(24);
    const v = new DataView(header.buffer);
    v.setUint32(0, 0xa1b2c3d4, true);
    v.setUint16(4, 2, true);
    v.setUint16(6, 4, true);
    v.setUint32(16, 262144, true);
    v.setUint32(20, 1, true);
    const total = this.log.records.reduce((n, r) => n + r.length, 24);
    const out = new Uint8Array(total);
    out.set(header, 0);
    let at = 24;
    for (const r of this.log.records) {
      out.set(r, at);
      at += r.length;
    }
    return out;
  }
}

/** What tshark made of a pcap: one summary line per frame, and the frames it flagged. */
export interface TsharkVerdict {
  lines: string[];
  malformed: string[];
  expertErrors: string[];
  /** `-V` detail of the flagged frames, for a failing test's message. */
  detail: string;
}

/** Runs tshark on `pcap` with ENIP on `port` (TCP and UDP) and returns what it flagged. */
export function tsharkVerdict(pcap: Uint8Array, port = 44818): TsharkVerdict {
  const dir = mkdtempSync(join(tmpdir(), "cpppo-pcap-"));
  const file = join(dir, "frames.pcap");
  try {
    writeFileSync(file, pcap);
    const base = ["-r", file, "-d", `tcp.port==${port},enip`, "-d", `udp.port==${port},enip`];
    const run = (args: string[]) =>
      execFileSync("tshark", [...base, ...args], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
        timeout: 60_000,
      });
    const lines = run(["-Y", "enip"]).split("\n").filter(Boolean);
    const malformed = run(["-Y", "_ws.malformed"]).split("\n").filter(Boolean);
    const expertErrors = run(["-Y", "_ws.expert.severity >= 0x00800000"]).split("\n").filter(Boolean);
    const detail =
      malformed.length + expertErrors.length > 0
        ? run([
            "-Y",
            "_ws.malformed || _ws.expert.severity >= 0x00800000",
            "-V",
            "-O",
            "enip,cip,cipcm,cipcls",
          ])
        : "";
    return { lines, malformed, expertErrors, detail };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs tshark on `pcap` (ENIP on `port`, TCP and UDP) and returns `fields` of each frame matching `filter` (default "enip"), one row per frame. */
export function tsharkFields(
  pcap: Uint8Array,
  fields: readonly string[],
  filter = "enip",
  port = 44818,
): string[][] {
  const dir = mkdtempSync(join(tmpdir(), "cpppo-pcap-"));
  const file = join(dir, "frames.pcap");
  try {
    writeFileSync(file, pcap);
    const args = ["-r", file, "-d", `tcp.port==${port},enip`, "-d", `udp.port==${port},enip`, "-Y", filter];
    args.push("-T", "fields", "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=|");
    for (const f of fields) args.push("-e", f);
    const out = execFileSync("tshark", args, {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
      timeout: 60_000,
    });
    return out
      .split("\n")
      .filter(Boolean)
      .map((line) => line.split("\t"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let tsharkPresent: boolean | undefined;

/** True when a `tshark` executable runs (`tshark --version` succeeds); checked once per test file. */
export function tsharkAvailable(): boolean {
  if (tsharkPresent === undefined) {
    try {
      execFileSync("tshark", ["--version"], { stdio: "ignore", timeout: 30_000 });
      tsharkPresent = true;
    } catch {
      tsharkPresent = false;
    }
  }
  return tsharkPresent;
}

/** True when `process.env.CI` is set to anything but "", "0" or "false" (CI runs `.ci/run` with CI=true). */
export function isCi(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== "" && ci !== "0" && ci.toLowerCase() !== "false";
}

/**
 * A `describe` for tests that need tshark: runs `body` when tshark is installed; otherwise, under CI
 * (where scripts/bootstrap.sh installs it, so absence is a CI bug) one failing test says so, and
 * elsewhere the suite is skipped with the reason in its name.
 */
export function describeWithTshark(name: string, body: () => void): void {
  if (tsharkAvailable()) describe(name, body);
  else if (isCi())
    describe(name, () => {
      it("needs tshark, which CI installs (scripts/bootstrap.sh): it is missing", () => {
        throw new Error("tshark is not installed, but CI must have it: check scripts/bootstrap.sh");
      });
    });
  else describe.skip(`${name} [skipped: tshark is not installed; apt-get install tshark to run it]`, body);
}

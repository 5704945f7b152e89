import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import {
  ConfigDocument,
  configSearchPath,
  loadConfigDocument,
  loadSimulatorConfig,
  normalizeKey,
  parseIni,
  parseInitialValues,
  parseInteger,
  parseRoutePath,
  simulatorConfig,
} from "../src/config.js";
import { ConfigError } from "../src/core/errors.js";

const config = (text: string, file = "test.cfg") => simulatorConfig(new ConfigDocument().merge(text, file));

describe("INI parsing", () => {
  it("reads sections, = and : delimiters, comments and continuation lines", () => {
    const sections = parseIni(
      [
        "# a comment",
        "; another",
        "[One]",
        "a = 1",
        "b: two words",
        "  # indented comment",
        "c = {",
        '    "x": 1',
        "  }",
        "Program:Main.Tag = DINT",
        "empty =",
      ].join("\n"),
      "f.cfg",
    );
    const one = sections.get("One") ?? [];
    expect(one.map((e) => [e.key, e.value, e.line])).toEqual([
      ["a", "1", 4],
      ["b", "two words", 5],
      ["c", '{\n"x": 1\n}', 7],
      ["Program:Main.Tag", "DINT", 10],
      ["empty", "", 11],
    ]);
    expect(one[0]?.file).toBe("f.cfg");
  });

  it("rejects keys before a section, lines without a delimiter, empty keys and duplicate keys, naming the line", () => {
    expect(() => parseIni("a = 1", "x.cfg")).toThrow(/x\.cfg:1: .*before any \[Section\]/);
    expect(() => parseIni("[S]\njust words", "x.cfg")).toThrow(/x\.cfg:2: "just words" is not "key = value"/);
    expect(() => parseIni("[S]\n= 3", "x.cfg")).toThrow(/x\.cfg:2: \[S\] has a value with no key/);
    expect(() => parseIni("[S]\nVendor Number = 1\nvendor_number = 2", "x.cfg")).toThrow(
      /x\.cfg:3: .*set twice/,
    );
    expect(() => parseIni("[S]\nVendor Number = 1\nvendor_number = 2", "x.cfg")).toThrow(ConfigError);
    // Tag names keep their case in [Simulator], so these are two tags.
    expect(parseIni("[Simulator]\nabc = INT\nABC = INT").get("Simulator")).toHaveLength(2);
  });

  it("matches keys case-insensitively with spaces or underscores, and sections case-insensitively", () => {
    expect(normalizeKey("  Vendor_Number ")).toBe("vendor number");
    expect(normalizeKey("PRODUCT   code_NUMBER")).toBe("product code number");
    const doc = new ConfigDocument().merge("[identity]\nvendor_number = 7\n");
    expect(doc.get("Identity", "Vendor Number")).toBe("7");
    expect(doc.sectionNames()).toEqual(["identity"]);
  });

  it("interpolates $KEY, $SECTION:KEY, [DEFAULT] and $$, and names the entry on a bad reference", () => {
    const doc = new ConfigDocument().merge(
      [
        "[DEFAULT]",
        "site = Plant",
        "[Names]",
        `line = \${site} 4`,
        "[Identity]",
        `Product Name = \${Names:line} \${site} $$5`,
        `Loop = \${Loop}`,
        "Dangling = $x",
        `Missing = \${Nope:key}`,
      ].join("\n"),
      "i.cfg",
    );
    expect(doc.get("Identity", "Product Name")).toBe("Plant 4 Plant $5");
    expect(doc.get("Identity", "site")).toBe("Plant");
    expect(() => doc.get("Identity", "Loop")).toThrow(
      /i\.cfg:7: \[Identity\] Loop: interpolation nests deeper/,
    );
    expect(() => doc.get("Identity", "Dangling")).toThrow(/write "\$\$" for a literal "\$"/);
    expect(() => doc.get("Identity", "Missing")).toThrow(
      /\$\{Nope:key\} names no key; define "key" in \[Nope\]/,
    );
  });

  it("never throws anything but ConfigError on arbitrary text (property)", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        try {
          const doc = new ConfigDocument().merge(text);
          for (const name of doc.sectionNames())
            for (const e of doc.section(name)?.entries ?? []) doc.interpolate(name, e);
          simulatorConfig(doc);
        } catch (err) {
          if (!(err instanceof ConfigError)) throw err;
        }
      }),
    );
  });
});

describe("search order", () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "cpppo-cfg-"));
    for (const d of ["etc", "home/.cpppo", "work", "appdata"])
      await mkdir(join(root, d), { recursive: true });
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });
  const dirs = () => ({
    systemDir: join(root, "etc"),
    home: join(root, "home"),
    cwd: join(root, "work"),
    env: {},
  });

  it("lists /etc (or $APPDATA), ~/.cpppo/, ~/., ./ with the basename, lowest first", () => {
    expect(configSearchPath({ home: "/h", cwd: "/w", env: {} })).toEqual([
      "/etc/cpppo.cfg",
      "/h/.cpppo/cpppo.cfg",
      "/h/.cpppo.cfg",
      "/w/cpppo.cfg",
    ]);
    expect(configSearchPath({ home: "/h", cwd: "/w", env: { APPDATA: "/ad" }, basename: "router" })).toEqual([
      "/ad/router.cfg",
      "/h/.cpppo/router.cfg",
      "/h/.router.cfg",
      "/w/router.cfg",
    ]);
    expect(configSearchPath({ home: "/h", cwd: "/w", env: {}, packageDefault: "/pkg/cpppo.cfg" })[0]).toBe(
      "/pkg/cpppo.cfg",
    );
    expect(() => configSearchPath({ basename: "a/b" })).toThrow(ConfigError);
  });

  it("merges existing files so that each later one wins, then -c files in order; --no-config skips the search", async () => {
    const vendor = (n: number) => `[Identity]\nVendor Number = ${n}\nProduct Name = from ${n}\n`;
    await writeFile(join(root, "etc/cpppo.cfg"), `${vendor(1)}Serial Number = 0x10\n`);
    await writeFile(join(root, "home/.cpppo/cpppo.cfg"), vendor(2));
    await writeFile(join(root, "home/.cpppo.cfg"), "[identity]\nproduct_name = from 3\n");
    await writeFile(join(root, "work/cpppo.cfg"), "[Identity]\nDevice Type = 12\n");
    await writeFile(join(root, "work/extra.cfg"), vendor(5));
    await writeFile(join(root, "work/last.cfg"), "[Identity]\nState = 3\n");

    const all = await loadSimulatorConfig({ ...dirs(), files: ["extra.cfg", join(root, "work/last.cfg")] });
    expect(all.files).toEqual([
      join(root, "etc/cpppo.cfg"),
      join(root, "home/.cpppo/cpppo.cfg"),
      join(root, "home/.cpppo.cfg"),
      join(root, "work/cpppo.cfg"),
      join(root, "work/extra.cfg"),
      join(root, "work/last.cfg"),
    ]);
    expect(all.identity).toEqual({
      vendorId: 5,
      productName: "from 5",
      serialNumber: 16,
      deviceType: 12,
      state: 3,
    });

    const searchedOnly = await loadSimulatorConfig(dirs());
    expect(searchedOnly.identity).toEqual({
      vendorId: 2,
      productName: "from 3",
      serialNumber: 16,
      deviceType: 12,
    });

    const none = await loadSimulatorConfig({ ...dirs(), noConfig: true });
    expect(none.files).toEqual([]);
    expect(none.identity).toEqual({});
    const explicitOnly = await loadSimulatorConfig({ ...dirs(), noConfig: true, files: ["last.cfg"] });
    expect(explicitOnly.identity).toEqual({ state: 3 });
  });

  it("uses NAME.cfg for -b NAME, and $APPDATA in place of /etc", async () => {
    await writeFile(join(root, "appdata/router.cfg"), "[Identity]\nVendor Number = 9\n");
    await writeFile(join(root, "etc/router.cfg"), "[Identity]\nVendor Number = 8\n");
    const { systemDir: _etc, ...rest } = dirs();
    const cfg = await loadSimulatorConfig({
      ...rest,
      env: { APPDATA: join(root, "appdata") },
      basename: "router",
    });
    expect(cfg.identity.vendorId).toBe(9);
  });

  it("fails on a missing -c file, naming it and the fix", async () => {
    await expect(loadConfigDocument({ ...dirs(), files: ["nope.cfg"] })).rejects.toThrow(
      new RegExp(`config file ${join(root, "work/nope.cfg")} does not exist; fix the -c path`),
    );
  });
});

describe("sections", () => {
  it("[Identity]: every attribute name of §2.8 in every number notation", () => {
    const cfg = config(
      [
        "[Identity]",
        "Vendor Number = 0x1234",
        "Device Type = 14",
        "Product Code Number = 0o66",
        "Product Revision = 0x0B14",
        "Status Word = 0b11000101100000",
        "Serial Number = 0xFFFFFFFF",
        "Product Name = 1756-L81E/B",
        "State = 255",
        "Configuration Consistency Value = 1",
        "Heartbeat Interval = 2",
      ].join("\n"),
    );
    expect(cfg.identity).toEqual({
      vendorId: 0x1234,
      deviceType: 14,
      productCode: 0o66,
      revision: { major: 20, minor: 11 },
      status: 0x3160,
      serialNumber: 0xffffffff,
      productName: "1756-L81E/B",
      state: 255,
      configurationConsistencyValue: 1,
      heartbeatInterval: 2,
    });
    expect(config("[Identity]\nProduct Revision = 32.1").identity.revision).toEqual({ major: 32, minor: 1 });
  });

  it("[Identity]: bad values name the file, line, section, key and the fix; unknown keys are warnings", () => {
    expect(() => config("[Identity]\nVendor Number = lots", "id.cfg")).toThrow(
      /id\.cfg:2: \[Identity\] Vendor Number = "lots": must be an integer \(decimal, 0x hex, 0o or 0b\) from 0 to 65535/,
    );
    expect(() => config("[Identity]\nState = 256")).toThrow(
      /\[Identity\] State = "256": must be from 0 to 255/,
    );
    expect(() => config("[Identity]\nProduct Revision = 300.1")).toThrow(/must be "MAJOR\.MINOR"/);
    expect(() => config(`[Identity]\nProduct Name = ${"x".repeat(256)}`)).toThrow(/at most 255 characters/);
    expect(() => config("[Identity]\nProduct Name = 名前")).toThrow(/ISO-8859-1/);
    const cfg = config("[Identity]\nFavourite Colour = blue", "w.cfg");
    expect(cfg.warnings).toEqual([
      expect.stringMatching(
        /^w\.cfg:2: \[Identity\] Favourite Colour is not used by the simulator \(known: Vendor Number, /,
      ),
    ]);
  });

  it("[TCPIP]: JSON interface configuration and physical link path, host name, DWORDs", () => {
    const cfg = config(
      [
        "[TCPIP]",
        'Interface Configuration = {"ip_address": "10.0.0.4", "network_mask": "255.255.255.0",',
        '    "gateway_address": "10.0.0.1", "domain_name": "plant.local"}',
        'Path to Physical Link = [{"class": 246}, {"instance": 1}]',
        "Host Name = plc-4",
        "Interface Status = 1",
        "Configuration Capability = 0x34",
        "Configuration Control = 2",
      ].join("\n"),
    );
    expect(cfg.tcpip).toEqual({
      interfaceConfiguration: {
        ipAddress: "10.0.0.4",
        networkMask: "255.255.255.0",
        gatewayAddress: "10.0.0.1",
        nameServer: "0.0.0.0",
        nameServer2: "0.0.0.0",
        domainName: "plant.local",
      },
      physicalLinkPath: [{ class: 246 }, { instance: 1 }],
      hostName: "plc-4",
      status: 1,
      configurationCapability: 0x34,
      configurationControl: 2,
    });
    expect(config("[TCPIP]\nPath to Physical Link = @0xF6/1").tcpip.physicalLinkPath).toEqual([
      { class: 0xf6 },
      { instance: 1 },
    ]);
    expect(config("[TCPIP]\nPath to Physical Link = []").tcpip.physicalLinkPath).toEqual([]);
  });

  it("[TCPIP]: bad JSON, bad addresses and unknown members are errors with the fix", () => {
    expect(() => config("[TCPIP]\nInterface Configuration = {ip_address: 1}")).toThrow(
      /\[TCPIP\] Interface Configuration = .*must be JSON, e\.g\. \{"ip_address"/,
    );
    expect(() => config('[TCPIP]\nInterface Configuration = {"ip_address": "10.0.0.300"}')).toThrow(
      /ip_address: must be a dotted IPv4 address/,
    );
    expect(() => config('[TCPIP]\nInterface Configuration = {"ip": "10.0.0.3"}')).toThrow(
      /Unrecognized key/i,
    );
    expect(() => config('[TCPIP]\nPath to Physical Link = [{"klass": 1}]')).toThrow(
      /\[TCPIP\] Path to Physical Link/,
    );
  });

  it("[UCMM]: Route Path in every cpppo notation, and the Route table", () => {
    expect(config("[UCMM]\nRoute Path = 1/0").routePath).toEqual([{ port: 1, link: 0 }]);
    expect(config('[UCMM]\nRoute Path = [{"port": 2, "link": "10.0.0.9"}]').routePath).toEqual([
      { port: 2, link: "10.0.0.9" },
    ]);
    expect(config('[UCMM]\nRoute Path = {"port": 1, "link": 3}').routePath).toEqual([{ port: 1, link: 3 }]);
    for (const none of ["false", "0", "null", "[]"])
      expect(config(`[UCMM]\nRoute Path = ${none}`).routePath).toBe(false);
    expect(config("[UCMM]\nRoute Path =").routePath).toBeUndefined();
    expect(() => config("[UCMM]\nRoute Path = 1/0/2/1")).toThrow(/exactly one route segment/);
    expect(() => config("[UCMM]\nRoute Path = 1")).toThrow(/\[UCMM\] Route Path: route path "1" has an odd/);

    const routed = config(
      ["[UCMM]", 'Route = {"1/1-15": "localhost:44819",', '    "2/1.2.3.4": "192.168.0.4:44818"}'].join("\n"),
    );
    expect(routed.routes).toHaveLength(16);
    expect(routed.routes?.[0]).toEqual({ port: 1, link: 1, host: "localhost", tcpPort: 44819 });
    expect(routed.routes?.[15]).toEqual({ port: 2, link: "1.2.3.4", host: "192.168.0.4", tcpPort: 44818 });
    expect(() => config('[UCMM]\nRoute = ["1/1"]')).toThrow(/\[UCMM\] Route = .*JSON object like/);
    expect(() => config('[UCMM]\nRoute = {"1/1-300": "localhost"}', "r.cfg")).toThrow(
      /^r\.cfg:2: \[UCMM\] Route: route "1\/1-300" has a bad link range/,
    );
  });

  it("[Simulator]: tags with addresses, sizes and initial values; later files replace a tag", () => {
    const doc = new ConfigDocument()
      .merge(
        [
          "[Simulator]",
          "SCADA = INT[1000] = 1, 0x2, -3",
          "Motor_Velocity@0x93/3/10 = REAL = 1.5",
          'TEXT = SSTRING[2] = "a, b", plain',
          "Flag = BOOL = true",
          "Program:Main.Count = DINT",
          "Level = REAL",
        ].join("\n"),
        "a.cfg",
      )
      .merge("[Simulator]\nLevel = LREAL = 2e3\n", "b.cfg");
    const cfg = simulatorConfig(doc);
    expect(cfg.tags).toEqual([
      { name: "SCADA", type: "INT", elements: 1000, array: true, values: [1, 2, -3] },
      {
        name: "Motor_Velocity",
        type: "REAL",
        elements: 1,
        address: { class: 0x93, instance: 3, attribute: 10 },
        values: [1.5],
      },
      { name: "TEXT", type: "SSTRING", elements: 2, array: true, values: ["a, b", "plain"] },
      { name: "Flag", type: "BOOL", elements: 1, values: [true] },
      { name: "Program:Main.Count", type: "DINT", elements: 1 },
      { name: "Level", type: "LREAL", elements: 1, values: [2000] },
    ]);
    expect(cfg.tagSources.Level).toBe("b.cfg:2: [Simulator] Level");
    expect(cfg.tagSources.SCADA).toBe("a.cfg:2: [Simulator] SCADA");
  });

  it("[Simulator]: bad names, types and empty value lists are errors", () => {
    expect(() => config("[Simulator]\n9lives = INT", "s.cfg")).toThrow(
      /^s\.cfg:2: \[Simulator\] 9lives = "INT": tag definition "9lives=INT": "9lives" is not a valid name part/,
    );
    expect(() => config("[Simulator]\nA = INT[10")).toThrow(/type "INT\[10" must be TYPE or TYPE\[SIZE\]/);
    expect(() => config("[Simulator]\nA@1/2 = INT")).toThrow(/address "@1\/2" must be @CLASS/);
    expect(() => config("[Simulator]\nA = INT =")).toThrow(/"=" is followed by no values/);
  });
});

describe("value notations", () => {
  it("parseInteger reads decimal, hex, octal, binary and signs, nothing else", () => {
    expect([parseInteger("42"), parseInteger("-0x10"), parseInteger("0o17"), parseInteger("+0b101")]).toEqual(
      [42, -16, 15, 5],
    );
    for (const bad of ["", "1.5", "0x", "12abc", "0b2"]) expect(parseInteger(bad)).toBeUndefined();
    fc.assert(
      fc.property(fc.integer(), (n) => {
        const hex = `${n < 0 ? "-" : ""}0x${Math.abs(n).toString(16)}`;
        return parseInteger(String(n)) === n && parseInteger(hex) === n;
      }),
    );
  });

  it("parseInitialValues splits at commas outside quotes", () => {
    expect(parseInitialValues('1, 2.5, no, "x,y", abc, NaN')).toEqual([
      1,
      2.5,
      false,
      "x,y",
      "abc",
      Number.NaN,
    ]);
  });

  it("parseRoutePath accepts cpppo's forms and rejects the rest", () => {
    expect(parseRoutePath("1/0/2/10.0.0.1")).toEqual([
      { port: 1, link: 0 },
      { port: 2, link: "10.0.0.1" },
    ]);
    expect(parseRoutePath('["1/3", "2/1.2.3.4"]')).toEqual([
      { port: 1, link: 3 },
      { port: 2, link: "1.2.3.4" },
    ]);
    expect(parseRoutePath("2/0::1")).toEqual([{ port: 2, link: "0::1" }]);
    expect(parseRoutePath("none")).toBeUndefined();
    expect(() => parseRoutePath("0/1")).toThrow(/port "0", not 1\.\.65535/);
    expect(() => parseRoutePath("1/x")).toThrow(/link "x"/);
    expect(() => parseRoutePath("[1/0")).toThrow(/not valid JSON/);
  });
});

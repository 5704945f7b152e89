// Durations, seconds, offsets and ISO-like date-times as cpppo's `duration`, `parse_seconds`, `parse_offset` /
// `format_offset` and `parse_datetime` read and write them.
import {
  AmbiguousTimeZoneError,
  formatDuration,
  formatOffset,
  getZone,
  localZone,
  parseDatetime,
  parseDuration,
  parseOffset,
  parseSeconds,
  TimestampError,
  TZDATA_VERSION,
  zoneNames,
  zuluDatetime,
} from "../src/index.js";

describe("durations", () => {
  test("1y2w3d4h5m6.789s both ways (a year is 365.25 days)", () => {
    const s = 31557600 + 2 * 604800 + 3 * 86400 + 4 * 3600 + 5 * 60 + 6.789;
    expect(parseDuration("1y2w3d4h5m6.789s")).toBeCloseTo(s, 6);
    expect(formatDuration(s)).toBe("1y2w3d4h5m6.789s");
  });
  test.each([
    ["0s", 0],
    ["1s", 1],
    ["250ms", 0.25],
    ["3us", 0.000003],
    ["1s500us", 1.0005],
    ["1.5s", 1.5],
    ["1m30s", 90],
    ["2h", 7200],
    ["1d", 86400],
    ["1w", 604800],
    ["1y", 31557600],
    ["1h1s", 3601],
    ["5m", 300],
  ])("%s ⇄ %d s", (text, seconds) => {
    expect(parseDuration(text)).toBeCloseTo(seconds, 9);
    expect(formatDuration(seconds)).toBe(text);
  });
  test("long unit names, blanks, commas and nanoseconds (truncated to microseconds) parse", () => {
    expect(parseDuration("1 year 2 weeks 3 days 4 hours 5 minutes 6 seconds")).toBe(
      31557600 + 1209600 + 259200 + 14400 + 300 + 6,
    );
    expect(parseDuration("1yr 2wks 3dys 4hrs 5mins 6secs")).toBe(
      31557600 + 1209600 + 259200 + 14400 + 300 + 6,
    );
    expect(parseDuration(" 1,5s ")).toBe(1.5);
    expect(parseDuration("2s 3ms 4us 5999ns")).toBeCloseTo(2.003009, 9);
    expect(parseDuration("7 milliseconds")).toBeCloseTo(0.007, 9);
    expect(parseDuration("7 microsecs")).toBeCloseTo(0.000007, 9);
    expect(parseDuration("7μs")).toBeCloseTo(0.000007, 9);
    expect(parseDuration("1H30M")).toBe(5400);
  });
  test("bad durations raise a one-line TimestampError", () => {
    for (const bad of ["", "s", "1x", "1s1m", "1.5m", "abc", "1y 2y"]) {
      expect(() => parseDuration(bad)).toThrow(TimestampError);
      expect(() => parseDuration(bad)).toThrow(/invalid duration/);
    }
    expect(() => formatDuration(Number.NaN)).toThrow(TimestampError);
  });
  test("negative durations and microsecond rounding format", () => {
    expect(formatDuration(-90)).toBe("-1m30s");
    expect(formatDuration(0.0000004)).toBe("0s");
    expect(formatDuration(59.9999996)).toBe("1m");
    for (let i = 0; i < 200; i++) {
      const s = Math.round(i * 987654.321123) / 1e6;
      expect(parseDuration(formatDuration(s))).toBeCloseTo(s, 6);
    }
  });
});

describe("parseSeconds", () => {
  test.each<[number | string, number]>([
    [1.5, 1.5],
    ["01.33", 1.33],
    ["61.33", 61.33],
    [":01", 60],
    ["0:01", 60],
    ["01:01", 3660],
    ["0:01:01.33", 61.33],
    ["100:00", 360000],
    ["1m30s", 90],
    ["1m1.33s", 61.33],
    ["1m1s330ms", 61.33],
    ["-2.5", -2.5],
    ["1e3", 1000],
    ["inf", Number.POSITIVE_INFINITY],
  ])("%j → %d", (value, seconds) => {
    expect(parseSeconds(value)).toBeCloseTo(seconds, 9);
  });
  test("anything else raises TimestampError", () => {
    for (const bad of ["", "soon", "1:2", "1:02:3", "12:34 pm", "nan"])
      expect(() => parseSeconds(bad)).toThrow(TimestampError);
  });
});

describe("offsets", () => {
  test("cpppo's parse_offset cases", () => {
    expect(parseOffset("< 1:00:00.001")).toBeCloseTo(-3600.001, 9);
    expect(parseOffset("<:1.001")).toBeCloseTo(-1.001, 9);
    expect(parseOffset(">1:0.001")).toBeCloseTo(60.001, 9);
    expect(parseOffset(">1")).toBe(1);
    expect(parseOffset("< 1:02:03.5")).toBe(-3723.5);
    expect(parseOffset("-1:30", "-+")).toBe(-90);
  });
  test("format_offset: hours padded to two, three decimals or none", () => {
    expect(formatOffset(3 * 3600, false)).toBe("> 3:00:00");
    expect(formatOffset(-3600.001)).toBe("< 1:00:00.001");
    expect(formatOffset(10.5 * 3600, false)).toBe(">10:30:00");
    expect(formatOffset(61.25)).toBe("> 0:01:01.250");
    expect(formatOffset(-90, false, "-+")).toBe("- 0:01:30");
    for (const s of [-3600.001, 0.5, 59.999, 7322.25]) expect(parseOffset(formatOffset(s))).toBeCloseTo(s, 3);
  });
  test("bad offsets raise TimestampError", () => {
    for (const bad of ["1:00", "x<1", "<1:2:3:4", "<a", ""])
      expect(() => parseOffset(bad)).toThrow(TimestampError);
  });
});

describe("parseDatetime", () => {
  const t = Date.UTC(2019, 0, 20, 17) / 1000; // 2019-01-20 10:00 in Canada/Mountain
  test("a naive time in the named zone, the zone argument, or UTC", () => {
    expect(parseDatetime("2019-01-20 10:00 Canada/Mountain")).toBe(t);
    expect(parseDatetime("2019-01-20 10:00", "Canada/Mountain")).toBe(t);
    expect(parseDatetime("2019-01-20 10:00 America/Edmonton", "Europe/Berlin")).toBe(t);
    expect(parseDatetime("2019-01-20 17:00")).toBe(t);
    expect(parseDatetime("2019-01-20")).toBe(Date.UTC(2019, 0, 20) / 1000);
    expect(parseDatetime("2019-01-20T10:00:00.5", "Canada/Mountain")).toBe(t + 0.5);
    expect(parseDatetime("2019-01-20 10:00:00.000250 Canada/Mountain")).toBeCloseTo(t + 0.00025, 6);
  });
  test("an offset or Z in the text fixes the instant", () => {
    expect(parseDatetime("2019-01-20T10:00:00-07:00")).toBe(t);
    expect(parseDatetime("2019-01-20T10:00:00-0700", "Europe/Berlin")).toBe(t);
    expect(parseDatetime("2019-01-20 18:00:00.25+01:00")).toBe(t + 0.25);
    expect(parseDatetime("2019-01-20T17:00:00Z")).toBe(t);
  });
  test("DST, missing and ambiguous local times", () => {
    expect(parseDatetime("2019-07-20 10:00 Canada/Mountain")).toBe(Date.UTC(2019, 6, 20, 16) / 1000);
    expect(() => parseDatetime("2019-03-10 02:30 Canada/Mountain")).toThrow(TimestampError);
    expect(() => parseDatetime("2019-11-03 01:30 Canada/Mountain")).toThrow(AmbiguousTimeZoneError);
  });
  test("bad text and unknown zones raise TimestampError", () => {
    for (const bad of [
      "",
      "yesterday",
      "2019-13-01",
      "2019-01-20 25:00",
      "2019-01-20T10:00+01:00",
      "20190120",
    ])
      expect(() => parseDatetime(bad)).toThrow(TimestampError);
    expect(() => parseDatetime("2019-01-20 10:00 Nowhere/Special")).toThrow(
      /unknown time zone 'Nowhere\/Special'/,
    );
  });
  test("zuluDatetime", () => {
    expect(zuluDatetime(t + 0.9)).toBe("2019-01-20T17:00:00Z");
  });
});

describe("zones", () => {
  test("the tz release of the generated abbreviation table is known", () => {
    expect(TZDATA_VERSION).toMatch(/^20\d\d[a-z]$/);
  });
  test("zoneNames: a country code, a prefix, or the name itself", () => {
    expect(zoneNames("CA")).toContain("America/Edmonton");
    expect(zoneNames("CA")).not.toContain("Europe/Berlin");
    expect(zoneNames("Europe/Berlin")).toEqual(["Europe/Berlin"]);
    expect(zoneNames("Canada")).toContain("Canada/Mountain");
    expect(zoneNames(["JO", "LB"])).toEqual(["Asia/Amman", "Asia/Beirut"]);
    expect(zoneNames("Nowhere")).toEqual(["Nowhere"]);
    expect(zoneNames(null)).toEqual([]);
  });
  test("transitions of a year, and the offsets of a wall-clock time around them", () => {
    const z = getZone("America/Edmonton");
    expect(z.transitions(Date.UTC(2014, 0, 1) / 1000, Date.UTC(2015, 0, 1) / 1000)).toEqual([
      { at: 1394355600, offset: -21600 },
      { at: 1414915200, offset: -25200 },
    ]);
    const wall = (s: string) => Date.parse(`${s}Z`) / 1000;
    expect(z.offsetsOfWall(wall("2014-11-02T01:30:00"))).toEqual([-21600, -25200]);
    expect(z.offsetsOfWall(wall("2014-03-09T02:30:00"))).toEqual([]);
    expect(z.offsetsOfWall(wall("2014-06-01T12:00:00"))).toEqual([-21600]);
    expect(z.isDstAt(1400000000)).toBe(true);
    expect(z.isDstAt(1390000000)).toBe(false);
  });
  test("the cached offsets agree with Intl's at instants spread over 1950–2040", () => {
    const zones = [
      "America/Edmonton",
      "Europe/Berlin",
      "Australia/Lord_Howe",
      "Africa/Casablanca",
      "America/Santiago",
      "Asia/Tehran",
      "Pacific/Chatham",
      "Europe/Dublin",
    ];
    for (const name of zones) {
      const longOffset = new Intl.DateTimeFormat("en-US", { timeZone: name, timeZoneName: "longOffset" });
      const zone = getZone(name);
      for (let i = 0; i < 150; i++) {
        const t = -631152000 + Math.floor(((i * 2654435761) % 2839968000) + i * 3607);
        const text = longOffset.formatToParts(t * 1000).find((p) => p.type === "timeZoneName")?.value ?? "";
        const m = /GMT(?:([-+])(\d{2}):(\d{2})(?::(\d{2}))?)?/.exec(text);
        const expected = m?.[1]
          ? (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4] ?? 0))
          : 0;
        expect(`${name} ${t} ${zone.offsetAt(t)}`).toBe(`${name} ${t} ${expected}`);
      }
    }
  });
  test("half-hour zones and zones far from UTC", () => {
    expect(getZone("Asia/Kolkata").offsetAt(1400000000)).toBe(19800);
    expect(getZone("Pacific/Kiritimati").offsetAt(1400000000)).toBe(14 * 3600);
    expect(
      getZone("Australia/Lord_Howe")
        .transitions(1388534400, 1420070400)
        .map((x) => x.offset),
    ).toEqual([37800, 39600]);
  });
  test("localZone follows TZ, else the platform's zone", () => {
    const saved = process.env.TZ;
    try {
      process.env.TZ = "Europe/Berlin";
      expect(localZone()).toBe("Europe/Berlin");
      process.env.TZ = "/usr/share/zoneinfo/America/Edmonton";
      expect(localZone()).toBe("America/Edmonton");
      delete process.env.TZ;
      expect(localZone()).toBe(new Intl.DateTimeFormat().resolvedOptions().timeZone);
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });
});

// Timestamps as cpppo's history_test and its timestamp documentation describe them: rendering, precision,
// epsilon comparisons, parsing with zones and DST-specific abbreviations, ambiguous and missing local times.
import { inspect } from "node:util";
import {
  AmbiguousTimeZoneError,
  formatUtc,
  parseTimestamp,
  supportAbbreviations,
  Timestamp,
  TimestampError,
} from "../src/index.js";

const AT_2014 = Date.UTC(2014, 3, 28) / 1000; // abbreviations are compared around a fixed time, as cpppo's tests do
const CA = ["ADT", "AST", "CDT", "CST", "EDT", "EST", "MDT", "MST", "NDT", "NST", "PDT", "PST"]; // cpppo's list for Canada

afterEach(() => {
  supportAbbreviations(null, { reset: true });
  Timestamp.precision = 3;
  Timestamp.epsilon = 1e-3;
});

describe("formatUtc", () => {
  test("rounds to milliseconds first, as cpppo (1399326141.999836 → …:22.000)", () => {
    expect(formatUtc(1399326141.999836)).toBe("2014-05-05 21:42:22.000");
    expect(formatUtc(1399326141.999836, 0)).toBe("2014-05-05 21:42:21");
    expect(formatUtc(1399326141.999836, 5)).toBe("2014-05-05 21:42:21.99984");
    expect(formatUtc(1399326141.999836, 6)).toBe("2014-05-05 21:42:21.999836");
  });
  test("the decimal cases of cpppo's render documentation", () => {
    const cases: Array<[number, string]> = [
      [1414915323.122, "2014-11-02 08:02:03.122"],
      [1414915323.123, "2014-11-02 08:02:03.123"],
      [1414915323.124, "2014-11-02 08:02:03.124"],
      [1414915323.125, "2014-11-02 08:02:03.125"],
      [1414915323.126, "2014-11-02 08:02:03.126"],
      [1414915323.127, "2014-11-02 08:02:03.127"],
      [1399326141.999836, "2014-05-05 21:42:22.000"],
    ];
    for (const [v, s] of cases) expect(formatUtc(v)).toBe(s);
  });
  test("exact halves round to even, as Python's round() under cpppo (values from a Python 3.11 run)", () => {
    expect(formatUtc(1414915323.0625)).toBe("2014-11-02 08:02:03.062");
    expect(formatUtc(1414915323.1875)).toBe("2014-11-02 08:02:03.188");
    expect(formatUtc(1414915323.3125)).toBe("2014-11-02 08:02:03.312");
    expect(formatUtc(1414915323.125, 2)).toBe("2014-11-02 08:02:03.12");
    expect(formatUtc(1414915323.0625, 2)).toBe("2014-11-02 08:02:03.06");
    expect(formatUtc(1414915323.1875, 2)).toBe("2014-11-02 08:02:03.19");
    expect(formatUtc(0.0625)).toBe("1970-01-01 00:00:00.062");
    expect(formatUtc(-0.0625)).toBe("1969-12-31 23:59:59.938");
    expect(formatUtc(1e9 + 0.0005)).toBe("2001-09-09 01:46:40.000"); // the double is just below the half
    expect(new Timestamp(1414915323.0625).utc).toBe("2014-11-02 08:02:03.062");
  });
  test("agrees with Date over a spread of instants, before and after 1970", () => {
    for (let i = 0; i < 2000; i++) {
      const ms = Math.round((i * 97.123 - 40000) * 86400 * 1000 + i * 37); // 1860 to 2400
      const iso = new Date(ms).toISOString();
      expect(formatUtc(ms / 1000)).toBe(`${iso.slice(0, 10)} ${iso.slice(11, 23)}`);
    }
  });
  test("string order is numeric order at millisecond resolution", () => {
    const values = Array.from({ length: 500 }, (_, i) => 1399326141 + ((i * 7907) % 5003) / 997);
    const byValue = [...values].sort((a, b) => a - b).map((v) => formatUtc(v));
    const byText = values.map((v) => formatUtc(v)).sort();
    expect(byText).toEqual(byValue);
  });
  test("rejects a precision outside 0–6", () => {
    expect(() => formatUtc(0, 7)).toThrow(TimestampError);
    expect(() => formatUtc(Number.NaN)).toThrow(TimestampError);
  });
});

describe("Timestamp rendering and precision (history_test)", () => {
  const v = 1399326141.999836;
  test("render truncates without ms, rounds with", () => {
    const ts = new Timestamp(v);
    expect(ts.ge(new Timestamp(1399326141.374836))).toBe(true);
    expect(ts.render(undefined, { ms: false })).toBe("2014-05-05 21:42:21");
    expect(ts.render(undefined, { ms: 5 })).toBe("2014-05-05 21:42:21.99984");
    expect(ts.render()).toBe("2014-05-05 21:42:22.000");
    expect(ts.utc).toBe("2014-05-05 21:42:22.000");
    expect(String(ts)).toBe("2014-05-05 21:42:22.000");
    expect(Math.abs(ts.value - v)).toBeLessThan(1e-6);
    expect(Math.trunc(ts.value)).toBe(1399326141);
  });
  test("each precision 0–6 with its epsilon: rendering and every comparison", () => {
    const expected = [
      "2014-05-05 21:42:21",
      "2014-05-05 21:42:22.0",
      "2014-05-05 21:42:22.00",
      "2014-05-05 21:42:22.000",
      "2014-05-05 21:42:21.9998",
      "2014-05-05 21:42:21.99984",
      "2014-05-05 21:42:21.999836",
    ];
    const ts = new Timestamp(v);
    for (let p = 0; p <= 6; p++) {
      Timestamp.precision = p;
      Timestamp.epsilon = p ? 10 ** -p : 0;
      expect(ts.render(undefined, { ms: true })).toBe(expected[p]);
      const [s, l] = p ? [Timestamp.epsilon * 0.9, Timestamp.epsilon * 1.1] : [0, 1e-6];
      expect(ts.eq(ts.plus(s))).toBe(true);
      expect(ts.eq(ts.minus(s))).toBe(true);
      expect(ts.eq(ts.plus(l))).toBe(false);
      expect(ts.eq(ts.minus(l))).toBe(false);
      expect(ts.ne(ts.plus(l))).toBe(true);
      expect(ts.ne(ts.minus(l))).toBe(true);
      expect(ts.lt(ts.plus(s))).toBe(false);
      expect(ts.lt(ts.minus(s))).toBe(false);
      expect(ts.lt(ts.plus(l))).toBe(true);
      expect(ts.lt(ts.minus(l))).toBe(false);
      expect(ts.le(ts.plus(s))).toBe(true);
      expect(ts.le(ts.minus(s))).toBe(true);
      expect(ts.le(ts.plus(l))).toBe(true);
      expect(ts.le(ts.minus(l))).toBe(false);
      expect(ts.gt(ts.plus(s))).toBe(false);
      expect(ts.gt(ts.minus(s))).toBe(false);
      expect(ts.gt(ts.plus(l))).toBe(false);
      expect(ts.gt(ts.minus(l))).toBe(true);
      expect(ts.ge(ts.plus(s))).toBe(true);
      expect(ts.ge(ts.minus(s))).toBe(true);
      expect(ts.ge(ts.plus(l))).toBe(false);
      expect(ts.ge(ts.minus(l))).toBe(true);
    }
  });
  test("cpppo's repr: <utc =~= seconds>", () => {
    expect(inspect(new Timestamp(1399726367))).toBe("<2014-05-10 12:52:47.000 =~= 1399726367.000000>");
    expect(inspect(new Timestamp(1399326141.999836))).toBe("<2014-05-05 21:42:22.000 =~= 1399326141.999836>");
  });
  test("plus, minus, compare and the difference of two timestamps", () => {
    const a = new Timestamp(100);
    expect(a.plus(1.5).value).toBe(101.5);
    expect(a.minus(0.5).value).toBe(99.5);
    expect(a.plus(2).minus(a)).toBe(2);
    expect([a.plus(1), a, a.minus(1)].sort((x, y) => x.compare(y)).map((t) => t.value)).toEqual([
      99, 100, 101,
    ]);
    expect(new Timestamp(1).lt(new Timestamp(2))).toBe(true);
  });
  test("constructs from text, a Date and another timestamp; rejects the rest", () => {
    expect(new Timestamp("2014-01-01 07:00:00.0").value).toBe(1388559600);
    expect(new Timestamp(new Date(1388559600500)).value).toBe(1388559600.5);
    expect(new Timestamp(new Timestamp(5)).value).toBe(5);
    expect(() => new Timestamp(Number.POSITIVE_INFINITY)).toThrow(TimestampError);
    const now = Date.now() / 1000;
    expect(Math.abs(new Timestamp().value - now)).toBeLessThan(60);
  });
  test("the utc setter parses, the numeric form renders", () => {
    const ts = new Timestamp(1396531199);
    expect(ts.utc).toBe("2014-04-03 13:19:59.000");
    ts.utc = "2014-04-01 07:00:00.000";
    expect(ts.value).toBe(1396335600);
    expect(ts.utc).toBe("2014-04-01 07:00:00.000");
  });
});

describe("parseTimestamp grammar", () => {
  test("separators : - . and blanks; 6 or 7 numbers; the fraction padded to microseconds", () => {
    expect(parseTimestamp("2014-01-02 03:04:55.123")).toBeCloseTo(1388631895.123, 6);
    expect(parseTimestamp("2014 01 02 03 04 55 123")).toBeCloseTo(1388631895.123, 6);
    expect(parseTimestamp("2014-01-02 03:04:55")).toBe(1388631895);
    expect(parseTimestamp("2014-01-02 03:04:55.000001")).toBeCloseTo(1388631895.000001, 6);
    expect(parseTimestamp("  2014-01-02 03:04:55.5  ")).toBe(1388631895.5);
    expect(parseTimestamp("2014-01-02 03:04:55.5 UTC")).toBe(1388631895.5);
  });
  test("round-trips with formatUtc", () => {
    for (let i = 0; i < 1000; i++) {
      const v = Math.round((1e9 + i * 123456.789) * 1000) / 1000;
      expect(parseTimestamp(formatUtc(v))).toBeCloseTo(v, 6);
      expect(parseTimestamp(formatUtc(v, 6))).toBe(parseTimestamp(`${formatUtc(v, 6)} UTC`)); // fast path = general parser
    }
  });
  test.each([
    ["2014-01-02 03:04", "5 numbers"],
    ["2014-01-02 03:04:05.1.2", "more than 7"],
    ["2014-13-02 03:04:05", "out of range"],
    ["2014-02-30 03:04:05", "out of range"],
    ["2014-01-02 24:00:00", "out of range"],
    ["2014-01-02 03:04:05.1234567", "6 sub-second"],
    ["2014-01-x2 03:04:05", "unexpected 'x'"],
    ["2014-01-02 x3:04:05", "3 numbers"], // a last word that is not a number is a zone
    ["", "0 numbers"],
  ])("%j raises TimestampError (%s)", (text, why) => {
    expect(() => parseTimestamp(text)).toThrow(TimestampError);
    expect(() => parseTimestamp(text)).toThrow(why);
  });
  test("an unknown zone is a one-line TimestampError naming it", () => {
    expect(() => parseTimestamp("2014-01-02 03:04:05 Mars/Olympus")).toThrow(
      /unknown time zone 'Mars\/Olympus'/,
    );
  });
});

describe("zones, DST and abbreviations (history_test)", () => {
  test("a zone name infers DST", () => {
    expect(new Timestamp("2014-11-01 01:02:03.456 America/Edmonton").utc).toBe("2014-11-01 07:02:03.456");
    expect(new Timestamp("2014-01-01 00:00:00 America/Edmonton").utc).toBe("2014-01-01 07:00:00.000");
    expect(new Timestamp("2014-11-02 00:59:59 America/Edmonton").value).toBe(1414911599);
    expect(parseTimestamp("2014-07-01 12:00:00", { zone: "Europe/Berlin" })).toBe(
      Date.UTC(2014, 6, 1, 10) / 1000,
    );
  });
  test("a time skipped by spring forward raises TimestampError, one repeated by fall back AmbiguousTimeZoneError", () => {
    expect(() => parseTimestamp("2014-03-09 02:00:01 America/Edmonton")).toThrow(TimestampError);
    expect(() => parseTimestamp("2014-03-09 02:00:01 America/Edmonton")).toThrow(
      /does not exist in America\/Edmonton/,
    );
    expect(() => parseTimestamp("2014-11-02 01:00:01 America/Edmonton")).toThrow(AmbiguousTimeZoneError);
    expect(() => parseTimestamp("2014-11-02 01:00:01 America/Edmonton")).toThrow(
      /ambiguous in America\/Edmonton/,
    );
    expect(() => parseTimestamp("2014-10-26 02:30:00 Europe/Berlin")).toThrow(AmbiguousTimeZoneError);
    expect(() => parseTimestamp("2014-03-30 02:30:00 Europe/Berlin")).toThrow(TimestampError);
    for (const text of ["2014-03-09 02:00:01 America/Edmonton", "2014-11-02 01:00:01 America/Edmonton"]) {
      try {
        parseTimestamp(text);
      } catch (e) {
        expect(String((e as Error).message)).not.toContain("\n");
      }
    }
  });
  test("CA's abbreviations, as cpppo lists them", () => {
    expect(supportAbbreviations("CA", { reset: true, at: AT_2014 })).toEqual(CA);
  });
  test("DST-specific abbreviations pick a side of the fall-back hour; MST names a time MDT skips", () => {
    supportAbbreviations(["CA", "Europe/Berlin"], { reset: true, at: AT_2014 });
    const after = new Timestamp("2014-11-02 01:02:03.123 MST");
    const before = new Timestamp("2014-11-02 01:02:03.456 MDT");
    expect(before.lt(after)).toBe(true);
    expect(before.utc).toBe("2014-11-02 07:02:03.456");
    expect(after.utc).toBe("2014-11-02 08:02:03.123");
    const ts = new Timestamp(0);
    ts.utc = "2014-03-09 03:00:01 MDT";
    expect(ts.value).toBe(1394355601);
    ts.utc = "2014-03-09 02:00:01 MST";
    expect(ts.utc).toBe("2014-03-09 09:00:01.000");
    ts.utc = "2014-11-02 01:00:01 MST";
    expect(ts.value).toBe(1414915201);
    expect(ts.minus(2).utc).toBe("2014-11-02 07:59:59.000");
    ts.utc = "2014-11-02 01:59:58 MDT";
    expect(ts.value).toBe(1414915198);
    const cet = new Timestamp("2014-10-26 02:01:00.123 CET");
    const cest = new Timestamp("2014-10-26 02:01:00.456 CEST");
    expect(cest.lt(cet)).toBe(true);
    expect(cest.utc).toBe("2014-10-26 00:01:00.456");
    expect(cet.utc).toBe("2014-10-26 01:01:00.123");
  });
  test("rendering in a zone: abbreviation, full name, numeric offset; an abbreviation renders in its zone", () => {
    const ts = new Timestamp(1399726367);
    expect(ts.render()).toBe("2014-05-10 12:52:47.000");
    expect(ts.render("America/Edmonton")).toBe("2014-05-10 06:52:47.000 MDT");
    expect(ts.render("MST")).toBe("2014-05-10 05:52:47.000 MST"); // the fixed MST zone, before abbreviations load
    expect(new Timestamp("2014-05-10 05:52:47.000 MST").value).toBe(1399726367);
    expect(new Timestamp(1399326141.999836).render("MST", { ms: false })).toBe("2014-05-05 14:42:21 MST");
    expect(ts.render("America/Edmonton", { tzdetail: true })).toBe(
      "2014-05-10 06:52:47.000 America/Edmonton",
    );
    expect(ts.render("America/Edmonton", { tzdetail: false })).toBe("2014-05-10 06:52:47.000-0600");
    expect(ts.render("UTC", { tzdetail: false })).toBe("2014-05-10 12:52:47.000+0000");
    expect(ts.render("Europe/Berlin")).toBe("2014-05-10 14:52:47.000 CEST");
    expect(new Timestamp(1388559600).render("Europe/Berlin", { ms: false })).toBe("2014-01-01 08:00:00 CET");
    expect(supportAbbreviations("CA", { at: AT_2014 })).toContain("MST");
    expect(ts.render("MST")).toBe("2014-05-10 06:52:47.000 MDT"); // now MST means America/Edmonton
    expect(new Timestamp(1399326141.999836).render("MST", { ms: false })).toBe("2014-05-05 15:42:21 MDT");
    expect(new Timestamp("2014-05-10 05:52:47.000 MST").render("MST")).toBe("2014-05-10 05:52:47.000 MDT");
  });
  test("other regions' real abbreviations (Intl's en-US short names would say GMT+1)", () => {
    const cases: Array<[string, number, string]> = [
      ["Europe/London", Date.UTC(2014, 6, 1) / 1000, "BST"],
      ["Europe/London", Date.UTC(2014, 0, 1) / 1000, "GMT"],
      ["Europe/Dublin", Date.UTC(2014, 6, 1) / 1000, "IST"],
      ["Australia/Sydney", Date.UTC(2014, 0, 1) / 1000, "AEDT"],
      ["Australia/Sydney", Date.UTC(2014, 6, 1) / 1000, "AEST"],
      ["Asia/Kolkata", Date.UTC(2014, 0, 1) / 1000, "IST"],
      ["Asia/Tokyo", Date.UTC(2014, 0, 1) / 1000, "JST"],
      ["Pacific/Auckland", Date.UTC(2014, 0, 1) / 1000, "NZDT"],
      ["America/St_Johns", Date.UTC(2014, 6, 1) / 1000, "NDT"],
      ["Europe/Helsinki", Date.UTC(2014, 6, 1) / 1000, "EEST"],
      ["Europe/Moscow", Date.UTC(2015, 0, 1) / 1000, "MSK"],
      ["Asia/Dubai", Date.UTC(2014, 0, 1) / 1000, "+04"],
    ];
    for (const [zone, t, abbr] of cases)
      expect(`${zone} ${new Timestamp(t).render(zone).split(" ")[2]}`).toBe(`${zone} ${abbr}`);
  });
  test("conflicting abbreviations raise unless first: Dublin's IST against Jerusalem's and Kolkata's", () => {
    expect(supportAbbreviations("IE", { reset: true, at: AT_2014 })).toEqual(["GMT", "IST"]);
    expect(() => supportAbbreviations("Asia", { at: AT_2014 })).toThrow(AmbiguousTimeZoneError);
    expect(() => supportAbbreviations("Asia", { at: AT_2014 })).toThrow(/IST/);
    expect(supportAbbreviations("Europe/Berlin", { at: AT_2014 })).toEqual(["CEST", "CET"]); // nothing from Asia was kept
    const added = supportAbbreviations("Asia", { at: AT_2014, first: true });
    expect(added).toContain("JST");
    expect(new Timestamp(Date.UTC(2014, 6, 1) / 1000).render("IST").endsWith(" IST")).toBe(true);
  });
  test("Europe: Moldova's EEST changes at other times than Athens's, so it conflicts until excluded", () => {
    expect(() => supportAbbreviations("Europe", { reset: true, at: AT_2014 })).toThrow(
      /Europe\/Chisinau: EEST time changes differ/,
    );
    expect(supportAbbreviations(null, {})).toEqual([]); // the failed call loaded nothing
    const europe = supportAbbreviations("Europe", {
      at: AT_2014,
      exclude: ["Europe/Chisinau", "Europe/Tiraspol"],
    });
    expect(europe).toEqual(["BST", "CEST", "CET", "EEST", "EET", "GMT", "IST", "MSK", "WEST", "WET"]);
    expect(new Timestamp("2014-07-01 12:00:00 IST").utc).toBe("2014-07-01 11:00:00.000"); // Irish summer time
    expect(new Timestamp("2014-10-26 01:30:00 BST").utc).toBe("2014-10-26 00:30:00.000");
    expect(new Timestamp("2014-10-26 01:30:00 GMT").utc).toBe("2014-10-26 01:30:00.000");
  });
  test("Australia, the US, New Zealand; Mexico's zones conflict as cpppo's America test expects", () => {
    expect(supportAbbreviations("Australia", { reset: true, at: AT_2014 })).toEqual([
      "ACDT",
      "ACST",
      "AEDT",
      "AEST",
      "AWST",
    ]);
    expect(new Timestamp("2014-04-06 02:30:00 AEDT").utc).toBe("2014-04-05 15:30:00.000");
    expect(new Timestamp("2014-04-06 02:30:00 AEST").utc).toBe("2014-04-05 16:30:00.000");
    expect(supportAbbreviations("US", { reset: true, at: AT_2014 })).toEqual([
      "AKDT",
      "AKST",
      "CDT",
      "CST",
      "EDT",
      "EST",
      "HDT",
      "HST",
      "MDT",
      "MST",
      "PDT",
      "PST",
    ]);
    expect(supportAbbreviations("NZ", { reset: true, at: AT_2014 })).toEqual(["NZDT", "NZST"]);
    expect(() => supportAbbreviations("MX", { reset: true, at: AT_2014 })).toThrow(AmbiguousTimeZoneError);
    expect(supportAbbreviations(null, { reset: true })).toEqual([]);
  });
  test("exclude drops zones and abbreviations; Jordan, Israel and Lebanon's EEST", () => {
    expect(supportAbbreviations("JO", { reset: true, at: AT_2014 })).toEqual(["EEST", "EET"]);
    const abbrevs = supportAbbreviations(["JO", "IE", "LB"], {
      reset: true,
      at: AT_2014,
      exclude: ["Asia/Amman"],
    });
    expect(abbrevs).toEqual(["EEST", "EET", "GMT", "IST"]);
    expect(supportAbbreviations(["Europe/Berlin"], { reset: true, at: AT_2014, exclude: "CEST" })).toEqual([
      "CET",
    ]);
  });
  test("numeric abbreviations do not load; a zone without DST gives one abbreviation", () => {
    // America/Eirunepe moved from UTC-4 to UTC-5 in November 2013; tz now names them -04 and -05.
    expect(supportAbbreviations("America/Eirunepe", { reset: true, at: AT_2014 })).toEqual([]);
    // America/Whitehorse kept UTC-7 for good (MST) after 2020.
    expect(
      supportAbbreviations("America/Whitehorse", { reset: true, at: Date.UTC(2022, 6, 1) / 1000 }),
    ).toEqual(["MST"]);
    expect(
      supportAbbreviations("America/Whitehorse", { reset: true, at: Date.UTC(2019, 0, 1) / 1000 }),
    ).toEqual(["PDT", "PST"]);
    // In November 2020 its PDT became MST with no change of offset: both names load.
    const late2020 = Date.UTC(2020, 11, 1) / 1000;
    expect(supportAbbreviations("America/Whitehorse", { reset: true, at: late2020 })).toEqual(["MST", "PDT"]);
  });
  test("the TZ environment variable sets the local zone", () => {
    const saved = process.env.TZ;
    try {
      process.env.TZ = "America/Edmonton";
      const ts = new Timestamp(1394355540);
      expect(ts.local).toBe("2014-03-09 01:59:00 MST");
      expect(ts.plus(61).local).toBe("2014-03-09 03:00:01 MDT");
      expect(new Timestamp(1414915140).local).toBe("2014-11-02 01:59:00 MDT");
      expect(new Timestamp(1414915201).local).toBe("2014-11-02 01:00:01 MST");
      ts.local = "2014-11-02 00:59:59";
      expect(ts.value).toBe(1414911599);
      expect(() => {
        ts.local = "2014-11-02 01:00:01";
      }).toThrow(AmbiguousTimeZoneError);
      process.env.TZ = ":/usr/share/zoneinfo/Europe/Berlin";
      expect(new Timestamp(1414281660.456).local).toBe("2014-10-26 02:01:00 CEST");
      expect(new Timestamp(1414285260.123).local).toBe("2014-10-26 02:01:00 CET");
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });
});

describe("the README's examples", () => {
  test("each line gives what its comment says", () => {
    expect(formatUtc(1399326141.999836)).toBe("2014-05-05 21:42:22.000");
    expect(parseTimestamp("2014-11-01 01:02:03.456 America/Edmonton")).toBeCloseTo(1414825323.456, 6);
    expect(supportAbbreviations("CA", { at: AT_2014 })).toEqual(CA);
    expect(new Timestamp("2014-11-02 01:02:03.123 MST").utc).toBe("2014-11-02 08:02:03.123");
    expect(new Timestamp(1399726367).render("Europe/Berlin")).toBe("2014-05-10 14:52:47.000 CEST");
  });
});

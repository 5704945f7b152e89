/** `cpppo-history time`: epoch seconds, the UTC rendering and the zone's, and one-line errors with exit 2. */
import { runMain, runProcess } from "./support/cli.js";

// Process-level runs start tsx, slow on a loaded machine: each run has its own deadline (DEADLINE_MS).
jest.setTimeout(120_000);

describe("cpppo-history time", () => {
  it("prints epoch seconds, UTC (rounded as cpppo) and the zone's rendering with its abbreviation (process)", async () => {
    const run = await runProcess(
      ["time", "--zone", "America/Edmonton", "2014-05-05 21:42:21.999836", "2014-11-02 08:30:00"],
      { env: { TZ: "UTC" } },
    );
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      "1399326141.999836\t2014-05-05 21:42:22.000\t2014-05-05 15:42:22.000 MDT\n" +
        "1414917000\t2014-11-02 08:30:00.000\t2014-11-02 01:30:00.000 MST\n",
    );
  });

  it("renders in the local zone (TZ) without --zone, and reads a zone the time names", async () => {
    const run = await runProcess(["time", "2019-01-20 10:00:00 Europe/Berlin"], {
      env: { TZ: "America/Edmonton" },
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("1547974800\t2019-01-20 09:00:00.000\t2019-01-20 02:00:00.000 MST\n");
  });

  it("takes epoch seconds too", async () => {
    const run = await runMain(["time", "--zone", "Europe/Berlin", "1399726367"]);
    expect(run.stdout).toBe("1399726367\t2014-05-10 12:52:47.000\t2014-05-10 14:52:47.000 CEST\n");
  });

  it("reads DST-specific abbreviations once --abbreviations loads a region", async () => {
    const mst = await runMain([
      "time",
      "--abbreviations",
      "CA",
      "--zone",
      "America/Edmonton",
      "2014-11-02 01:30:00 MST",
      "2014-11-02 01:30:00 MDT",
    ]);
    expect(mst.stderr).toBe("");
    expect(mst.stdout).toBe(
      "1414917000\t2014-11-02 08:30:00.000\t2014-11-02 01:30:00.000 MST\n" +
        "1414913400\t2014-11-02 07:30:00.000\t2014-11-02 01:30:00.000 MDT\n",
    );
    const berlin = await runMain([
      "time",
      "--abbreviations",
      "Europe/Berlin",
      "--zone",
      "Europe/Berlin",
      "2014-07-01 12:00:00 CEST",
    ]);
    expect(berlin.stdout).toBe("1404208800\t2014-07-01 10:00:00.000\t2014-07-01 12:00:00.000 CEST\n");
  });

  it.each([
    [["time", "2014-13-01 00:00:00"], /2014-13-01/],
    [["time", "yesterday"], /yesterday/],
    [["time", "2014-11-02 01:30:00 America/Edmonton"], /2014-11-02 01:30:00/],
    [["time", "2014-03-09 02:30:00 America/Edmonton"], /2014-03-09 02:30:00/],
    [["time", "--zone", "Mars/Olympus", "2014-01-01 00:00:00"], /--zone "Mars\/Olympus"/],
    [["time", "--abbreviations", "ZZ", "2014-01-01 00:00:00"], /--abbreviations "ZZ"/],
    [["time"], /a time to parse is required/],
    [["time", "--bogus", "x"], /bogus/],
  ])("%j: one line naming what and why, exit 2", async (args, named) => {
    const run = await runMain(args);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^cpppo-history time: [^\n]+\n$/);
    expect(run.stderr).toMatch(named);
  });

  it("answers --help and --version, and a missing or unknown command is a usage error", async () => {
    expect((await runMain(["time", "--help"])).stdout).toMatch(/^usage: cpppo-history time/);
    expect((await runMain(["--help"])).stdout).toMatch(/cat \[--since T\] \[--until T\] PATH/);
    expect((await runMain(["--version"])).stdout).toMatch(/^cpppo-history \d+\.\d+\.\d+\n$/);
    const none = await runMain([]);
    expect([none.code, none.stderr]).toEqual([
      2,
      "cpppo-history: a command is required: cat, write, play, plot, time (see --help)\n",
    ]);
    const unknown = await runMain(["history"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "history"/);
  });
});

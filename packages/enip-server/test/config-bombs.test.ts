import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigDocument, loadSimulatorConfig, simulatorConfig } from "../src/config.js";
import { ConfigError } from "../src/core/errors.js";

/**
 * A "billion laughs" config: each level's value names the level below ten times, ten levels deep, so a few hundred
 * bytes of text would expand to 10^10 characters. Reading it must fail fast, naming the file and the key.
 */
function bombText(section: string, key: string, fanout = 10, levels = 10): string {
  const lines = ["[DEFAULT]", "l0 = lol"];
  for (let n = 1; n < levels; n++) lines.push(`l${n} = ${`\${l${n - 1}}`.repeat(fanout)}`);
  lines.push(`[${section}]`, `${key} = ${`\${l${levels - 1}}`.repeat(fanout)}`);
  return `${lines.join("\n")}\n`;
}

function expectFastConfigError(run: () => unknown, pattern: RegExp): ConfigError {
  const started = performance.now();
  let caught: unknown;
  try {
    run();
  } catch (err) {
    caught = err;
  }
  const elapsed = performance.now() - started;
  expect(caught).toBeInstanceOf(ConfigError);
  expect((caught as Error).message).toMatch(pattern);
  expect(elapsed).toBeLessThan(500);
  return caught as ConfigError;
}

describe("config expansion bombs", () => {
  it("stops a value whose references fan out ten per level, naming file and key, in well under 1 s", () => {
    const text = bombText("Identity", "Product Name");
    expect(text.length).toBeLessThan(1024);
    const doc = new ConfigDocument().merge(text, "bomb.cfg");
    const err = expectFastConfigError(
      () => doc.get("Identity", "Product Name"),
      /^bomb\.cfg:\d+: \[Identity\] Product Name: interpolation /,
    );
    expect(err.message.length).toBeLessThan(400);
    expectFastConfigError(() => simulatorConfig(doc), /bomb\.cfg:\d+: \[Identity\] Product Name: /);
  });

  it("stops a fan-out of empty values (work without size) as well as one that grows", () => {
    const empty = bombText("Simulator", "Tag", 10, 10).replace("l0 = lol", "l0 =");
    const doc = new ConfigDocument().merge(empty, "empty.cfg");
    expectFastConfigError(
      () => doc.get("Simulator", "Tag"),
      /^empty\.cfg:\d+: \[Simulator\] Tag: interpolation /,
    );
    // A wide but shallow value: a single level that still expands far past any sane size.
    const wide = `[DEFAULT]\nx = ${"y".repeat(400)}\n[Identity]\nProduct Name = ${`\${x}`.repeat(900)}\n`;
    const doc2 = new ConfigDocument().merge(wide, "wide.cfg");
    expectFastConfigError(
      () => doc2.get("Identity", "Product Name"),
      /^wide\.cfg:\d+: \[Identity\] Product Name: /,
    );
  });

  it("quotes at most a short excerpt of a bad value in the error", () => {
    const text = `[DEFAULT]\nx = ${"9".repeat(200)}\n[Identity]\nVendor Number = ${`\${x}`.repeat(50)}\n`;
    const err = expectFastConfigError(
      () => simulatorConfig(new ConfigDocument().merge(text, "long.cfg")),
      /^long\.cfg:\d+: \[Identity\] Vendor Number = "9+…" \(10000 characters\): /,
    );
    expect(err.message.length).toBeLessThan(400);
  });

  it("still expands ordinary nested references", () => {
    const doc = new ConfigDocument().merge(bombText("Identity", "Product Name", 2, 4), "ok.cfg");
    expect(doc.get("Identity", "Product Name")).toBe("lol".repeat(16));
  });

  it("fails fast when the bomb comes from a file on disk", async () => {
    const dir = await mkdtemp(join(tmpdir(), "cfg-bomb-"));
    try {
      const file = join(dir, "bomb.cfg");
      await writeFile(file, bombText("Simulator", "Tag"));
      const started = performance.now();
      await expect(loadSimulatorConfig({ files: [file], noConfig: true })).rejects.toThrow(ConfigError);
      expect(performance.now() - started).toBeLessThan(500);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

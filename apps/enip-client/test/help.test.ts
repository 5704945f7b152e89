/** Every flag of every client CLI is in its --help, with a one-line description (and a default when it takes a value). */
import * as client from "../src/enip-client.js";
import * as getAttribute from "../src/enip-get-attribute.js";
import * as listIdentity from "../src/enip-list-identity.js";
import * as poll from "../src/enip-poll.js";
import * as thruput from "../src/enip-thruput.js";
import { run } from "./support/run.js";

const CLIS = { client, getAttribute, listIdentity, poll, thruput };
/** Flags whose value has no default: absent means not used. */
const NO_DEFAULT = ["log", "legacy", "source-address"];

describe.each(Object.entries(CLIS))("%s --help", (_, cli) => {
  const options = Object.entries(cli.COMMAND.options) as [string, { type: string; short?: string }][];

  test.each(options)("lists --%s with a description", async (name, option) => {
    const r = await run(cli.main, ["--help"]);
    expect(r.code).toBe(0);
    const line = r.lines.find((l) => new RegExp(`^ {2}(-., | {4})--${name}( |$)`).test(l));
    expect(line).toBeDefined();
    expect(line?.startsWith(option.short ? `  -${option.short}, --${name}` : `      --${name}`)).toBe(true);
    const m = /^ {2}.{4}--\S+(?: (\S+))? {2,}(\S.*)$/.exec(line as string);
    expect(m).not.toBeNull();
    const [, value, text] = m as RegExpExecArray;
    expect(text?.length).toBeGreaterThan(8);
    // A flag that takes a value names it and gives its default, unless it has none.
    if (option.type === "string") {
      expect(value).toMatch(/^[A-Z]/);
      if (!NO_DEFAULT.includes(name)) expect(text).toMatch(/\(default [^)]+\)$/);
    }
  });
});

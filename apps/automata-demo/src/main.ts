import {
  CpppoError,
  collect,
  compile,
  drop,
  machine,
  NonTerminalError,
  Parser,
  RegexMatcher,
  regex,
  state,
} from "@cpppo/automata";
import { packageVersion } from "@cpppo/cli-kit";

/** Where the CLI writes and reads; injected so tests run `main` without a process. */
export interface CliIo {
  /** Writes one line (without its newline) to standard output. */
  out(line: string): void;
  /** Writes one line (without its newline) to standard error. */
  err(line: string): void;
  /** Reads all of standard input (used for the `-` argument). */
  readStdin(): Promise<string>;
}

const USAGE = [
  "usage: automata-demo [--bytes] [--non-greedy] REGEX [TEXT... | -]",
  "       automata-demo            run cpppo's README examples",
  "",
  "Compiles REGEX to a DFA and, for each TEXT (or each line of stdin with -), prints whether the whole",
  "TEXT matches and the prefix a cpppo-style run accepts (greedy: longest the DFA allows).",
  "  --bytes       match UTF-8 bytes instead of Unicode code points",
  "  --non-greedy  stop the prefix at the first accepting state",
  "  --help        show this help",
  "  --version     show the version",
];

const show = (v: unknown): string =>
  v instanceof Uint8Array ? `bytes[${[...v].join(",")}]` : JSON.stringify(v);

/** cpppo's README: the ab+ machine, the CSV composite, the regex, greedy vs non-greedy, all over 'abbbb, ab'. */
function readmeExamples(io: CliIo): void {
  const input = "abbbb, ab";
  const E = state("E");
  const A = collect("A");
  const B = collect("B", { terminal: true });
  E.on("a", A);
  A.on("b", B);
  B.on("b", B);
  const ABP = machine("ab+", E, { terminal: true });
  const SEP = drop("SEP");
  ABP.on(",", SEP);
  SEP.on(" ", SEP);
  SEP.epsilon(ABP);
  const examples = [
    machine("ab+", E, { context: "basic" }),
    machine("CSV", ABP, { context: "csv" }),
    regex("(ab+)((,[ ]*)(ab+))*", { context: "regex" }),
    machine("ab+ (non-greedy)", E, { context: "lazy", greedy: false }),
  ];
  for (const m of examples) {
    const parser = new Parser(compile(m, { alphabet: "text" }));
    if (parser.feed(input) === "more") parser.end();
    const used = parser.offset;
    io.out(`${m.name}: ${show(parser.result())}; remaining ${JSON.stringify(input.slice(used))}`);
  }
}

async function matchTexts(
  io: CliIo,
  pattern: string,
  texts: string[],
  bytes: boolean,
  greedy: boolean,
): Promise<number> {
  const matcher = new RegexMatcher(pattern, { alphabet: bytes ? "bytes" : "text", greedy });
  for (const text of texts) {
    const input = bytes ? new TextEncoder().encode(text) : text;
    const full = matcher.test(input);
    const end = matcher.prefix(input);
    const prefix =
      end < 0
        ? "(none)"
        : JSON.stringify(
            bytes ? new TextDecoder().decode((input as Uint8Array).subarray(0, end)) : text.slice(0, end),
          );
    io.out(`${full ? "match" : "no match"}\t${JSON.stringify(text)}\tprefix ${prefix}`);
  }
  return 0;
}

/**
 * The automata-demo command: `argv` excludes node and the script. Resolves to the exit code: 0 on
 * success, 2 on bad usage or an invalid regex (one line on stderr).
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let bytes = false;
  let greedy = true;
  let version = false;
  const positional: string[] = [];
  for (const arg of argv) {
    if (arg === "--help" || arg === "-h") {
      for (const line of USAGE) io.out(line);
      return 0;
    }
    if (arg === "--version") version = true;
    else if (arg === "--bytes") bytes = true;
    else if (arg === "--non-greedy") greedy = false;
    else if (arg.startsWith("--")) {
      io.err(`automata-demo: unknown option ${arg} (try --help)`);
      return 2;
    } else positional.push(arg);
  }
  if (version) {
    // The version of this app's package.json, beside src/ and dist/ alike.
    io.out(`automata-demo ${packageVersion(import.meta.url)}`);
    return 0;
  }
  try {
    if (positional.length === 0) {
      if (bytes || !greedy) {
        io.err("automata-demo: --bytes and --non-greedy need a REGEX (try --help)");
        return 2;
      }
      readmeExamples(io);
      return 0;
    }
    const [pattern, ...rest] = positional as [string, ...string[]];
    let texts = rest;
    if (rest.length === 1 && rest[0] === "-") {
      texts = (await io.readStdin()).split(/\r?\n/);
      if (texts[texts.length - 1] === "") texts.pop();
    }
    return await matchTexts(io, pattern, texts, bytes, greedy);
  } catch (err) {
    if (err instanceof CpppoError && !(err instanceof NonTerminalError)) {
      io.err(`automata-demo: ${err.message}`);
      return 2;
    }
    throw err;
  }
}

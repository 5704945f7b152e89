/** cpppo's `-v`/`-l` log: lines at or under the verbosity, to stderr or appended to a file. */
import { appendFileSync, closeSync, openSync, writeSync } from "node:fs";
import { timestamp } from "./repr.js";
import type { TextSink } from "./usage.js";

/** cpppo's log levels, in the order `-v` counts unlock them: none WARNING, -v NORMAL, -vv DETAIL, -vvv INFO, -vvvv DEBUG. */
export const LOG_LEVELS = ["WARNING", "NORMAL", "DETAIL", "INFO", "DEBUG"] as const;
/** One of cpppo's log levels. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A log line's text without its newline, from its level, its message and when it was written. */
export type LogLineFormat = (level: LogLevel, message: string, at: Date) => string;

/** `2014-07-15 22:03:44.186 message`: the default log line (the client CLIs' format). */
export const timestampedLine: LogLineFormat = (_level, message, at) => `${timestamp(at)} ${message}`;

/** The simulators' log line: `<ISO time> <LEVEL> <message>`, the level padded to 7. */
export const serverLogLine: LogLineFormat = (level, message, at) =>
  `${at.toISOString()} ${level.padEnd(7)} ${message}`;

/** Where and how much a `Log` writes. */
export interface LogOptions {
  /** The `-v` count: 0 writes only WARNING lines, each more one level more. */
  verbosity: number;
  /** The `-l` file lines are appended to; default none (lines go to `stderr`). */
  file?: string | undefined;
  /** Where lines go when there is no file. */
  stderr: TextSink;
  /** Formats each line; default `timestampedLine`. */
  format?: LogLineFormat;
}

/**
 * Writes log lines at or under the `-v` verbosity to stderr, or to the `-l` file. Until `open()`, each line is
 * appended by path (no file is made until a line is written); after it, lines go to the open file, which
 * `reopen()` (on SIGHUP, after logrotate moved it) replaces.
 */
export class Log {
  #fd: number | undefined;

  constructor(private readonly options: LogOptions) {}

  /** Opens the `-l` file now, so that a bad path fails here rather than at the first line; returns the log. */
  open(): this {
    if (this.options.file !== undefined && this.#fd === undefined)
      this.#fd = openSync(this.options.file, "a");
    return this;
  }

  /** True when lines of `level` are written. */
  enabled(level: LogLevel): boolean {
    return LOG_LEVELS.indexOf(level) <= this.options.verbosity;
  }

  /** Writes `message` as one line when `level` is enabled. */
  write(level: LogLevel, message: string): void {
    if (!this.enabled(level)) return;
    const line = `${(this.options.format ?? timestampedLine)(level, message, new Date())}\n`;
    if (this.#fd !== undefined) writeSync(this.#fd, line);
    else if (this.options.file !== undefined) appendFileSync(this.options.file, line);
    else this.options.stderr.write(line);
  }

  /** Closes and opens the `-l` file again (a new one if logrotate moved it), and says so at NORMAL. */
  reopen(): void {
    if (this.options.file === undefined) return;
    this.close();
    this.open();
    this.write("NORMAL", `log ${this.options.file} reopened`);
  }

  /** Closes the `-l` file if it is open; later lines are appended by path. Safe to call twice. */
  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }
}

/** @cpppo/cli-kit: what the CLIs in apps/ share (source-only, bundled into each app's dist by tsup). */
export type { AddressText } from "./address.js";
export { splitAddress } from "./address.js";
export type { LogLevel, LogLineFormat, LogOptions } from "./log.js";
export { LOG_LEVELS, Log, serverLogLine, timestampedLine } from "./log.js";
export type { PyQuote } from "./repr.js";
export { ctime, jsonLine, pyRepr, timestamp } from "./repr.js";
export type { StopSignals } from "./stop.js";
export { watchStopSignals, within } from "./stop.js";
export type {
  CliOutput,
  CommandInfo,
  CommandSpec,
  FlagHelp,
  FlagHelpTable,
  OptionTable,
  ParsedCommandLine,
  TextSink,
} from "./usage.js";
export {
  answerHelpOrVersion,
  COMMON_OPTIONS,
  commonHelp,
  describeError,
  ENIP_PORT,
  EXIT_FAILED,
  EXIT_OK,
  EXIT_USAGE,
  flag,
  isCoded,
  joinNegativeValues,
  nonNegativeInt,
  oneLine,
  optionsHelp,
  parseCommandLine,
  positiveInt,
  readFlagFile,
  runCommand,
  seconds,
  UsageError,
  withUsage,
} from "./usage.js";
export { packageVersion, VersionError } from "./version.js";

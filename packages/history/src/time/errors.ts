/**
 * The errors of the time layer. Each message is one line that names the text and the reason.
 */
import { defineError } from "@cpppo/automata/errors";

export { CpppoError } from "@cpppo/automata/errors";

/** A time, zone, duration or offset that cannot be parsed or does not exist (a local time skipped when the clocks spring forward); code `ERR_HISTORY_TIME`. */
export class TimestampError extends defineError("ERR_HISTORY_TIME", "TimestampError") {}

/** A local time that occurs twice (the clocks fall back) given with a zone that cannot tell which, or abbreviations that mean different things in the zones loaded together; code `ERR_HISTORY_AMBIGUOUS_TIME`. */
export class AmbiguousTimeZoneError extends defineError(
  "ERR_HISTORY_AMBIGUOUS_TIME",
  "AmbiguousTimeZoneError",
) {}

/** The time layer of @cpppo/history: timestamps, zones and abbreviations, durations and offsets. */
export type { Abbreviation, AbbreviationOptions } from "./abbreviations.js";
export { loadedAbbreviations, supportAbbreviations } from "./abbreviations.js";
export { parseDatetime, zuluDatetime } from "./datetime.js";
export { formatDuration, formatOffset, parseDuration, parseOffset, parseSeconds } from "./duration.js";
export { AmbiguousTimeZoneError, CpppoError, TimestampError } from "./errors.js";
export type { ParseTimestampOptions, RenderOptions } from "./timestamp.js";
export { formatUtc, parseTimestamp, Timestamp } from "./timestamp.js";
export type { ZoneTransition } from "./zone.js";
export { getZone, localZone, Zone, zoneNames } from "./zone.js";
export { TZDATA_VERSION } from "./zonedata.js";

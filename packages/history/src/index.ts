/** @cpppo/history: cpppo-compatible timestamps, history records and files, playback. Public API, re-exported by name. */

export type {
  Compression,
  HistoryFileReader,
  HistoryWriterOptions,
  OpenHistoryOptions,
  ReadRecordsOptions,
  RotatedFile,
} from "./files/index.js";
export {
  compressionOf,
  HistoryExhaustedError,
  HistoryWriteError,
  HistoryWriter,
  listRotated,
  openHistory,
  readRecordBatches,
  readRecords,
  rotatedFiles,
} from "./files/index.js";
export type {
  DriveTagsOptions,
  DriveTagsResult,
  HistoryLoaderOptions,
  HistoryReaderOptions,
  LoaderEvent,
  LoadOptions,
  OnBadData,
  PlaybackEvent,
  PlaybackOptions,
  ReaderItem,
  ReaderOpenOptions,
  TagSink,
} from "./playback/index.js";
export {
  driveTags,
  HistoryLoader,
  HistoryReader,
  IframeError,
  LoaderState,
  playback,
} from "./playback/index.js";
export type { PlotOptions, PlotRecord, PlotSeries } from "./plot/index.js";
export { recordSeries, renderPlotSvg, selectsSeries } from "./plot/index.js";
export { formatRecord, HistoryDataError, HistoryRecord, parseRecordLine, pyJson } from "./records/index.js";
export type {
  Abbreviation,
  AbbreviationOptions,
  ParseTimestampOptions,
  RenderOptions,
  ZoneTransition,
} from "./time/index.js";
export {
  AmbiguousTimeZoneError,
  CpppoError,
  formatDuration,
  formatOffset,
  formatUtc,
  getZone,
  loadedAbbreviations,
  localZone,
  parseDatetime,
  parseDuration,
  parseOffset,
  parseSeconds,
  parseTimestamp,
  supportAbbreviations,
  Timestamp,
  TimestampError,
  TZDATA_VERSION,
  Zone,
  zoneNames,
  zuluDatetime,
} from "./time/index.js";

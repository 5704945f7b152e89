export { waitUntil, wallClock } from "./clock.js";
export { HistoryDataError, HistoryExhaustedError, IframeError } from "./errors.js";
export {
  HistoryLoader,
  type HistoryLoaderOptions,
  type LoaderEvent,
  LoaderState,
  type LoadOptions,
  type OnBadData,
} from "./loader.js";
export {
  type DriveTagsOptions,
  type DriveTagsResult,
  driveTags,
  type PlaybackEvent,
  type PlaybackOptions,
  playback,
  type TagSink,
} from "./playback.js";
export {
  HistoryReader,
  type HistoryReaderOptions,
  type ReaderItem,
  type ReaderOpenOptions,
} from "./reader.js";

export {
  type Compression,
  compressionOf,
  createEncoder,
  type Encoder,
  type EncoderOptions,
} from "./compression.js";
export { HistoryExhaustedError, HistoryWriteError } from "./errors.js";
export { type HistoryFileReader, type OpenHistoryOptions, openHistory } from "./open.js";
export {
  fileRecordBatches,
  type ReadRecordsOptions,
  readRecordBatches,
  readRecords,
  setFilesOldestFirst,
} from "./read.js";
export { listRotated, type RotatedFile, rotatedBase, rotatedFiles } from "./rotated.js";
export { HistoryWriter, type HistoryWriterOptions } from "./writer.js";

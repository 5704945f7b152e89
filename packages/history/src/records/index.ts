export { ByteSink } from "./bytes.js";
export { HistoryDataError } from "./errors.js";
export { pyJson, pyJsonNumber, pyJsonString, writeJson } from "./json.js";
export {
  formatRecord,
  HistoryRecord,
  isCommentLine,
  parseRecordLine,
  parseRecordLines,
  parseRecordTimestamp,
  writeRecord,
} from "./record.js";

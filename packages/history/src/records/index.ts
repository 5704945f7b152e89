export { HistoryDataError } from "./errors.js";
export { pyJson, pyJsonNumber, pyJsonString } from "./json.js";
export {
  formatRecord,
  HistoryRecord,
  isCommentLine,
  parseRecordLine,
  parseRecordTimestamp,
} from "./record.js";

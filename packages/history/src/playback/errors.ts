/**
 * The errors of playback: a data error in the initial frame, plus the file and record errors it re-exports.
 */
import { defineError } from "@cpppo/automata/errors";

export { HistoryExhaustedError } from "../files/index.js";
export { HistoryDataError } from "../records/index.js";

/** The first record of the first history file played (the initial frame of values, the iframe) cannot be parsed; code `ERR_HISTORY_IFRAME`. */
export class IframeError extends defineError("ERR_HISTORY_IFRAME", "IframeError") {}

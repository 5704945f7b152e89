/**
 * The errors of the file layer.
 */
import { defineError } from "@cpppo/automata/errors";

/** A history file that cannot be opened, written, rotated or closed; the writer reports it once and retries; code `ERR_HISTORY_WRITE`. */
export class HistoryWriteError extends defineError("ERR_HISTORY_WRITE", "HistoryWriteError") {}

/** No history file qualifies: the path names no file, or none holds records at or after the time asked for; code `ERR_HISTORY_EXHAUSTED`. */
export class HistoryExhaustedError extends defineError("ERR_HISTORY_EXHAUSTED", "HistoryExhaustedError") {}

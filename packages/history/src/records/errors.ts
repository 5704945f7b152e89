/**
 * The errors of the record layer. Each message is one line that names the record and the reason.
 */
import { defineError } from "@cpppo/automata/errors";

/** A history line or record payload that cannot be parsed (no timestamp, a missing field, bad JSON); code `ERR_HISTORY_DATA`. */
export class HistoryDataError extends defineError("ERR_HISTORY_DATA", "HistoryDataError") {}

/** The poller's events, each also an item of its async iterator. */
import type { LoadTriple } from "../core/load.js";

/** A range polled or failing: `count` addresses from the cpppo `address` of `unit`. */
export interface PollRange {
  unit: number;
  address: number;
  count: number;
}

/** A registered address whose polled value changed (`was` undefined the first time). */
export interface ValueEvent {
  type: "value";
  unit: number;
  address: number;
  value: number;
  was: number | undefined;
}
/** The poller went online (a block was read) or offline (a whole cycle read nothing). */
export interface OnlineEvent {
  type: "online" | "offline";
}
/** The load after a cycle: 1, 5 and 15 minute averages of busy time over the period. */
export interface LoadEvent {
  type: "load";
  load: LoadTriple;
}
/** The sets of failing and polling ranges changed. */
export interface RangesEvent {
  type: "ranges";
  failing: PollRange[];
  polling: PollRange[];
}
/** The cycle started `missed` whole periods late; those cycles were skipped. */
export interface SlippedEvent {
  type: "slipped";
  missed: number;
}
/** A block failed: the error, or a Modbus exception reply (`exception` the code). */
export interface FailureEvent {
  type: "failure";
  range: PollRange;
  error: Error | undefined;
  exception: number | undefined;
}

/** Every event the poller emits (on its EventEmitter under `type`, and through `events()`). */
export type PollerEvent = ValueEvent | OnlineEvent | LoadEvent | RangesEvent | SlippedEvent | FailureEvent;

/**
 * cpppo's load average: each cycle's `busy / period` folded into exponential moving averages over 1, 5 and 15
 * minutes, each with weight `1 / (minutes · 60 / period)` (one sample per period); the first sample seeds all three.
 */

/** The three averages, or undefined before the first cycle. */
export type LoadTriple = readonly [one: number, five: number, fifteen: number];

/** cpppo's `exponential_moving_average`: the sample itself when there is no average yet. */
export function ema(current: number | undefined, sample: number, weight: number): number {
  return current === undefined ? sample : current + weight * (sample - current);
}

/** The load after one cycle that was busy `busyS` seconds at a period of `periodS` seconds (both in seconds). */
export function nextLoad(current: LoadTriple | undefined, busyS: number, periodS: number): LoadTriple {
  const load = periodS > 0 ? busyS / periodS : 1;
  const perMinute = periodS > 0 ? 60 / periodS : 1;
  return [
    ema(current?.[0], load, 1 / (1 * perMinute)),
    ema(current?.[1], load, 1 / (5 * perMinute)),
    ema(current?.[2], load, 1 / (15 * perMinute)),
  ];
}

/**
 * cpppo's cadence: cycles start on a grid of whole periods from the first. A cycle that starts late by `n` whole
 * periods skips them ("slipped; missed n cycles") and the next target stays on the grid, so the phase never drifts.
 */

/** The cycle now due: how many whole periods were missed and the target of the cycle after it. */
export function nextCycle(target: number, now: number, period: number): { missed: number; next: number } {
  const missed = now > target && period > 0 ? Math.floor((now - target) / period) : 0;
  return { missed, next: target + period * (missed + 1) };
}

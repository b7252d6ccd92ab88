/**
 * How many random cases a property test draws: `fallback`, or GYM_PROPERTY_RUNS when hunting a bug. A
 * value that would draw none (0, a typo) is refused: a property checked on zero cases proves nothing.
 */
export function propertyRuns(fallback: number): number {
  const raw = process.env.GYM_PROPERTY_RUNS;
  if (raw === undefined || raw === '') return fallback;
  const runs = Number(raw);
  if (!Number.isInteger(runs) || runs < 1) {
    throw new Error(
      `GYM_PROPERTY_RUNS=${raw} would check no case; set it to a whole number of at least 1, or unset it`,
    );
  }
  return runs;
}

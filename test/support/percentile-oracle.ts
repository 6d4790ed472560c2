/**
 * An oracle for the sandbox CloudWatch's percentiles, written apart from the emulator's code
 * (src/sandbox/scenario/distribution.ts merges knots; this bisects): the p-quantile of the samples of
 * several datapoints, each standing for `n` samples spread piecewise-uniformly through its
 * (cumulative probability, value) knots, as docs/sandbox.md documents.
 */
export interface OracleDatapoint {
  /** [q, value] ascending, from q = 0 (minimum) to q = 1 (maximum). */
  knots: [number, number][];
  n: number;
}

export function mixturePercentile(points: readonly OracleDatapoint[], p: number): number {
  const cdf = (x: number): number => {
    let num = 0;
    let den = 0;
    for (const { knots, n } of points) {
      den += n;
      if (x >= (knots[knots.length - 1] as [number, number])[1]) num += n;
      else
        for (let i = 0; i + 1 < knots.length; i++) {
          const [qa, va] = knots[i] as [number, number];
          const [qb, vb] = knots[i + 1] as [number, number];
          if (x >= va && x < vb) num += n * (qa + ((x - va) / (vb - va)) * (qb - qa));
        }
    }
    return num / den;
  };
  let lo = Math.min(...points.map((d) => (d.knots[0] as [number, number])[1]));
  let hi = Math.max(...points.map((d) => (d.knots[d.knots.length - 1] as [number, number])[1]));
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (cdf(mid) >= p) hi = mid;
    else lo = mid;
  }
  return hi;
}

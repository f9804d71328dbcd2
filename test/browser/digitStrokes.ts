// Hand-written digits for the demo's end-to-end test: each digit as pen strokes through a few
// control points on the unit square (x right, y down), the way a person draws it, not taken
// from MNIST. strokePath() smooths a stroke into the dense path the mouse follows.

export type Point = readonly [number, number];

export const DIGIT_STROKES: readonly (readonly (readonly Point[])[])[] = [
  // 0: one oval, anticlockwise from the top, closing over its start.
  [[[0.52, 0.17], [0.38, 0.22], [0.3, 0.4], [0.31, 0.62], [0.41, 0.8], [0.55, 0.83], [0.67, 0.72], [0.71, 0.5], [0.66, 0.28], [0.55, 0.17], [0.47, 0.2]]],
  // 1: a slightly slanted bar.
  [[[0.54, 0.17], [0.52, 0.5], [0.49, 0.83]]],
  // 2: the hook, the diagonal, the base.
  [[[0.32, 0.3], [0.4, 0.2], [0.53, 0.17], [0.65, 0.22], [0.68, 0.34], [0.62, 0.46], [0.48, 0.6], [0.32, 0.8], [0.5, 0.79], [0.72, 0.8]]],
  // 3: two bowls.
  [[[0.32, 0.23], [0.46, 0.17], [0.62, 0.2], [0.67, 0.31], [0.6, 0.42], [0.46, 0.48], [0.62, 0.53], [0.7, 0.65], [0.64, 0.78], [0.48, 0.83], [0.31, 0.78]]],
  // 4: open top: down and across, then the long upright.
  [
    [[0.33, 0.17], [0.31, 0.4], [0.3, 0.56], [0.5, 0.56], [0.73, 0.55]],
    [[0.64, 0.17], [0.64, 0.5], [0.63, 0.85]],
  ],
  // 5: upright and bowl in one stroke, then the flag on top.
  [
    [[0.37, 0.19], [0.34, 0.46], [0.47, 0.42], [0.61, 0.46], [0.68, 0.59], [0.65, 0.74], [0.52, 0.82], [0.33, 0.78]],
    [[0.37, 0.19], [0.53, 0.18], [0.7, 0.17]],
  ],
  // 6: the sweep down into a loop at the bottom.
  [[[0.63, 0.16], [0.5, 0.27], [0.39, 0.44], [0.34, 0.62], [0.39, 0.78], [0.52, 0.84], [0.64, 0.77], [0.67, 0.63], [0.58, 0.53], [0.45, 0.53], [0.36, 0.62]]],
  // 7: the bar and the long diagonal.
  [[[0.3, 0.2], [0.5, 0.19], [0.71, 0.19], [0.58, 0.5], [0.47, 0.84]]],
  // 8: one stroke, the S down and back up.
  [[[0.63, 0.24], [0.51, 0.16], [0.37, 0.22], [0.37, 0.36], [0.5, 0.47], [0.64, 0.58], [0.65, 0.74], [0.51, 0.84], [0.36, 0.75], [0.37, 0.6], [0.5, 0.48], [0.62, 0.37], [0.63, 0.24]]],
  // 9: the loop, then the stem.
  [[[0.65, 0.3], [0.56, 0.18], [0.42, 0.19], [0.34, 0.31], [0.39, 0.44], [0.52, 0.47], [0.65, 0.38], [0.65, 0.28], [0.64, 0.55], [0.61, 0.85]]],
];

/** A Catmull-Rom curve through the stroke's points, `perSegment` points per segment. */
export function strokePath(points: readonly Point[], perSegment = 3): Point[] {
  if (points.length < 2) return [...points];
  const at = (i: number) => points[Math.max(0, Math.min(points.length - 1, i))];
  const out: Point[] = [];
  for (let i = 0; i < points.length - 1; i++) {
    const [p0, p1, p2, p3] = [at(i - 1), at(i), at(i + 1), at(i + 2)];
    for (let s = 0; s < perSegment; s++) {
      const t = s / perSegment;
      const t2 = t * t;
      const t3 = t2 * t;
      const c = (k: 0 | 1) =>
        0.5 * (2 * p1[k] + (-p0[k] + p2[k]) * t + (2 * p0[k] - 5 * p1[k] + 4 * p2[k] - p3[k]) * t2 + (-p0[k] + 3 * p1[k] - 3 * p2[k] + p3[k]) * t3);
      out.push([c(0), c(1)]);
    }
  }
  out.push(points[points.length - 1]);
  return out;
}

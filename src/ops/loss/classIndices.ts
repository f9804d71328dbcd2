// What crossEntropy and its gradient share: the logits/target geometry and the check that every
// target is a class index.
import { ShapeError } from '../../errors.js';
import { formatShape, sameShape, sizeOf, type Shape } from '../../shape.js';

/** Checks logits [..., C] against target [...]; returns [rows, C]. */
export function crossEntropyGeometry(logits: Shape | null, target: Shape | null, what = 'crossEntropy'): [number, number] {
  if (!logits || logits.length === 0 || logits[logits.length - 1] === 0) {
    throw new ShapeError(`${what}: logits must be [..., C] with C ≥ 1 classes on the last dim, got ${formatShape(logits)}`);
  }
  if (!target || !sameShape(target, logits.slice(0, -1))) {
    throw new ShapeError(`${what}: target must hold one class index per row of logits ${formatShape(logits)}, shape ${formatShape(logits.slice(0, -1))}; got ${formatShape(target)}`);
  }
  return [sizeOf(target), logits[logits.length - 1]];
}

/** Throws a ShapeError unless every target is an integer class index in [0, classes). */
export function checkClassIndices(target: Float32Array, classes: number, what = 'crossEntropy'): void {
  for (let i = 0; i < target.length; i++) {
    const t = target[i];
    if (!(Number.isInteger(t) && t >= 0 && t < classes)) {
      throw new ShapeError(`${what}: target ${i} is ${t}, not a class index in [0, ${classes - 1}]`);
    }
  }
}

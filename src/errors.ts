// The typed errors of the public API. Every error the library raises on bad input is one of
// these, with `name` set, so callers can branch on `err.name` or `instanceof`.

export class NNError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NNError';
  }
}

/** Shapes, ranks and options that do not fit an op or layer. */
export class ShapeError extends NNError {
  constructor(message: string) {
    super(message);
    this.name = 'ShapeError';
  }
}

/** An op, dtype or variant this runtime does not implement. */
export class UnsupportedError extends NNError {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedError';
  }
}

/** A malformed or mismatching safetensors file. */
export class WeightsError extends NNError {
  constructor(message: string) {
    super(message);
    this.name = 'WeightsError';
  }
}

/** A malformed ONNX model. */
export class ModelFormatError extends NNError {
  constructor(message: string) {
    super(message);
    this.name = 'ModelFormatError';
  }
}

/** A tensor or binding beyond what the device allows; raised by compile, before allocating. */
export class DeviceLimitError extends NNError {
  constructor(message: string) {
    super(message);
    this.name = 'DeviceLimitError';
  }
}

/** The requested backend cannot run here (no navigator.gpu, no adapter, lost device, …). */
export class BackendUnavailableError extends NNError {
  constructor(message: string) {
    super(message);
    this.name = 'BackendUnavailableError';
  }
}

/**
 * The GPU device was lost (driver reset, device destroyed, …): every later call on the backend
 * fails with this at once. Recover with a new backend and a new compile (see `backend.lost`).
 */
export class DeviceLostError extends BackendUnavailableError {
  constructor(message: string) {
    super(message);
    this.name = 'DeviceLostError';
  }
}

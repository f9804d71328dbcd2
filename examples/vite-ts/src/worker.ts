// A module worker: WebGPU works there as in the page (navigator.gpu), off the main thread.
import { runLeNet } from './lenet.js';

runLeNet().then(
  (result) => postMessage(result),
  (e: unknown) => postMessage({ error: String(e) }),
);

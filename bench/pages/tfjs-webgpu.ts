// TensorFlow.js 4.x on its WebGPU backend (tfjs-core + tfjs-backend-webgpu, bundled and minified).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgpu';
import { expose } from './harness.js';
import { createTfAdapter } from './tfjs-graph.js';

expose(() => createTfAdapter(tf, 'webgpu'));

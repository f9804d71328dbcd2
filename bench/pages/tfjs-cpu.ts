// TensorFlow.js 4.x on its CPU backend (plain JavaScript kernels): the reference beside our CPU path.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { expose } from './harness.js';
import { createTfAdapter } from './tfjs-graph.js';

expose(() => createTfAdapter(tf, 'cpu'));

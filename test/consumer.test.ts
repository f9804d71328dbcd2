// Another package imports the built dist/ (by its package name, through package.json
// "exports") in plain Node and runs every op on the CPU backend and on WebGPU with a GPUDevice
// it created itself from the `webgpu` package; and type-checks against the declarations.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = path.resolve(__dirname, '..');
const EVERY_OP = [
  'conv2d', 'maxPool2d', 'avgPool2d', 'globalAvgPool2d', 'globalMaxPool2d', 'adaptiveAvgPool2d', 'linear', 'matmul',
  'relu', 'sigmoid', 'tanh', 'leakyRelu', 'clip', 'softmax', 'logSoftmax', 'add', 'mul', 'concat', 'flatten', 'reshape',
  'permute', 'dropout', 'batchNorm2d', 'localResponseNorm', 'lstm', 'gru', 'rnn', 'lstmCell', 'gruCell', 'rnnCell',
];

describe('a consumer package importing dist/', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'webgpu-nn-consumer-'));
    cpSync(path.join(repo, 'test/consumer'), dir, { recursive: true });
    mkdirSync(path.join(dir, 'node_modules'));
    symlinkSync(repo, path.join(dir, 'node_modules/webgpu-nn'), 'dir');
    symlinkSync(path.join(repo, 'node_modules/webgpu'), path.join(dir, 'node_modules/webgpu'), 'dir');
    mkdirSync(path.join(dir, 'node_modules/@webgpu'));
    symlinkSync(path.join(repo, 'node_modules/@webgpu/types'), path.join(dir, 'node_modules/@webgpu/types'), 'dir');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs every op on the CPU and on WebGPU with its own device, with the same results', () => {
    const stdout = execFileSync(process.execPath, ['every-op.mjs', '--webgpu'], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
    const report = JSON.parse(stdout.trim().split('\n').pop()!);
    expect(report.backends).toEqual(['cpu', 'webgpu']);
    expect(Object.keys(report.ops).sort()).toEqual([...EVERY_OP].sort());
    for (const op of EVERY_OP) {
      expect(report.ops[op].webgpu.shapes, op).toEqual(report.ops[op].cpu.shapes);
      expect(report.ops[op].webgpu.maxDiff, op).toBeLessThan(1e-3);
    }
    expect(report.deviceStillUsable).toBe(true);
  });

  it('type-checks against the published declarations (NodeNext, skipLibCheck off)', () => {
    const tsc = path.join(repo, 'node_modules/typescript/bin/tsc');
    expect(() => execFileSync(process.execPath, [tsc, '-p', dir], { cwd: dir, encoding: 'utf8', timeout: 120_000 })).not.toThrow();
  });
});

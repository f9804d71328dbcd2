// backend.fromImage on the CPU backend in Node, where images are ImageData-like RGBA bytes:
// the layout, channels, scale and normalisation, bilinear resizing against PyTorch's
// F.interpolate(mode='bilinear', align_corners=False), batches, and the typed errors.
// (The WebGPU kernel is compared with this in interop.gpu.test.ts; real browser sources in
// fromImage.browser.test.ts.)
import { describe, expect, it } from 'vitest';
import * as nn from '../src/index';
import { cpu, expectClose } from './helpers';

/** An ImageData-like image from [r, g, b, a] pixels, row-major. */
function image(width: number, height: number, pixels: number[][]): nn.ImageDataLike {
  return { width, height, data: Uint8ClampedArray.from(pixels.flat()) };
}

const red = [255, 0, 0, 255];
const grey = [51, 102, 153, 0];
const twoByTwo = image(2, 2, [red, grey, [0, 0, 0, 255], [255, 255, 255, 128]]);

describe('fromImage (CPU, ImageData-like)', () => {
  it('RGB in 0..1 by default, NCHW [1, 3, H, W], the image size kept', async () => {
    const x = await cpu.fromImage(twoByTwo);
    expect(x.shape).toEqual([1, 3, 2, 2]);
    expectClose(await x.data(), [255, 51, 0, 255, 0, 102, 0, 255, 0, 153, 0, 255].map((v) => v / 255), 'RGB planes');
  });

  it('channels 4 keeps alpha, channels 1 is the luma; scale 1 gives 0..255 as tf.browser.fromPixels', async () => {
    const rgba = await (await cpu.fromImage(twoByTwo, { channels: 4, scale: 1 })).data();
    expect(Array.from(rgba.slice(12))).toEqual([255, 0, 255, 128]);
    const gray = await cpu.fromImage(twoByTwo, { channels: 1, scale: 1 });
    expect(gray.shape).toEqual([1, 1, 2, 2]);
    expectClose(await gray.data(), [0.299 * 255, 0.299 * 51 + 0.587 * 102 + 0.114 * 153, 0, 255], 'luma');
  });

  it('mean and std per channel (ImageNet) or one for all', async () => {
    const mean = [0.485, 0.456, 0.406];
    const std = [0.229, 0.224, 0.225];
    const got = await (await cpu.fromImage(twoByTwo, { mean, std })).data();
    const plain = await (await cpu.fromImage(twoByTwo)).data();
    expectClose(got, Array.from(plain, (v, i) => (v - mean[Math.floor(i / 4)]) / std[Math.floor(i / 4)]), 'ImageNet normalisation');
    expectClose(await (await cpu.fromImage(twoByTwo, { mean: 0.5, std: 0.5 })).data(), Array.from(plain, (v) => (v - 0.5) / 0.5), 'one mean and std');
  });

  it("resizes bilinearly as PyTorch's interpolate(align_corners=False): up and down, [height, width] or one number", async () => {
    // F.interpolate(torch.tensor([[[[0., 1.]]]]), size=(1, 4), mode='bilinear') == [0, .25, .75, 1]
    const ramp = image(2, 1, [[0, 0, 0, 255], [255, 255, 255, 255]]);
    expectClose(await (await cpu.fromImage(ramp, { size: [1, 4], channels: 1 })).data(), [0, 0.25, 0.75, 1], 'upsampled ramp');
    // 4 → 2 samples at 0.5 and 2.5: the mean of each pair.
    const four = image(4, 1, [0, 60, 120, 240].map((v) => [v, v, v, 255]));
    expectClose(await (await cpu.fromImage(four, { size: [1, 2], channels: 1, scale: 1 })).data(), [30, 180], 'downsampled');
    const square = await cpu.fromImage(twoByTwo, { size: 5 });
    expect(square.shape).toEqual([1, 3, 5, 5]);
    const corners = await square.data();
    expectClose([corners[0], corners[4], corners[20], corners[24]], [255, 51, 0, 255].map((v) => v / 255), 'corners keep their pixels');
  });

  it('several images are a batch; a view with a byteOffset (a Node Buffer) reads its own bytes', async () => {
    const bytes = new Uint8Array(8 + 16);
    bytes.set(twoByTwo.data, 8);
    const view = { width: 2, height: 2, data: bytes.subarray(8) };
    const batch = await cpu.fromImage([twoByTwo, view]);
    expect(batch.shape).toEqual([2, 3, 2, 2]);
    const values = await batch.data();
    expect(Array.from(values.slice(12))).toEqual(Array.from(values.slice(0, 12)));
    const small = image(1, 1, [red]);
    await expect(cpu.fromImage([twoByTwo, small])).rejects.toThrow(/differ in size .*give \{ size \}/);
    expect((await cpu.fromImage([twoByTwo, small], { size: [3, 2] })).shape).toEqual([2, 3, 3, 2]);
  });

  it('typed errors for bad sources and options', async () => {
    const bad: [unknown, unknown, RegExp][] = [
      [null, {}, /expected an image/],
      [42, {}, /expected an image/],
      [{ width: 2, height: 2 }, {}, /expected an image .* got Object/],
      [{ width: 2, height: 2, data: new Uint8Array(15) }, {}, /needs 16 bytes \(RGBA\), its data has 15/],
      [{ width: 0, height: 0, data: new Uint8Array(0) }, {}, /0×0 pixels/],
      [[], {}, /no images given/],
      [twoByTwo, { channels: 2 }, /channels must be 1, 3 or 4/],
      [twoByTwo, { size: 0 }, /size must be a positive integer/],
      [twoByTwo, { size: [2.5, 2] }, /size must be/],
      [twoByTwo, { mean: [0.5, 0.5] }, /mean has 2 values for 3 channels/],
      [twoByTwo, { std: [1, 0, 1] }, /std of channel 1 is 0/],
      [twoByTwo, { scale: Number.NaN }, /scale must be a finite number/],
      [twoByTwo, null, /options must be an object/],
    ];
    for (const [source, options, message] of bad) {
      let error: unknown;
      try {
        await cpu.fromImage(source as nn.ImageSource, options as nn.FromImageOptions);
      } catch (e) {
        error = e;
      }
      expect(error, String(message)).toBeInstanceOf(nn.NNError);
      expect((error as Error).message).toMatch(message);
    }
    await expect(cpu.fromImage({ width: 2, height: 2 } as never)).rejects.toThrow(nn.UnsupportedError);
  });

  it('new Tensor() from plain JavaScript is a typed error naming how tensors are made', () => {
    const Ctor = nn.Tensor as unknown as new () => nn.Tensor;
    expect(() => new Ctor()).toThrow(/tensors are made by a backend/);
  });
});

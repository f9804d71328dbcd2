// Loaded by fromImage.html in headless Chromium (test/fromImage.browser.test.ts): draws a
// pattern on a canvas and converts it with backend.fromImage from every kind of browser source
// (canvas, OffscreenCanvas, ImageBitmap, <img> from a PNG, VideoFrame, ImageData) on WebGPU and
// on the CPU backend; leaves the values (and any error) in window.result.
import * as nn from '../../dist/webgpu-nn.js';

async function main() {
  const width = 9;
  const height = 7;
  const canvas = Object.assign(document.createElement('canvas'), { width, height });
  const ctx = canvas.getContext('2d');
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      ctx.fillStyle = `rgb(${(x * 29) % 256}, ${(y * 37) % 256}, ${(x * y * 11) % 256})`;
      ctx.fillRect(x, y, 1, 1);
    }
  }
  const imageData = ctx.getImageData(0, 0, width, height);
  const offscreen = new OffscreenCanvas(width, height);
  offscreen.getContext('2d').drawImage(canvas, 0, 0);
  const img = new Image();
  img.src = canvas.toDataURL('image/png');
  await img.decode();
  const sources = {
    imageData,
    canvas,
    offscreen,
    bitmap: await createImageBitmap(canvas),
    img,
    videoFrame: new VideoFrame(canvas, { timestamp: 0 }),
  };
  const gpu = await nn.createBackend('webgpu');
  const cpu = await nn.createBackend('cpu');
  const options = { size: [5, 12], mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
  const result = { backend: gpu.name, shapes: {}, gpu: {}, cpu: {} };
  for (const [name, source] of Object.entries(sources)) {
    const g = await gpu.fromImage(source, options);
    result.shapes[name] = [...g.shape];
    result.gpu[name] = Array.from(await g.data());
    result.cpu[name] = Array.from(await (await cpu.fromImage(source, options)).data());
  }
  const batch = await gpu.fromImage([sources.bitmap, sources.img], { channels: 1 });
  result.batchShape = [...batch.shape];
  result.batch = Array.from(await batch.data());
  result.batchRef = Array.from(await (await cpu.fromImage([imageData, imageData], { channels: 1 })).data());
  try {
    await gpu.fromImage(new Image());
  } catch (e) {
    result.unloaded = `${e.name}: ${e.message}`;
  }
  sources.videoFrame.close();
  gpu.dispose();
  return result;
}

main().then(
  (result) => (window.result = result),
  (e) => (window.result = { error: `${e.name}: ${e.message}\n${e.stack}` }),
);

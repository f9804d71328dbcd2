// In the browser the labs' `create([])` (the `webgpu` package in Node) is the page's navigator.gpu.
export function create(_flags: string[]): GPU {
  return navigator.gpu;
}

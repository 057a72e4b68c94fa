// The same package from a CommonJS TypeScript module (import = require), type-checked only.
import deformconv = require('deformconv-wasm');

export async function outputShape(): Promise<number[]> {
  const dc = await deformconv.createDeformConv({ threads: 1 });
  const x = { data: new Float32Array(16), shape: [1, 1, 4, 4] };
  const y = await dc.deformConv2d(x, { data: new Float32Array(32), shape: [1, 2, 4, 4] }, { data: new Float32Array(1), shape: [1, 1, 1, 1] });
  dc.dispose();
  return y.shape;
}

// DeformConv is a class (instanceof works); there is no default export.
export function isInstance(x: unknown): boolean {
  return x instanceof deformconv.DeformConv;
}
// @ts-expect-error the package has named exports only
export const noDefault = deformconv.default;

// One golden case (case.json: inputs as flat arrays, torchvision's params) through both conventions of an
// installed deformconv-wasm. Shared by the Node checks, the Vite page, its worker and the unbundled worker.

const tensor = (c, key) => (c[key] ? { data: Float32Array.from(c[key]), shape: c.shapes[key] } : null);

/**
 * Resolves to { info, version, torchvision: number[], mindspore: number[], sameLayout, exportNames (the
 * package's exports as this consumer sees them), isDeformConv (the instance is an instance of DeformConv) }.
 */
export async function runCase(api, c, createOptions) {
  const p = c.params;
  const dc = await api.createDeformConv(createOptions);
  try {
    const y = await dc.deformConv2d(tensor(c, 'input'), tensor(c, 'offset'), tensor(c, 'weight'), {
      bias: tensor(c, 'bias'), mask: tensor(c, 'mask'), stride: p.stride, padding: p.padding, dilation: p.dilation,
    });
    const y2 = await dc.deformableConv2d(tensor(c, 'input'), tensor(c, 'weight'), tensor(c, 'offsets_mindspore'),
      p.kernel_size, [1, 1, ...p.stride], p.padding, {
        bias: tensor(c, 'bias'), dilations: [1, 1, ...p.dilation], groups: p.groups, deformableGroups: p.offset_groups,
      });
    const converted = api.layouts.toMindSpore(tensor(c, 'offset'), tensor(c, 'mask'), p.kernel_size);
    const sameLayout = converted.data.every((v, k) => v === c.offsets_mindspore[k]);
    return {
      info: dc.info(), version: api.version, torchvision: Array.from(y.data), mindspore: Array.from(y2.data), sameLayout,
      exportNames: Object.keys(api).filter((k) => k !== '__esModule').sort(), isDeformConv: dc instanceof api.DeformConv,
    };
  } finally {
    dc.dispose();
  }
}

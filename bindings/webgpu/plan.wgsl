// plan.wgsl: the sampling plan of a chunk. One thread per sample (image n, offset group g, tap t, output
// pixel p of the chunk) resolves where the sample falls into four corners and four weights (mask included),
// once; every input channel of the offset group then reuses the entry (forward.wgsl, grad_weight.wgsl) and
// grad_input.wgsl uses it to route gradients back to the corners.
//   plan[sample_index(n, g, t, p)] = plan[((n * G + g) * taps + t) * pixels + p]
// Compiled after conv.wgsl, indexing.wgsl and sampling.wgsl.
//
// Bindings (group 0), in order:
//   0 conv    uniform Conv
//   1 offset  the offset chunk (MindSpore: dx, dy and mask blocks)
//   2 mask    the mask chunk (torchvision); MindSpore binds the offset chunk here; unused without a mask
//   3 plan    out: one PlanEntry per sample
// Dispatch: ceil(samples / WORKGROUP_SIZE) workgroups, folded into (x, y) (context.js, dispatchLinear).

override HAS_MASK: bool = true;

@group(0) @binding(0) var<uniform> conv: Conv;
@group(0) @binding(1) var<storage, read> offset: array<f32>;
@group(0) @binding(2) var<storage, read> mask: array<f32>;
@group(0) @binding(3) var<storage, read_write> plan: array<PlanEntry>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let s = linear_index(id, groups);
  if (s >= sample_count()) {
    return;
  }
  let sample = sample_at(s);
  plan[s] = resolve_sample(sample_position(sample.n, sample.g, sample.tap, sample.p), sample_mask(sample.n, sample.g, sample.tap, sample.p));
}

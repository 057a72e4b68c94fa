// grad_weight_reduce.wgsl: adds grad_weight.wgsl's partials of one chunk to grad_weight, slice after slice
// (a fixed order: the same bits on every run). Only the entries of the chunk's input channels are touched;
// JS clears grad_weight before the first chunk.
// Compiled after conv.wgsl and indexing.wgsl.
//
// Bindings (group 0), in order:
//   0 conv         uniform Conv (splits, weight_elements)
//   1 partials     splits x weight_elements
//   2 grad_weight  out (added to): (C_out, C_in/groups, kh, kw)
// Dispatch: ceil(weight_elements / WORKGROUP_SIZE) workgroups, folded into (x, y).

@group(0) @binding(0) var<uniform> conv: Conv;
@group(0) @binding(1) var<storage, read> partials: array<f32>;
@group(0) @binding(2) var<storage, read_write> grad_weight: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let e = linear_index(id, groups);
  if (e >= conv.weight_elements) {
    return;
  }
  // The input channel of entry e: its weight group (from the output channel) and c' inside the group.
  let co = e / (conv.in_per_group * conv.taps);
  let c = (co / conv.out_per_group) * conv.in_per_group + (e / conv.taps) % conv.in_per_group;
  if (c < conv.first_channel || c >= conv.first_channel + conv.channels) {
    return;
  }
  var sum = 0.0;
  for (var s = 0; s < conv.splits; s++) {
    sum += partials[s * conv.weight_elements + e];
  }
  grad_weight[e] += sum;
}

// grad_bias.wgsl: the bias gradient of a chunk, grad_bias[co] += sum over the chunk's (image, pixel) pairs
// of grad_output. One workgroup per output channel: each of its BIAS_THREADS threads (constants.js) sums a
// strided share of the pairs, then a tree in workgroup memory adds the shares (a fixed order). JS clears
// grad_bias before the first chunk.
// Compiled after conv.wgsl and indexing.wgsl.
//
// Bindings (group 0), in order:
//   0 conv         uniform Conv (out_channels = C_out)
//   1 grad_output  the grad_output chunk
//   2 grad_bias    out (added to): (C_out)
// Dispatch: C_out workgroups, folded into (x, y).

override BIAS_THREADS: u32;  // a power of two

@group(0) @binding(0) var<uniform> conv: Conv;
@group(0) @binding(1) var<storage, read> grad_output: array<f32>;
@group(0) @binding(2) var<storage, read_write> grad_bias: array<f32>;

var<workgroup> shares: array<f32, BIAS_THREADS>;

@compute @workgroup_size(BIAS_THREADS)
fn main(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) groups: vec3<u32>) {
  let co = i32(workgroup_index(wid, groups));
  if (co >= conv.out_channels) {
    return;  // the whole workgroup
  }
  var sum = 0.0;
  for (var q = i32(li); q < conv.images * conv.pixels; q += i32(BIAS_THREADS)) {
    let pair = pair_at(q);
    sum += grad_output[pair.x * conv.output_n + co * conv.output_c + pair.y * conv.output_p];
  }
  shares[li] = sum;
  for (var width = BIAS_THREADS / 2u; width > 0u; width /= 2u) {
    workgroupBarrier();
    if (li < width) {
      shares[li] += shares[li + width];
    }
  }
  if (li == 0u) {
    grad_bias[co] += shares[0];
  }
}

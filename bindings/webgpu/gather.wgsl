// gather.wgsl: reading one bilinear sample of one channel through a plan entry (conv.wgsl's PlanEntry);
// compiled after conv.wgsl and indexing.wgsl in front of the kernels that gather columns (forward,
// grad_weight). Those kernels declare `conv` and `input`.

// One input value, 0 for a corner outside the image (corner -1).
fn corner_value(corner: i32, base: i32) -> f32 {
  if (corner < 0) {
    return 0.0;
  }
  return input[base + corner * conv.input_p];
}

// The bilinear value of one channel, weights (mask included) applied: base is the element index of
// (image, channel) in the input chunk. Every weight multiplies, so NaN weights give NaN.
fn bilinear(e: PlanEntry, base: i32) -> f32 {
  return dot(e.weight, vec4<f32>(corner_value(e.corner.x, base), corner_value(e.corner.y, base),
                                 corner_value(e.corner.z, base), corner_value(e.corner.w, base)));
}

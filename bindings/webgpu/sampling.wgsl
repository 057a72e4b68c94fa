// sampling.wgsl: the bilinear rule of docs/semantics.md, written once for the GPU; compiled after
// conv.wgsl and indexing.wgsl in front of the kernels that sample (plan, grad_offset_mask). Those kernels declare `conv`,
// `offset`, `mask` and `input` and the override HAS_MASK, which these functions read.
//   A sample at (y, x) is 0 when y <= -1, y >= H, x <= -1 or x >= W; otherwise its four corners around
//   (floor(y), floor(x)) carry the bilinear weights, a corner outside [0, H-1] x [0, W-1] counting as 0.
//   NaN and infinity as torchvision's CPU kernel on x86 (README, "NaN and infinity"): a NaN coordinate gives a
//   NaN sample unless the other coordinate puts the sample outside, and an outside sample is 0 times the mask
//   (NaN for a NaN or infinite mask). NaN is detected on the bits and passed on, never made by arithmetic a
//   compiler may fold (WGSL lets an implementation assume there is no NaN).

// NaN, tested on the bits: a compiler may assume floats are never NaN (WGSL allows it) and fold v != v away.
fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

// 0 * v as IEEE 754 defines it (NaN for a NaN or infinite v), without arithmetic a compiler may fold to 0.
fn zero_times(v: f32) -> f32 {
  let non_finite = (bitcast<u32>(v) & 0x7f800000u) == 0x7f800000u;
  return select(0.0, bitcast<f32>(bitcast<u32>(v) | 0x7fc00000u), non_finite);
}

// torchvision's window test y <= -1 || y >= H || x <= -1 || x >= W, with its comparisons false for NaN
// whatever the compiler assumes: a NaN coordinate is outside only when the other coordinate is.
fn outside_window(y: f32, x: f32) -> bool {
  let outside_y = !is_nan(y) && (y <= -1.0 || y >= f32(conv.in_height));
  let outside_x = !is_nan(x) && (x <= -1.0 || x >= f32(conv.in_width));
  return outside_y || outside_x;
}

// Where a sample of (image n, offset group g, tap, chunk pixel p) lies: (y, x) in input coordinates.
// As torchvision: the integer part of the position is exact, the offset is added in float.
fn sample_position(n: i32, g: i32, tap: i32, p: i32) -> vec2<f32> {
  let index = g * conv.taps + tap;
  let pixel = conv.first_pixel + p;
  let ho = pixel / conv.out_width;
  let wo = pixel - ho * conv.out_width;
  let i = tap / conv.kernel_w;
  let j = tap - i * conv.kernel_w;
  let at = n * conv.offset_n + p * conv.offset_p;
  let dy = offset[at + (conv.dy_a + conv.dy_b * index) * conv.offset_c];
  let dx = offset[at + (conv.dx_a + conv.dx_b * index) * conv.offset_c];
  return vec2<f32>(f32(ho * conv.stride_h - conv.pad_top + i * conv.dilation_h) + dy,
                   f32(wo * conv.stride_w - conv.pad_left + j * conv.dilation_w) + dx);
}

// The mask value of the sample (1 without a mask: HAS_MASK is each kernel's override).
fn sample_mask(n: i32, g: i32, tap: i32, p: i32) -> f32 {
  if (!HAS_MASK) {
    return 1.0;
  }
  return mask[n * conv.mask_n + (conv.mask_a + conv.mask_b * (g * conv.taps + tap)) * conv.mask_c + p * conv.mask_p];
}

// The bilinear rule: corners and weights of the sample at (y, x), each weight multiplied by m.
fn resolve_sample(position: vec2<f32>, m: f32) -> PlanEntry {
  var e: PlanEntry;
  e.corner = vec4<i32>(-1);
  let y = position.x;
  let x = position.y;
  if (outside_window(y, x)) {
    e.weight = vec4<f32>(zero_times(m));  // the value 0, times the mask
    return e;
  }
  if (is_nan(y) || is_nan(x)) {
    e.weight = vec4<f32>(select(x, y, is_nan(y)));  // that NaN: the sample is NaN
    return e;
  }
  let fy = floor(y);
  let fx = floor(x);
  let y0 = i32(fy);
  let x0 = i32(fx);
  let ly = y - fy;
  let lx = x - fx;
  let hy = 1.0 - ly;
  let hx = 1.0 - lx;
  e.weight = vec4<f32>(hy * hx * m, hy * lx * m, ly * hx * m, ly * lx * m);
  let top = y0 >= 0;
  let bottom = y0 + 1 <= conv.in_height - 1;
  let left = x0 >= 0;
  let right = x0 + 1 <= conv.in_width - 1;
  let top_left = y0 * conv.in_width + x0;
  if (top && left) { e.corner.x = top_left; }
  if (top && right) { e.corner.y = top_left + 1; }
  if (bottom && left) { e.corner.z = top_left + conv.in_width; }
  if (bottom && right) { e.corner.w = top_left + conv.in_width + 1; }
  return e;
}

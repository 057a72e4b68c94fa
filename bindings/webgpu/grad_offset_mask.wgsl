// grad_offset_mask.wgsl: the gradients of the offsets and of the mask for a chunk. One thread per sample
// (image n, offset group g, tap t, chunk pixel p) locates the sample once and reuses it for every input
// channel c of the group inside the chunk, reading the column gradient cg = columns[n, c, t, p]:
//   grad_dy += cg * dv/dy,  grad_dx += cg * dv/dx,  grad_mask += cg * v,
// then multiplies the offset gradients by the mask. v is the bilinear value without the mask (0 outside the
// window). The coordinate derivatives are torchvision's: from the four corners with validity checks only,
// without the y <= -1 / x <= -1 window, so a sample exactly on y = -1 or x = -1 gets a one-sided gradient
// where its value is 0 (pytorch/vision issue 6885; docs/semantics.md keeps it).
// With a later chunk of input channels the results are partial sums: JS adds them up after reading back.
// Compiled after conv.wgsl, indexing.wgsl and sampling.wgsl.
//
// Bindings (group 0), in order:
//   0 conv         uniform Conv
//   1 input        the input chunk
//   2 offset       the offset chunk
//   3 mask         the mask chunk (torchvision) or the offset chunk again (MindSpore); unused without a mask
//   4 columns      grad_columns.wgsl's output for the chunk
//   5 grad_offset  out: like the offset chunk. MindSpore: its mask block receives grad_mask (0 when the call
//                  is not modulated)
//   6 grad_mask    out: like the mask chunk (torchvision with a mask); unused otherwise
// Dispatch: ceil(samples / WORKGROUP_SIZE) workgroups, folded into (x, y).

override HAS_MASK: bool = true;        // the call has a mask: its values multiply, its gradient is written
override MASK_IN_OFFSET: bool = false; // MindSpore: the mask gradient goes into grad_offset's mask block

@group(0) @binding(0) var<uniform> conv: Conv;
@group(0) @binding(1) var<storage, read> input: array<f32>;
@group(0) @binding(2) var<storage, read> offset: array<f32>;
@group(0) @binding(3) var<storage, read> mask: array<f32>;
@group(0) @binding(4) var<storage, read> columns: array<f32>;
@group(0) @binding(5) var<storage, read_write> grad_offset: array<f32>;
@group(0) @binding(6) var<storage, read_write> grad_mask: array<f32>;

fn corner(valid: bool, at: i32) -> f32 {
  if (!valid) {
    return 0.0;
  }
  return input[at];
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let s = linear_index(id, groups);
  if (s >= sample_count()) {
    return;
  }
  let sample = sample_at(s);
  let n = sample.n;
  let g = sample.g;
  let tap = sample.tap;
  let p = sample.p;

  let position = sample_position(n, g, tap, p);
  let m = sample_mask(n, g, tap, p);
  let y = position.x;
  let x = position.y;
  let H = conv.in_height;
  let W = conv.in_width;
  var grad_y = 0.0;
  var grad_x = 0.0;
  var grad_m = 0.0;
  // The coordinate gradient's window (-1 <= y < H, -1 <= x < W, false for NaN): outside it every corner is
  // outside the image, so there is nothing to sum (and no float-to-int conversion of a far or infinite position).
  let outside = outside_window(y, x);
  let nan_sample = !outside && (is_nan(y) || is_nan(x));
  let coordinate_window = !is_nan(y) && !is_nan(x) && y >= -1.0 && y < f32(H) && x >= -1.0 && x < f32(W);
  let c_begin = max(g * conv.channels_per_offset_group, conv.first_channel);
  let c_end = min((g + 1) * conv.channels_per_offset_group, conv.first_channel + conv.channels);
  if (coordinate_window && c_begin < c_end) {
    let fy = floor(y);
    let fx = floor(x);
    let y0 = i32(fy);
    let x0 = i32(fx);
    let ly = y - fy;
    let lx = x - fx;
    let top = y0 >= 0 && y0 < H;
    let bottom = y0 + 1 >= 0 && y0 + 1 < H;
    let left = x0 >= 0 && x0 < W;
    let right = x0 + 1 >= 0 && x0 + 1 < W;
    let top_left = (y0 * W + x0) * conv.input_p;
    let step_x = conv.input_p;
    let step_y = W * conv.input_p;
    // The value (for the mask gradient) has the stricter window: 0 on y = -1 or x = -1.
    let value_weights = select(vec4<f32>((1.0 - ly) * (1.0 - lx), (1.0 - ly) * lx, ly * (1.0 - lx), ly * lx), vec4<f32>(0.0), outside);
    for (var c = c_begin; c < c_end; c++) {
      let base = n * conv.input_n + (c - conv.first_channel) * conv.input_c + top_left;
      let v00 = corner(top && left, base);
      let v01 = corner(top && right, base + step_x);
      let v10 = corner(bottom && left, base + step_y);
      let v11 = corner(bottom && right, base + step_y + step_x);
      let cg = columns[((n * conv.channels + c - conv.first_channel) * conv.taps + tap) * conv.pixels + p];
      grad_y += cg * ((1.0 - lx) * (v10 - v00) + lx * (v11 - v01));
      grad_x += cg * ((1.0 - ly) * (v01 - v00) + ly * (v11 - v10));
      grad_m += cg * dot(value_weights, vec4<f32>(v00, v01, v10, v11));
    }
  }
  // Outside the coordinate window the offset gradients are 0 times the mask (NaN for a NaN or infinite mask).
  var grad_dy = select(zero_times(m), grad_y * m, coordinate_window);
  var grad_dx = select(zero_times(m), grad_x * m, coordinate_window);
  if (nan_sample) {
    grad_dy = select(x, y, is_nan(y));  // that NaN, for all three
    grad_dx = grad_dy;
    grad_m = grad_dy;
  }
  let index = g * conv.taps + tap;
  let at = n * conv.offset_n + p * conv.offset_p;
  grad_offset[at + (conv.dy_a + conv.dy_b * index) * conv.offset_c] = grad_dy;
  grad_offset[at + (conv.dx_a + conv.dx_b * index) * conv.offset_c] = grad_dx;
  let mask_channel = conv.mask_a + conv.mask_b * index;
  if (MASK_IN_OFFSET) {
    grad_offset[at + mask_channel * conv.offset_c] = select(0.0, grad_m, HAS_MASK);
  } else if (HAS_MASK) {
    grad_mask[n * conv.mask_n + mask_channel * conv.mask_c + p * conv.mask_p] = grad_m;
  }
}

// conv.wgsl: the prelude every kernel of this folder is compiled with (shaders.js puts it
// in front of each kernel file): the one uniform struct all kernels read, and the sampling plan's entry.
//
// Tensors reach the kernels as chunks (chunks.js): a range of images, of output pixels
// (flattened ho * Wo + wo), of input channels and of output channels, packed in the caller's data format.
// Every activation chunk is addressed as (image, channel, pixel) through three element strides, so one
// kernel serves NCHW and NHWC; the channel of (offset group g, tap t) in the offset (or mask) tensor is
// a + b * (g * kh * kw + t), so one kernel serves torchvision's and MindSpore's layouts.
// JS packs Conv by the field names below, in this order: every field is an i32.

struct Conv {
  images: i32,                    // images in the chunk
  in_height: i32,                 // H
  in_width: i32,                  // W
  out_width: i32,                 // Wo: turns a flattened output pixel into (ho, wo)
  kernel_w: i32,                  // kw
  taps: i32,                      // kh * kw
  stride_h: i32,
  stride_w: i32,
  pad_top: i32,
  pad_left: i32,
  dilation_h: i32,
  dilation_w: i32,
  in_per_group: i32,              // C_in / groups: input channels c' of one weight group
  out_per_group: i32,             // C_out / groups
  offset_groups: i32,             // G
  channels_per_offset_group: i32, // C_in / G
  first_pixel: i32,               // the chunk's output pixels: [first_pixel, first_pixel + pixels)
  pixels: i32,
  first_channel: i32,             // the chunk's input channels: [first_channel, first_channel + channels)
  channels: i32,
  first_out_channel: i32,         // the chunk's output channels: [first_out_channel, + out_channels)
  out_channels: i32,
  input_n: i32,                   // element strides of the input chunk (also grad_input)
  input_c: i32,
  input_p: i32,
  offset_n: i32,                  // ... of the offset chunk (also grad_offset)
  offset_c: i32,
  offset_p: i32,
  mask_n: i32,                    // ... of the mask chunk (also grad_mask); MindSpore: the offset chunk's
  mask_c: i32,
  mask_p: i32,
  output_n: i32,                  // ... of the output chunk (also grad_output)
  output_c: i32,
  output_p: i32,
  dy_a: i32,                      // channel of dy for index i = g * taps + t: dy_a + dy_b * i
  dy_b: i32,
  dx_a: i32,
  dx_b: i32,
  mask_a: i32,
  mask_b: i32,
  accumulate: i32,                // 1: add to what the result buffer holds (a later chunk of a sum); 0: overwrite
  splits: i32,                    // grad_weight: slices of the pixel sum, reduced in a fixed order afterwards
  weight_elements: i32,           // C_out * C_in/groups * kh * kw
  scan_length: i32,               // scan.wgsl: elements of the level being scanned
}

// One resolved sample: the four corners (input pixel index y * W + x, or -1 outside) and their weights,
// the mask included. (y0, x0), (y0, x0 + 1), (y0 + 1, x0), (y0 + 1, x0 + 1).
struct PlanEntry {
  corner: vec4<i32>,
  weight: vec4<f32>,
}

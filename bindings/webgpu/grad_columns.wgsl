// grad_columns.wgsl: the column gradient of a chunk, the forward's GEMM transposed:
//   columns[n, c, t, p] = sum over co of weight group(c): W[co, c - group start, t] * grad_output[n, co, p],
// stored [image][chunk channel][tap][chunk pixel]. grad_offset_mask.wgsl and grad_input.wgsl read it.
// One workgroup computes tile_r = 4 * TR rows r = (channel, tap) of one weight group x tile_p = 4 * TP pixels
// of one image: per step of KC output channels, the weight tile (KC x tile_r) and the grad_output tile
// (KC x tile_p) go to workgroup memory and each thread accumulates a 4 x 4 register tile (rows lid.y + i * TR,
// pixels lid.x + j * TP).
// Compiled after conv.wgsl and indexing.wgsl.
//
// Bindings (group 0), in order:
//   0 conv         uniform Conv (out_channels = C_out: the grad_output chunk holds every output channel)
//   1 grad_output  the grad_output chunk: images x C_out x pixels
//   2 weight       the whole weight (C_out, C_in/groups, kh, kw)
//   3 columns      out: images x chunk channels x taps x pixels
// Dispatch: (ceil(pixels / tile_p), row tiles of every weight group the chunk's channels touch, images).

override TP: u32 = 16u;  // threads along pixels
override TR: u32 = 16u;  // threads along rows
override KC: u32 = 16u;  // output channels per step

@group(0) @binding(0) var<uniform> conv: Conv;
@group(0) @binding(1) var<storage, read> grad_output: array<f32>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read_write> columns: array<f32>;

var<workgroup> grad_tile: array<f32, KC * TP * 4u>;    // [co][pixel]
var<workgroup> weight_tile: array<f32, KC * TR * 4u>;  // [co][row]

@compute @workgroup_size(TP, TR)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(local_invocation_index) li: u32,
        @builtin(workgroup_id) wid: vec3<u32>) {
  let tile_p = i32(TP * 4u);
  let tile_r = i32(TR * 4u);
  let threads = TP * TR;
  let n = i32(wid.z);
  let pixel0 = i32(wid.x) * tile_p;

  // The weight group of this tile and its input channels inside the chunk: rows (c - c_begin) * taps + t.
  let tiles_per_group = (conv.in_per_group * conv.taps + tile_r - 1) / tile_r;
  let group = conv.first_channel / conv.in_per_group + i32(wid.y) / tiles_per_group;
  let c_begin = max(group * conv.in_per_group, conv.first_channel);
  let c_end = min((group + 1) * conv.in_per_group, conv.first_channel + conv.channels);
  let rows = (c_end - c_begin) * conv.taps;
  let row0 = (i32(wid.y) % tiles_per_group) * tile_r;
  if (row0 >= rows) {
    return;  // the whole workgroup: past the group's channels in this chunk
  }
  let co_begin = group * conv.out_per_group;

  var acc: array<vec4<f32>, 4>;  // acc[i][j]: row row0 + lid.y + i * TR, pixel pixel0 + lid.x + j * TP
  for (var k0 = 0; k0 < conv.out_per_group; k0 += i32(KC)) {
    for (var e = li; e < KC * TP * 4u; e += threads) {
      let k = k0 + i32(e) / tile_p;
      let p = pixel0 + i32(e) % tile_p;
      var v = 0.0;
      if (k < conv.out_per_group && p < conv.pixels) {
        v = grad_output[n * conv.output_n + (co_begin + k) * conv.output_c + p * conv.output_p];
      }
      grad_tile[e] = v;
    }
    for (var e = li; e < KC * TR * 4u; e += threads) {
      let k = k0 + i32(e) / tile_r;
      let row = row0 + i32(e) % tile_r;
      var w = 0.0;
      if (k < conv.out_per_group && row < rows) {
        let c_in_group = c_begin + row / conv.taps - group * conv.in_per_group;
        w = weight[((co_begin + k) * conv.in_per_group + c_in_group) * conv.taps + row % conv.taps];
      }
      weight_tile[e] = w;
    }
    workgroupBarrier();
    for (var k = 0u; k < KC; k++) {
      let a = vec4<f32>(grad_tile[k * TP * 4u + lid.x], grad_tile[k * TP * 4u + lid.x + TP],
                        grad_tile[k * TP * 4u + lid.x + 2u * TP], grad_tile[k * TP * 4u + lid.x + 3u * TP]);
      let w = k * TR * 4u + lid.y;
      acc[0] += weight_tile[w] * a;
      acc[1] += weight_tile[w + TR] * a;
      acc[2] += weight_tile[w + 2u * TR] * a;
      acc[3] += weight_tile[w + 3u * TR] * a;
    }
    workgroupBarrier();
  }

  for (var i = 0; i < 4; i++) {
    let row = row0 + i32(lid.y) + i * i32(TR);
    if (row >= rows) {
      continue;
    }
    let c_local = c_begin + row / conv.taps - conv.first_channel;
    let base = ((n * conv.channels + c_local) * conv.taps + row % conv.taps) * conv.pixels;
    for (var j = 0; j < 4; j++) {
      let p = pixel0 + i32(lid.x) + j * i32(TP);
      if (p < conv.pixels) {
        columns[base + p] = acc[i][j];
      }
    }
  }
}

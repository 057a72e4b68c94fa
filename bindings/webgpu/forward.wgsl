// forward.wgsl: the output of a chunk, as a tiled GEMM whose right-hand matrix is gathered on the fly:
//   out[n, co, p] = bias[co] + sum over r = (tap, c) of W[co, c - group start, tap] * column[r, p],
//   column[r, p] = bilinear sample of channel c through plan entry (n, offset group of c, tap, p).
// One workgroup computes a tile of tile_co = 4 * TC output channels (of one weight group) x tile_p = 4 * TP
// pixels of one image:
//   1. per step of KC reduction indices r (tap-major, so consecutive r share a tap and, inside one offset
//      group, a plan entry), the threads gather the KC x tile_p column tile and load the KC x tile_co weight
//      tile into workgroup memory;
//   2. each thread multiplies them into its 4 x 4 register tile (output channels lid.y + i * TC, pixels
//      lid.x + j * TP: neighbouring threads read neighbouring words and write neighbouring pixels);
//   3. the tile is stored with the bias, or added to the output of an earlier chunk of input channels.
// Compiled after conv.wgsl, indexing.wgsl and gather.wgsl.
//
// Bindings (group 0), in order:
//   0 conv    uniform Conv
//   1 input   the input chunk: images x the chunk's input channels x H*W
//   2 plan    plan.wgsl's entries for the chunk's images and pixels, all offset groups
//   3 weight  rows [first_out_channel, + out_channels) of the weight (C_out, C_in/groups, kh, kw)
//   4 bias    (C_out); unused when HAS_BIAS is false
//   5 output  the output chunk (read for accumulate = 1)
// Dispatch: (ceil(pixels / tile_p), tiles of tile_co over the weight groups the chunk's output channels
// touch, images).

override HAS_BIAS: bool = true;
override TP: u32 = 16u;  // threads along pixels
override TC: u32 = 16u;  // threads along output channels
override KC: u32 = 16u;  // reduction indices per step

@group(0) @binding(0) var<uniform> conv: Conv;
@group(0) @binding(1) var<storage, read> input: array<f32>;
@group(0) @binding(2) var<storage, read> plan: array<PlanEntry>;
@group(0) @binding(3) var<storage, read> weight: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read_write> output: array<f32>;

var<workgroup> column_tile: array<f32, KC * TP * 4u>;  // [r][pixel]
var<workgroup> weight_tile: array<f32, KC * TC * 4u>;  // [r][output channel]

@compute @workgroup_size(TP, TC)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(local_invocation_index) li: u32,
        @builtin(workgroup_id) wid: vec3<u32>) {
  let tile_p = i32(TP * 4u);
  let tile_co = i32(TC * 4u);
  let threads = TP * TC;
  let n = i32(wid.z);
  let pixel0 = i32(wid.x) * tile_p;

  // The weight group and output channels of this tile, clipped to the chunk.
  let tiles_per_group = (conv.out_per_group + tile_co - 1) / tile_co;
  let group = conv.first_out_channel / conv.out_per_group + i32(wid.y) / tiles_per_group;
  let co0 = group * conv.out_per_group + (i32(wid.y) % tiles_per_group) * tile_co;
  let co_begin = max(group * conv.out_per_group, conv.first_out_channel);
  let co_end = min((group + 1) * conv.out_per_group, conv.first_out_channel + conv.out_channels);
  if (co0 + tile_co <= co_begin || co0 >= co_end) {
    return;  // the whole workgroup: this tile lies outside the chunk
  }
  // Input channels of the weight group inside the chunk: [c_begin, c_begin + c_count).
  let c_begin = max(group * conv.in_per_group, conv.first_channel);
  let c_count = max(min((group + 1) * conv.in_per_group, conv.first_channel + conv.channels) - c_begin, 0);
  let reduction = conv.taps * c_count;

  var acc: array<vec4<f32>, 4>;  // acc[i][j]: output channel co0 + lid.y + i * TC, pixel pixel0 + lid.x + j * TP
  for (var r0 = 0; r0 < reduction; r0 += i32(KC)) {
    for (var e = li; e < KC * TP * 4u; e += threads) {
      let r = r0 + i32(e) / tile_p;
      let p = pixel0 + i32(e) % tile_p;
      var v = 0.0;
      if (r < reduction && p < conv.pixels) {
        let tap = r / c_count;
        let c = c_begin + r % c_count;
        let g = c / conv.channels_per_offset_group;
        let entry = plan[sample_index(n, g, tap, p)];
        v = bilinear(entry, n * conv.input_n + (c - conv.first_channel) * conv.input_c);
      }
      column_tile[e] = v;
    }
    for (var e = li; e < KC * TC * 4u; e += threads) {
      let r = r0 + i32(e) / tile_co;
      let co = co0 + i32(e) % tile_co;
      var w = 0.0;
      if (r < reduction && co >= co_begin && co < co_end) {
        let tap = r / c_count;
        let c_in_group = c_begin + r % c_count - group * conv.in_per_group;
        w = weight[((co - conv.first_out_channel) * conv.in_per_group + c_in_group) * conv.taps + tap];
      }
      weight_tile[e] = w;
    }
    workgroupBarrier();
    for (var k = 0u; k < KC; k++) {
      let a = vec4<f32>(column_tile[k * TP * 4u + lid.x], column_tile[k * TP * 4u + lid.x + TP],
                        column_tile[k * TP * 4u + lid.x + 2u * TP], column_tile[k * TP * 4u + lid.x + 3u * TP]);
      let row = k * TC * 4u + lid.y;
      acc[0] += weight_tile[row] * a;
      acc[1] += weight_tile[row + TC] * a;
      acc[2] += weight_tile[row + 2u * TC] * a;
      acc[3] += weight_tile[row + 3u * TC] * a;
    }
    workgroupBarrier();
  }

  for (var i = 0; i < 4; i++) {
    let co = co0 + i32(lid.y) + i * i32(TC);
    if (co < co_begin || co >= co_end) {
      continue;
    }
    for (var j = 0; j < 4; j++) {
      let p = pixel0 + i32(lid.x) + j * i32(TP);
      if (p >= conv.pixels) {
        continue;
      }
      let at = n * conv.output_n + (co - conv.first_out_channel) * conv.output_c + p * conv.output_p;
      var v = acc[i][j];
      if (conv.accumulate != 0) {
        v += output[at];
      } else if (HAS_BIAS) {
        v += bias[co];
      }
      output[at] = v;
    }
  }
}

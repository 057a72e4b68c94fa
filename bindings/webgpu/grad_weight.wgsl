// grad_weight.wgsl: the weight gradient of a chunk, a GEMM over the chunk's (image, pixel) pairs q:
//   grad_weight[co, c', t] = sum over q of grad_output[q, co] * column[q, (c, t)],
// the column being the forward's (the masked bilinear sample, gathered through the plan). The sum over q
// is cut into `splits` slices (Conv.splits) so that small weights still give the GPU enough workgroups; each
// slice writes its own partial, and grad_weight_reduce.wgsl adds the partials in slice order: a fixed order,
// so the result does not depend on scheduling.
// One workgroup computes tile_co = 4 * TC output channels of one weight group x tile_r = 4 * TR rows r = (c, t)
// of that group (c-major, as the weight is stored) for one slice: per step of KQ values of q, the grad_output
// tile (KQ x tile_co) and the gathered column tile (KQ x tile_r) go to workgroup memory, and each thread
// accumulates a 4 x 4 register tile (output channels lid.y + i * TC, rows lid.x + j * TR).
// Compiled after conv.wgsl, indexing.wgsl and gather.wgsl.
//
// Bindings (group 0), in order:
//   0 conv         uniform Conv (out_channels = C_out: the grad_output chunk holds every output channel)
//   1 input        the input chunk
//   2 plan         plan.wgsl's entries for the chunk
//   3 grad_output  the grad_output chunk
//   4 partials     out: splits x C_out x (C_in/groups) x taps; only rows of the chunk's channels are written
// Dispatch: (row tiles, output channel tiles of every weight group the chunk's channels touch, splits).

override TR: u32 = 16u;  // threads along rows
override TC: u32 = 16u;  // threads along output channels
override KQ: u32 = 16u;  // (image, pixel) pairs per step

@group(0) @binding(0) var<uniform> conv: Conv;
@group(0) @binding(1) var<storage, read> input: array<f32>;
@group(0) @binding(2) var<storage, read> plan: array<PlanEntry>;
@group(0) @binding(3) var<storage, read> grad_output: array<f32>;
@group(0) @binding(4) var<storage, read_write> partials: array<f32>;

var<workgroup> column_tile: array<f32, KQ * TR * 4u>;  // [q][row]
var<workgroup> grad_tile: array<f32, KQ * TC * 4u>;    // [q][output channel]

@compute @workgroup_size(TR, TC)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(local_invocation_index) li: u32,
        @builtin(workgroup_id) wid: vec3<u32>) {
  let tile_r = i32(TR * 4u);
  let tile_co = i32(TC * 4u);
  let threads = TR * TC;

  // Weight group, output channel tile and rows of this workgroup.
  let co_tiles = (conv.out_per_group + tile_co - 1) / tile_co;
  let group = conv.first_channel / conv.in_per_group + i32(wid.y) / co_tiles;
  let co0 = group * conv.out_per_group + (i32(wid.y) % co_tiles) * tile_co;
  let co_end = (group + 1) * conv.out_per_group;
  let c_begin = max(group * conv.in_per_group, conv.first_channel);
  let c_end = min((group + 1) * conv.in_per_group, conv.first_channel + conv.channels);
  let rows = (c_end - c_begin) * conv.taps;
  let row0 = i32(wid.x) * tile_r;
  if (row0 >= rows) {
    return;  // the whole workgroup
  }
  // This slice's (image, pixel) pairs.
  let pairs = conv.images * conv.pixels;
  let per_slice = (pairs + conv.splits - 1) / conv.splits;
  let q_begin = i32(wid.z) * per_slice;
  let q_end = min(q_begin + per_slice, pairs);

  var acc: array<vec4<f32>, 4>;  // acc[i][j]: output channel co0 + lid.y + i * TC, row row0 + lid.x + j * TR
  for (var q0 = q_begin; q0 < q_end; q0 += i32(KQ)) {
    for (var e = li; e < KQ * TR * 4u; e += threads) {
      let q = q0 + i32(e) / tile_r;
      let row = row0 + i32(e) % tile_r;
      var v = 0.0;
      if (q < q_end && row < rows) {
        let pair = pair_at(q);
        let c = c_begin + row / conv.taps;
        let g = c / conv.channels_per_offset_group;
        let entry = plan[sample_index(pair.x, g, row % conv.taps, pair.y)];
        v = bilinear(entry, pair.x * conv.input_n + (c - conv.first_channel) * conv.input_c);
      }
      column_tile[e] = v;
    }
    for (var e = li; e < KQ * TC * 4u; e += threads) {
      let q = q0 + i32(e) / tile_co;
      let co = co0 + i32(e) % tile_co;
      var v = 0.0;
      if (q < q_end && co < co_end) {
        let pair = pair_at(q);
        v = grad_output[pair.x * conv.output_n + co * conv.output_c + pair.y * conv.output_p];
      }
      grad_tile[e] = v;
    }
    workgroupBarrier();
    for (var k = 0u; k < KQ; k++) {
      let a = vec4<f32>(column_tile[k * TR * 4u + lid.x], column_tile[k * TR * 4u + lid.x + TR],
                        column_tile[k * TR * 4u + lid.x + 2u * TR], column_tile[k * TR * 4u + lid.x + 3u * TR]);
      let w = k * TC * 4u + lid.y;
      acc[0] += grad_tile[w] * a;
      acc[1] += grad_tile[w + TC] * a;
      acc[2] += grad_tile[w + 2u * TC] * a;
      acc[3] += grad_tile[w + 3u * TC] * a;
    }
    workgroupBarrier();
  }

  for (var i = 0; i < 4; i++) {
    let co = co0 + i32(lid.y) + i * i32(TC);
    if (co >= co_end) {
      continue;
    }
    for (var j = 0; j < 4; j++) {
      let row = row0 + i32(lid.x) + j * i32(TR);
      if (row < rows) {
        let c_in_group = c_begin + row / conv.taps - group * conv.in_per_group;
        let at = (co * conv.in_per_group + c_in_group) * conv.taps + row % conv.taps;
        partials[i32(wid.z) * conv.weight_elements + at] = acc[i][j];
      }
    }
  }
}

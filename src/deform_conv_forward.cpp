// Forward pass pipeline (one call):
//   1. pack the weights once, the panels shared out over the threads: GEMM panels of NR output channels
//      (bias first), or for a depthwise layer a (taps, C) table and the bias; a caller that runs the same
//      layer again and again packs once (pack_forward_weights) and hands the packed weights in instead;
//   2. channels-last input: an NCHW input that is not already channels-last in memory is copied to NHWC
//      (native callers; the JS layer writes the input channels-last while copying it in, so a WebAssembly
//      call never holds a second copy of the input). A row of zeros serves every corner outside the image;
//   3. split the output pixels of every image into tiles of at most kMaxTilePixels and, when that gives too
//      few work items to keep every thread busy to the end (a small image, a batch of one), the output
//      channels of each tile into slices (whole weight groups, or parts of one group's panels), then make
//      the tiles smaller if need be; hand the (tile, slice) items to the thread pool; per item:
//      a. sampling plan: four corner pointers and four weights per (offset group, tap, pixel), for the
//         offset groups of the slice's input channels;
//      b. GEMM path, for every weight group of the slice and every K block (a run of about kBlockDepth
//         reduction indices kk = tap * C_in/groups + c'; several whole groups in one block when each
//         group's reduction is short, see merged_groups):
//           gather: the block's columns col[pixel][kk] = bilinear samples, each plan entry applied to a run
//                   of channels of its offset group with the vector gather kernel (the run of a merged block
//                   spans its groups, each group's chunk written to that group's columns), MR pixels at a
//                   time, then interleaved into the GEMM's packed layout (A(r, kk) at kk * MR + r);
//           GEMM:   for every panel of NR output channels of the slice (its K-block part stays in L1) and
//                   every MR-row tile of pixels: the micro-kernel, from the bias in the first block, adding
//                   to the stored partial sums in the others;
//         depthwise path (C_in/groups == C_out/groups == 1): the fused kernel per pixel and channel run;
//      c. store: NHWC output is written in place; NCHW output is transposed from the tile.
// Every output value is summed in the same order however the work is cut, so the results do not depend on
// the number of threads.
// Temporary memory is bounded by threads x (plan + one K block of columns + one output tile), plus the
// packed weights and (native NCHW input only) the NHWC copy: never an im2col buffer of the whole image.
#include "deform_conv_forward.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "arch.h"
#include "buffer.h"
#include "channel_runs.h"
#include "checked_math.h"
#include "empty_output.h"
#include "kernels/f32_bilinear_depthwise.h"
#include "kernels/f32_bilinear_gather.h"
#include "kernels/f32_bilinear_gather_chunks.h"
#include "kernels/f32_gemm_kblock.h"
#include "kernels/f32_interleave_rows.h"
#include "layout_transpose.h"
#include "sampling_plan.h"
#include "weight_packing.h"

namespace dcn {
namespace {

// Output pixels per tile: the tile's partial sums (pixels x C_out) and one K block of its columns
// (pixels x kBlockDepth) stay in L2 (384 KB at C_out = 512) while the packed weights stream past; every
// tile reads all packed weights once, so larger tiles read them less often (64 pixels ran 5% slower than 128
// on a 512-channel layer).
constexpr int64_t kMaxTilePixels = 128;
// Reduction indices per K block: kBlockDepth x NR floats of a weight panel (16 KB for NR = 8) stay in L1
// while every row tile of the pixel tile uses them (512 ran 2-5% faster than 256 in WebAssembly: fewer
// passes over the partial sums).
constexpr int64_t kBlockDepth = 512;
// Work items per thread from which the dynamic schedule evens the load out by itself: a thread that starts
// late or runs slower (another process, the garbage collector of a JS engine) then costs the others at most
// a small item at the end. With fewer items, tiles are sliced by output channels, and the item count is
// rounded up to a multiple of the thread count.
constexpr int64_t kBalancedTilesPerThread = 8;
// Output channels a slice keeps at least. Every slice builds its tile's sampling plan again (for the offset
// groups it reads); against the GEMM of 128 output channels that is about 2%. A slice that holds part of a
// weight group also gathers, interleaves and stores that group's columns again, about 7 instructions per
// column value (SSE4.1 count) against 0.7 per value and output channel for the GEMM: parts keep 256, and a
// group is cut into parts only when there are fewer items than threads otherwise (at 2 threads, halving the
// two tiles of a 512-channel 14x14 layer cost 1.5% more instructions and about 3% more time on a quiet
// machine, more than the finer items gained).
constexpr int64_t kMinSliceChannels = 128;
constexpr int64_t kMinPartChannels = 256;

constexpr int64_t kMR = static_cast<int64_t>(kGemmMR);
constexpr int64_t kNR = static_cast<int64_t>(kGemmNR);

// A piece of one K block's column row that one gather call fills: channels [channel, channel + channels)
// of one tap, all of one offset group, in chunks of `chunk` channels (one chunk, except in a block of merged
// groups, where each group's channels are a chunk), the first written at column `column` of the block and
// each next one the block's depth further.
struct Segment {
  int64_t offset_group;
  int64_t tap;
  int64_t channel;  // absolute input channel
  int64_t channels;
  int64_t column;
  int64_t chunk;
};

// A contiguous range [k0, k0 + depth) of the reduction index of weight group `group`, or (groups > 1) the
// whole reductions (k0 = 0, depth = taps * C_in/groups) of weight groups [group, group + groups), group j's
// columns at [j * depth, (j + 1) * depth) of the block; cut into segments[first_segment, first_segment +
// segment_count) of the call's segment list.
struct KBlock {
  int64_t group;
  int64_t groups;
  int64_t k0;
  int64_t depth;
  int64_t first_segment;
  int64_t segment_count;
};

// Weight groups gathered together, `merged_groups(p)` whole groups per K block: the largest divisor of the
// group count whose reductions fit one block, when the offset groups' boundaries fall on weight-group
// boundaries (a run then never splits a group); 1 otherwise. With C_in/groups = 2, a gather call per group
// and tap computed 2 channels and spent most of its time on the plan lookup and the call: 64 channels in 32
// groups took 56M instructions per call, merged 13M; 16 groups of 4, 20M and 16M (SSE4.1 build, callgrind).
// The GEMM still runs each group on its own weights: a sample of one group never meets another group's
// weights, not even as 0 * NaN (merging groups into one with block-diagonal weights would: 0 * NaN is NaN).
int64_t merged_groups(const ConvParams& p) {
  const int64_t cg_in = p.in_channels_per_group(), reduction = p.taps() * cg_in;
  if (is_depthwise(p) || p.channels_per_offset_group() % cg_in != 0) return 1;
  for (int64_t m = std::min(p.groups, kBlockDepth / reduction); m > 1; --m) {
    if (p.groups % m == 0) return m;
  }
  return 1;
}

// K blocks per unit of merged_groups(p) weight groups.
int64_t block_count(const ConvParams& p) {
  if (merged_groups(p) > 1) return 1;
  const int64_t reduction = p.taps() * p.in_channels_per_group();
  return (reduction + kBlockDepth - 1) / kBlockDepth;
}

// The work lists of a call: K blocks and their segments (GEMM path) or offset-group runs (depthwise path).
// Written into memory the call allocated with a check (buffer.h), so building them cannot abort the module.
struct WorkLists {
  int64_t blocks = 0, segments = 0, runs = 0;  // entries
  int64_t bytes() const {
    return ((blocks * static_cast<int64_t>(sizeof(KBlock)) + 63) / 64 + (segments * static_cast<int64_t>(sizeof(Segment)) + 63) / 64 +
            (runs * static_cast<int64_t>(sizeof(ChannelRun)) + 63) / 64) * 64;
  }
};

// Splits every weight group's reduction into blocks of about equal depth (at most kBlockDepth), or puts
// merged_groups(p) whole groups in each block, and cuts each block into segments at tap and offset-group
// boundaries; with null pointers it only counts them.
void write_k_blocks(const ConvParams& p, KBlock* blocks, Segment* segments, WorkLists* count) {
  const int64_t cg_in = p.in_channels_per_group(), per_offset_group = p.channels_per_offset_group();
  const int64_t reduction = p.taps() * cg_in, merge = merged_groups(p);
  const auto add_segment = [&](KBlock& b, const Segment& s) {
    if (segments) segments[count->segments] = s;
    ++count->segments;
    ++b.segment_count;
  };
  count->blocks = count->segments = 0;
  if (merge > 1) {
    // Per tap, the channels of the block's groups in runs cut at offset-group boundaries (which fall on
    // group boundaries), each group's chunk at its tap's columns in its part of the block.
    for (int64_t gw = 0; gw < p.groups; gw += merge) {
      KBlock b{gw, merge, 0, reduction, count->segments, 0};
      for (int64_t tap = 0; tap < p.taps(); ++tap) {
        for (int64_t c = gw * cg_in, end = (gw + merge) * cg_in; c < end;) {
          const int64_t g = c / per_offset_group, channels = std::min(end, (g + 1) * per_offset_group) - c;
          add_segment(b, {g, tap, c, channels, (c / cg_in - gw) * reduction + tap * cg_in, cg_in});
          c += channels;
        }
      }
      if (blocks) blocks[count->blocks] = b;
      ++count->blocks;
    }
    return;
  }
  const int64_t depth = (reduction + block_count(p) - 1) / block_count(p);
  for (int64_t gw = 0; gw < p.groups; ++gw) {
    for (int64_t k0 = 0; k0 < reduction; k0 += depth) {
      KBlock b{gw, 1, k0, std::min(depth, reduction - k0), count->segments, 0};
      for (int64_t k = k0; k < k0 + b.depth;) {
        const int64_t tap = k / cg_in, c_local = k % cg_in, channel = gw * cg_in + c_local;
        const int64_t g = channel / per_offset_group;
        const int64_t channels = std::min({k0 + b.depth - k, cg_in - c_local, (g + 1) * per_offset_group - channel});
        add_segment(b, {g, tap, channel, channels, k - k0, channels});
        k += channels;
      }
      if (blocks) blocks[count->blocks] = b;
      ++count->blocks;
    }
  }
}

int64_t round64(int64_t bytes) { return (bytes + 63) / 64 * 64; }

// How the output channels of a tile are cut into work items, in units of the merged_groups(p) weight groups
// that share K blocks: slices of units_per_slice whole units, or (units_per_slice == 1) each unit's panels
// in slices_per_unit even parts.
struct Slicing {
  int64_t units_per_slice = 1;
  int64_t slices_per_unit = 1;
  int64_t slices(const ConvParams& p) const { return p.groups / merged_groups(p) / units_per_slice * slices_per_unit; }
};

// The slicing with the fewest slices of at least `wanted` (the most there are, if none has that many) whose
// slices keep kMinSliceChannels output channels each; parts of units (of kMinPartChannels) only to reach
// `needed` slices. One slice of every channel when none qualifies.
Slicing choose_slicing(const ConvParams& p, int64_t wanted, int64_t needed) {
  const int64_t merge = merged_groups(p), units = p.groups / merge;
  const int64_t unit_channels = merge * p.out_channels_per_group();
  Slicing best;  // one slice: every unit
  best.units_per_slice = units;
  if (is_depthwise(p) || wanted <= 1) return best;
  // Whole units: units_per_slice divides the unit count.
  for (int64_t per_slice = units; per_slice >= 1; --per_slice) {
    if (units % per_slice != 0 || per_slice * unit_channels < kMinSliceChannels) continue;
    best.units_per_slice = per_slice;
    if (units / per_slice >= wanted) return best;
  }
  if (best.slices(p) >= needed) return best;
  // Parts of every unit.
  const int64_t panels = merge * panels_per_group(p, kGemmNR);
  for (int64_t parts = 2; parts <= panels && unit_channels / parts >= kMinPartChannels; ++parts) {
    best.units_per_slice = 1;
    best.slices_per_unit = parts;
    if (units * parts >= needed) break;
  }
  return best;
}

// One work item's output channels: global panels [first_panel, end_panel) of the (group, panel) order of the
// packed weights, within weight groups [first_group, end_group) (whole units: their K blocks are gathered).
struct SliceRange {
  int64_t first_group, end_group, first_panel, end_panel;
};

SliceRange slice_range(const ConvParams& p, const Slicing& slicing, int64_t slice) {
  const int64_t merge = merged_groups(p), unit_panels = merge * panels_per_group(p, kGemmNR);
  if (slicing.slices_per_unit == 1) {
    const int64_t u0 = slice * slicing.units_per_slice, u1 = u0 + slicing.units_per_slice;
    return {u0 * merge, u1 * merge, u0 * unit_panels, u1 * unit_panels};
  }
  const int64_t u = slice / slicing.slices_per_unit, part = slice % slicing.slices_per_unit;
  return {u * merge, (u + 1) * merge, u * unit_panels + part * unit_panels / slicing.slices_per_unit,
          u * unit_panels + (part + 1) * unit_panels / slicing.slices_per_unit};
}

struct Tiling {
  int64_t tile_pixels;        // output pixels per tile (a multiple of MR unless it is the whole image)
  int64_t tiles_per_image;
  Slicing slicing;            // output-channel slices per tile (GEMM path)
  int64_t slices;
  int64_t plan_bytes;         // per thread
  int64_t column_floats;      // per thread: (tile + MR) x block depth (GEMM path only)
  int64_t out_tile_floats;    // per thread (NCHW output only)
  int64_t thread_bytes;       // per thread, all three, each rounded to 64 bytes
  int64_t input_copy_floats;  // NHWC copy of the input (NCHW input not already channels-last) plus a zero row
  int64_t packed_floats;
  WorkLists lists;            // entries of the work lists
};

// Chooses the tile and sizes every buffer; false if a size overflows.
bool choose_tiling(const ConvParams& p, int threads, bool input_channels_last, Tiling* t) {
  const int64_t pixels = p.out_pixels();
  int64_t tiles = std::max<int64_t>(1, (pixels + kMaxTilePixels - 1) / kMaxTilePixels);
  const int64_t wanted_items = kBalancedTilesPerThread * threads;
  const auto per_tile = [&](int64_t items) { return (items + p.batch * tiles - 1) / (p.batch * tiles); };
  t->slicing = choose_slicing(p, threads > 1 ? per_tile(wanted_items) : 1, threads > 1 ? per_tile(threads) : 1);
  t->slices = t->slicing.slices(p);
  if (threads > 1 && p.batch * tiles * t->slices < wanted_items) {
    while ((p.batch * tiles * t->slices) % threads != 0 && tiles < pixels) ++tiles;
  }
  int64_t tile = (pixels + tiles - 1) / tiles;
  if (tile < pixels) tile = std::min(pixels, (tile + kMR - 1) / kMR * kMR);
  t->tile_pixels = std::max<int64_t>(tile, 1);
  t->tiles_per_image = (pixels + t->tile_pixels - 1) / t->tile_pixels;

  const int64_t samples = checked_product({p.offset_groups, p.taps(), t->tile_pixels});
  t->plan_bytes = samples < 0 ? -1 : checked_mul(samples, sizeof(BilinearSample));
  if (is_depthwise(p)) {
    t->column_floats = 0;
  } else {
    const int64_t reduction = checked_mul(p.taps(), p.in_channels_per_group());
    const int64_t blocks = block_count(p);
    // The packed block (the tile rounded up to MR rows) plus MR row-major rows being gathered; a block of
    // merged groups is their whole reductions (at most kBlockDepth).
    const int64_t rows = (t->tile_pixels + kMR - 1) / kMR * kMR + kMR;
    const int64_t width = reduction < 0 ? -1 : merged_groups(p) * ((reduction + blocks - 1) / blocks);
    t->column_floats = width < 0 ? -1 : checked_mul(rows, width);
  }
  t->out_tile_floats = p.data_format == DataFormat::kNHWC ? 0 : checked_mul(t->tile_pixels, p.out_channels);
  if (t->plan_bytes < 0 || t->column_floats < 0 || t->out_tile_floats < 0) return false;
  const int64_t bytes = checked_add(round64(t->plan_bytes), round64(4 * t->column_floats));
  t->thread_bytes = bytes < 0 ? -1 : checked_add(bytes, round64(4 * t->out_tile_floats));
  const bool copy_input = p.data_format == DataFormat::kNCHW && !input_channels_last;
  t->input_copy_floats = checked_add(copy_input ? p.input_elements : 0, p.in_channels);
  t->packed_floats = is_depthwise(p) ? packed_depthwise_weight_floats(p) : packed_weight_floats(p, kGemmNR);
  t->lists = WorkLists();
  if (is_depthwise(p)) {
    t->lists.runs = write_offset_group_runs(p, nullptr);
  } else {
    write_k_blocks(p, nullptr, nullptr, &t->lists);
  }
  return t->thread_bytes >= 0 && t->input_copy_floats >= 0 && t->packed_floats >= 0;
}

// Step b of the GEMM path for one tile and slice: out (count rows, row stride C_out) = bias + columns x
// weights, for the output channels of the slice. blocks: the K blocks of the slice's weight groups.
void gemm_tile(const ConvParams& p, const KBlock* blocks, int64_t block_count, const Segment* segments,
               const SliceRange& slice, const BilinearSample* plan, int64_t count, const float* packed, float* col,
               float* out) {
  const int64_t taps = p.taps(), cg_out = p.out_channels_per_group(), Cout = p.out_channels;
  const int64_t panels = panels_per_group(p, kGemmNR), panel_floats = packed_panel_floats(p, kGemmNR);
  for (const KBlock* block_ptr = blocks; block_ptr != blocks + block_count; ++block_ptr) {
    const KBlock& block = *block_ptr;
    const Segment* const block_segments = segments + block.first_segment;
    // Gather the block's columns MR pixels at a time: pixel q's row holds the block's width columns
    // (row-major, in `rows`, which stays in L1), then the MR rows are interleaved into the GEMM's packed A
    // layout. Group j of a merged block has columns [j * depth, (j + 1) * depth).
    const int64_t depth = block.depth, width = block.groups * depth;
    float* rows = col + (count + kMR - 1) / kMR * kMR * width;
    for (int64_t row = 0; row < count; row += kMR) {
      const int64_t mr = std::min(kMR, count - row);
      for (int64_t i = 0; i < mr; ++i) {
        for (const Segment* s_ptr = block_segments; s_ptr != block_segments + block.segment_count; ++s_ptr) {
          const Segment& s = *s_ptr;
          const BilinearSample& e = plan[(s.offset_group * taps + s.tap) * count + row + i];
          const float *c0 = e.corner[0] + s.channel, *c1 = e.corner[1] + s.channel;
          const float *c2 = e.corner[2] + s.channel, *c3 = e.corner[3] + s.channel;
          if (s.chunk == s.channels) {
            kernels::f32_bilinear_gather<Arch>(static_cast<size_t>(s.channels), c0, c1, c2, c3, e.weight,
                                               rows + i * width + s.column);
          } else {
            kernels::f32_bilinear_gather_chunks<Arch>(static_cast<size_t>(s.channels / s.chunk),
                                                      static_cast<size_t>(s.chunk), c0, c1, c2, c3, e.weight,
                                                      rows + i * width + s.column, static_cast<size_t>(depth));
          }
        }
      }
      kernels::f32_interleave_rows<Arch, kGemmMR>(static_cast<size_t>(mr), static_cast<size_t>(width), rows,
                                                     static_cast<size_t>(width), col + row * width);
    }
    // Multiply it into the output tile, group by group and panel by panel (the slice's panels), each group
    // with its own weights.
    const bool first = block.k0 == 0;
    for (int64_t j = 0; j < block.groups; ++j) {
      const int64_t group = block.group + j;
      const int64_t first_panel = std::max(slice.first_panel - group * panels, int64_t{0});
      const int64_t end_panel = std::min(slice.end_panel - group * panels, panels);
      for (int64_t panel = first_panel; panel < end_panel; ++panel) {
        const float* weights = packed + (group * panels + panel) * panel_floats;  // bias, then K rows
        const float* b = weights + kNR + block.k0 * kNR;
        const int64_t co = group * cg_out + panel * kNR;
        const int64_t nc = std::min(kNR, (group + 1) * cg_out - co);
        for (int64_t row = 0; row < count; row += kMR) {
          const size_t mr = static_cast<size_t>(std::min(kMR, count - row));
          const float* a = col + row * width + j * depth * kMR;
          float* c = out + row * Cout + co;
          if (first) {
            kernels::f32_gemm_kblock<Arch, kGemmMR, kernels::GemmInit::kFromBias>(
                mr, static_cast<size_t>(nc), static_cast<size_t>(depth), a, b, weights, c, static_cast<size_t>(Cout));
          } else {
            kernels::f32_gemm_kblock<Arch, kGemmMR, kernels::GemmInit::kAccumulate>(
                mr, static_cast<size_t>(nc), static_cast<size_t>(depth), a, b, weights, c, static_cast<size_t>(Cout));
          }
        }
      }
    }
  }
}

// Step b of the depthwise path for one tile. packed: the (taps + 1, C) table, bias in its last row.
void depthwise_tile(const ConvParams& p, const ChannelRun* runs, int64_t run_count, const BilinearSample* plan,
                    int64_t count, const float* packed, float* out) {
  const int64_t taps = p.taps(), C = p.out_channels;
  const float* bias = p.has_bias ? packed + taps * C : nullptr;
  for (int64_t q = 0; q < count; ++q) {
    for (const ChannelRun* run_ptr = runs; run_ptr != runs + run_count; ++run_ptr) {
      const ChannelRun& run = *run_ptr;
      const int64_t c = run.first_channel;
      kernels::f32_bilinear_depthwise<Arch>(static_cast<size_t>(run.channels), static_cast<size_t>(taps),
                                            plan + run.offset_group * taps * count + q, static_cast<size_t>(count),
                                            static_cast<size_t>(c), packed + c, static_cast<size_t>(C),
                                            bias ? bias + c : nullptr, out + q * C + c);
    }
  }
}

// Step 1: the weights (and bias) in the layout the tiles read, a GEMM panel per work item, or the depthwise
// (taps, C) table.
void pack_layer_weights(const ConvParams& p, const float* weight, const float* bias, float* packed, ThreadPool& pool) {
  if (is_depthwise(p)) {
    pack_depthwise_weights(p, weight, bias, packed);
  } else {
    pool.parallel_for(p.groups * panels_per_group(p, kGemmNR), [&](int64_t panel, int) {
      pack_weight_panel(p, kGemmNR, panel, weight, bias, packed);
    });
  }
}

}  // namespace

int64_t forward_workspace_bytes(const ConvParams& p, int threads, bool input_channels_last) {
  if (has_empty_output(p)) return 0;
  Tiling t;
  if (!choose_tiling(p, threads, input_channels_last, &t)) return -1;
  // Every term is below 2^31 * 64, so the int64 sum is exact (bytes are not capped at 2^31 like elements).
  return t.thread_bytes * threads + round64(4 * t.input_copy_floats) + round64(4 * t.packed_floats) + t.lists.bytes();
}

int64_t forward_packed_weight_bytes(const ConvParams& p) {
  const int64_t floats = is_depthwise(p) ? packed_depthwise_weight_floats(p) : packed_weight_floats(p, kGemmNR);
  return floats < 0 ? -1 : round64(4 * floats);
}

Status pack_forward_weights(const ConvParams& p, const float* weight, const float* bias, float* packed,
                            ThreadPool& pool) {
  if (!weight || !packed || (p.has_bias && !bias)) {
    return Status::TypeError(!weight ? "pack_forward_weights: weight must be given"
                             : !packed ? "pack_forward_weights: the packed weights' memory must be given"
                                       : "pack_forward_weights: bias must be given");
  }
  pack_layer_weights(p, weight, bias, packed, pool);
  return Status::Ok();
}

Status deform_conv2d_forward(const ConvParams& p, const ForwardTensors& x, ThreadPool& pool) {
  if (has_empty_output(p)) return Status::Ok();
  const bool torch_mask = p.convention == Convention::kTorchvision && p.use_mask;
  // The input may be null when it is empty (height or width 0): every sample then reads the zero row.
  const char* missing = (!x.input && p.input_elements > 0) ? "input" : (!x.weight && !x.packed_weights) ? "weight" : !x.offset ? "offset" : !x.output ? "the output"
                        : (torch_mask && !x.mask) ? "mask" : (p.has_bias && !x.bias && !x.packed_weights) ? "bias" : nullptr;
  if (missing) return Status::TypeError(std::string("forward: ") + missing + " must be given");
  const int threads = pool.threads();
  const bool input_channels_last = p.data_format == DataFormat::kNHWC || x.input_channels_last;
  Tiling t;
  if (!choose_tiling(p, threads, input_channels_last, &t)) {
    return Status::RangeError("the forward pass would need more than 2^31 workspace elements for this shape");
  }
  // Every allocation of the call is one of these checked buffers (the thread pool allocates nothing), so
  // running out of memory is a Status, never an abort of the WebAssembly module.
  Buffer packed, input_copy, workspace, lists;
  const uint64_t workspace_bytes = static_cast<uint64_t>(t.thread_bytes) * static_cast<uint64_t>(threads);
  const bool allocated = (x.packed_weights || packed.allocate(4 * static_cast<uint64_t>(t.packed_floats))) &&
                         input_copy.allocate(4 * static_cast<uint64_t>(t.input_copy_floats)) &&
                         workspace.allocate(workspace_bytes) &&
                         lists.allocate(static_cast<uint64_t>(t.lists.bytes()));
  if (!allocated) {
    // Give the memory back before composing the message, which needs a little memory of its own.
    packed.release();
    input_copy.release();
    workspace.release();
    return Status::Internal("out of memory: the forward pass needs " +
                            std::to_string(forward_workspace_bytes(p, threads, input_channels_last)) +
                            " bytes of workspace beyond its inputs and output");
  }
  const bool depthwise = is_depthwise(p);

  // 1. Weights, a panel per work item (unless the caller packed them before).
  const float* packed_weights = x.packed_weights;
  if (!packed_weights) {
    pack_layer_weights(p, x.weight, x.bias, packed.as<float>(), pool);
    packed_weights = packed.as<float>();
  }

  // 2. Channels-last input with a zero row (after the copy, when there is one).
  const int64_t C = p.in_channels, HW = p.in_pixels(), N = p.batch;
  const float* image_base = x.input;
  float* zero_row = input_copy.as<float>();
  if (!input_channels_last) {
    float* nhwc = input_copy.as<float>();
    zero_row = nhwc + p.input_elements;
    for (int64_t n = 0; n < N; ++n) transpose_plane_parallel(x.input + n * C * HW, HW, C, HW, nhwc + n * HW * C, C, pool);
    image_base = nhwc;
  }
  std::memset(zero_row, 0, sizeof(float) * C);

  // 3. Tiles.
  // Work lists: [K blocks][segments] or [runs], each part 64-byte aligned.
  auto* blocks = lists.as<KBlock>();
  auto* segments = reinterpret_cast<Segment*>(lists.as<char>() + round64(t.lists.blocks * static_cast<int64_t>(sizeof(KBlock))));
  auto* runs = lists.as<ChannelRun>();
  WorkLists written;
  if (depthwise) {
    written.runs = write_offset_group_runs(p, runs);
  } else {
    write_k_blocks(p, blocks, segments, &written);
  }
  const OffsetView offsets = make_offset_view(p, x.offset, x.mask);
  const int64_t Cout = p.out_channels, pixels = p.out_pixels();
  const bool nhwc_out = p.data_format == DataFormat::kNHWC;

  // K blocks per unit of merged groups (merged_groups), and where a global panel's output channels begin and end.
  const int64_t merge = merged_groups(p), blocks_per_unit = depthwise ? 0 : block_count(p);
  const int64_t cg_in = p.in_channels_per_group(), cg_out = p.out_channels_per_group();
  const int64_t per_offset_group = p.channels_per_offset_group(), panels = panels_per_group(p, kGemmNR);
  const auto panel_start = [&](int64_t gp) { return gp / panels * cg_out + gp % panels * kNR; };
  const auto panel_end = [&](int64_t gp) { return std::min(panel_start(gp) + kNR, (gp / panels + 1) * cg_out); };
  // Items (image, tile, slice), the slices of a tile next to each other: threads taking them at the same
  // time read the same part of the image and the offsets.
  pool.parallel_for(N * t.tiles_per_image * t.slices, [&](int64_t item, int thread) {
    const int64_t slice_index = item % t.slices, tile = item / t.slices;
    const int64_t n = tile / t.tiles_per_image;
    const int64_t first = (tile % t.tiles_per_image) * t.tile_pixels;
    const int64_t count = std::min(t.tile_pixels, pixels - first);
    char* mine = workspace.as<char>() + static_cast<uint64_t>(thread) * t.thread_bytes;
    auto* plan = reinterpret_cast<BilinearSample*>(mine);
    float* col = reinterpret_cast<float*>(mine + round64(t.plan_bytes));
    float* out_tile = reinterpret_cast<float*>(mine + round64(t.plan_bytes) + round64(4 * t.column_floats));
    float* out = nhwc_out ? x.output + (n * pixels + first) * Cout : out_tile;

    // The slice's weight groups, their input channels' offset groups and their output channels.
    const SliceRange slice = depthwise ? SliceRange{0, p.groups, 0, 0} : slice_range(p, t.slicing, slice_index);
    const int64_t first_offset_group = slice.first_group * cg_in / per_offset_group;
    const int64_t end_offset_group = (slice.end_group * cg_in - 1) / per_offset_group + 1;
    // a. Plan.
    build_sampling_plan(p, offsets, n, first, count, first_offset_group, end_offset_group, image_base + n * HW * C,
                        zero_row, plan);
    // b. Columns and GEMM, or the depthwise kernel.
    int64_t first_channel = 0, end_channel = Cout;
    if (depthwise) {
      depthwise_tile(p, runs, written.runs, plan, count, packed_weights, out);
    } else {
      gemm_tile(p, blocks + slice.first_group / merge * blocks_per_unit,
                (slice.end_group - slice.first_group) / merge * blocks_per_unit, segments, slice, plan, count,
                packed_weights, col, out);
      first_channel = panel_start(slice.first_panel);
      end_channel = panel_end(slice.end_panel - 1);
    }
    // c. Store (NCHW): output[n][co][first + q] = out_tile[q][co] for the slice's channels.
    if (!nhwc_out) {
      transpose_plane(out_tile + first_channel, Cout, count, end_channel - first_channel,
                      x.output + (n * Cout + first_channel) * pixels + first, pixels);
    }
  });
  return Status::Ok();
}

}  // namespace dcn

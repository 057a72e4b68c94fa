// Forward pass pipeline (one call):
//   1. pack the weights into GEMM panels (bias first), once;
//   2. bring the input to channels-last (NHWC) with a row of zeros after it, unless it already is;
//   3. split the output pixels of every image into tiles and hand the tiles to the thread pool; per tile:
//      a. sampling plan: four corner pointers and four weights per (offset group, tap, pixel);
//      b. gather: column tile col[pixel][weight group][tap][channel] = bilinear sample, each plan entry
//         applied to all channels of its offset group with the vector gather kernel;
//      c. GEMM: out[pixel][C_out] = bias + col x packed weights, per weight group, MR x NR register tiles;
//      d. store: NHWC output is written in place by the GEMM; NCHW output is transposed from the tile.
// Temporary memory is bounded by the tile (plus the NHWC copy of an NCHW input), never an im2col buffer of
// the whole image.
#include "deform_conv_forward.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "arch.h"
#include "buffer.h"
#include "channel_runs.h"
#include "checked_math.h"
#include "kernels/f32_bilinear_gather.h"
#include "kernels/f32_gemm_bias.h"
#include "layout_transpose.h"
#include "sampling_plan.h"
#include "weight_packing.h"

namespace dcn {
namespace {

// Column-tile budget per thread: 256 Ki floats (1 MiB), about the L2 cache of one core.
constexpr int64_t kColumnBudgetFloats = 256 * 1024;
constexpr int64_t kMaxTilePixels = 256;
// Keep at least this many tiles per thread so the dynamic schedule can even out uneven tiles.
constexpr int64_t kMinTilesPerThread = 4;

struct Tiling {
  int64_t tile_pixels;      // output pixels per tile (a multiple of MR, or all of them)
  int64_t tiles_per_image;
  int64_t plan_bytes;       // per thread
  int64_t column_floats;    // per thread
  int64_t out_tile_floats;  // per thread (NCHW output only)
  int64_t thread_bytes;     // per thread, all three, each rounded to 64 bytes
  int64_t input_copy_floats;  // NHWC copy of the input plus a zero row (or just the zero row)
  int64_t packed_floats;
  int64_t channel_runs;       // entries of the channel-run list (channel_runs.h)
};

int64_t round64(int64_t bytes) { return (bytes + 63) / 64 * 64; }

// Chooses the tile and sizes every buffer; false if a size overflows.
bool choose_tiling(const ConvParams& p, int threads, Tiling* t) {
  const int64_t mr = static_cast<int64_t>(kGemmMR);
  const int64_t row_floats = checked_mul(p.taps(), p.in_channels);  // one pixel's column row
  if (row_floats < 0) return false;
  int64_t tile = std::clamp<int64_t>(kColumnBudgetFloats / std::max<int64_t>(row_floats, 1) / mr * mr, mr, kMaxTilePixels);
  tile = std::min(tile, (p.out_pixels() + mr - 1) / mr * mr);
  const int64_t want_tiles = kMinTilesPerThread * threads;
  while (tile > mr && p.batch * ((p.out_pixels() + tile - 1) / tile) < want_tiles) {
    tile = std::max(mr, (tile / 2 + mr - 1) / mr * mr);
  }
  t->tile_pixels = tile;
  t->tiles_per_image = (p.out_pixels() + tile - 1) / tile;
  const int64_t samples = checked_product({p.offset_groups, p.taps(), tile});
  t->plan_bytes = samples < 0 ? -1 : checked_mul(samples, sizeof(BilinearSample));
  t->column_floats = checked_mul(tile, row_floats);
  t->out_tile_floats = p.data_format == DataFormat::kNHWC ? 0 : checked_mul(tile, p.out_channels);
  if (t->plan_bytes < 0 || t->column_floats < 0 || t->out_tile_floats < 0) return false;
  int64_t bytes = checked_add(round64(t->plan_bytes), round64(4 * t->column_floats));
  t->thread_bytes = bytes < 0 ? -1 : checked_add(bytes, round64(4 * t->out_tile_floats));
  t->input_copy_floats = checked_add(p.data_format == DataFormat::kNHWC ? 0 : p.input_elements, p.in_channels);
  t->packed_floats = packed_weight_floats(p, kGemmNR);
  t->channel_runs = write_channel_runs(p, nullptr);
  return t->thread_bytes >= 0 && t->input_copy_floats >= 0 && t->packed_floats >= 0;
}

}  // namespace

int64_t forward_workspace_bytes(const ConvParams& p, int threads) {
  Tiling t;
  if (!choose_tiling(p, threads, &t)) return -1;
  // Every term is below 2^31 * 64, so the int64 sum is exact (bytes are not capped at 2^31 like elements).
  return t.thread_bytes * threads + round64(4 * t.input_copy_floats) + round64(4 * t.packed_floats) +
         round64(t.channel_runs * static_cast<int64_t>(sizeof(ChannelRun)));
}

Status deform_conv2d_forward(const ConvParams& p, const ForwardTensors& x, ThreadPool& pool) {
  const bool torch_mask = p.convention == Convention::kTorchvision && p.use_mask;
  const char* missing = !x.input ? "input" : !x.weight ? "weight" : !x.offset ? "offset" : !x.output ? "the output"
                        : (torch_mask && !x.mask) ? "mask" : (p.has_bias && !x.bias) ? "bias" : nullptr;
  if (missing) return Status::TypeError(std::string("forward: ") + missing + " must be given");
  const int threads = pool.threads();
  Tiling t;
  if (!choose_tiling(p, threads, &t)) {
    return Status::RangeError("the forward pass would need more than 2^31 workspace elements for this shape");
  }
  // Every allocation of the call is one of these checked buffers (the thread pool allocates nothing), so
  // running out of memory is a Status, never an abort of the WebAssembly module.
  Buffer packed, input_copy, workspace, run_list;
  const uint64_t workspace_bytes = static_cast<uint64_t>(t.thread_bytes) * static_cast<uint64_t>(threads);
  const bool allocated = packed.allocate(4 * static_cast<uint64_t>(t.packed_floats)) &&
                         input_copy.allocate(4 * static_cast<uint64_t>(t.input_copy_floats)) &&
                         workspace.allocate(workspace_bytes) &&
                         run_list.allocate(static_cast<uint64_t>(t.channel_runs) * sizeof(ChannelRun));
  if (!allocated) {
    // Give the memory back before composing the message, which needs a little memory of its own.
    packed.release();
    input_copy.release();
    workspace.release();
    return Status::Internal("out of memory: the forward pass needs " +
                            std::to_string(forward_workspace_bytes(p, threads)) +
                            " bytes of workspace beyond its inputs and output");
  }

  // 1. Weights.
  pack_weights(p, kGemmNR, x.weight, x.bias, packed.as<float>());

  // 2. Channels-last input with a zero row after it (the target of corners outside the image).
  const int64_t C = p.in_channels, HW = p.in_pixels(), N = p.batch;
  const float* image_base = x.input;
  float* zero_row = input_copy.as<float>();
  if (p.data_format == DataFormat::kNCHW) {
    float* nhwc = input_copy.as<float>();
    zero_row = nhwc + p.input_elements;
    constexpr int64_t kChannelBlock = 32;
    const int64_t blocks = (C + kChannelBlock - 1) / kChannelBlock;
    pool.parallel_for(N * blocks, [&](int64_t item, int) {
      const int64_t n = item / blocks, c0 = (item % blocks) * kChannelBlock;
      const int64_t channels = std::min(kChannelBlock, C - c0);
      transpose_plane(x.input + (n * C + c0) * HW, HW, channels, HW, nhwc + n * HW * C + c0, C);
    });
    image_base = nhwc;
  }
  std::memset(zero_row, 0, sizeof(float) * C);

  // 3. Tiles.
  ChannelRun* const runs = run_list.as<ChannelRun>();
  const ChannelRun* const runs_end = runs + write_channel_runs(p, runs);
  const OffsetView offsets = make_offset_view(p, x.offset, x.mask);
  const int64_t taps = p.taps(), cg_in = p.in_channels_per_group(), cg_out = p.out_channels_per_group();
  const int64_t col_stride = taps * C;      // floats per pixel row of the column tile
  const int64_t reduction = taps * cg_in;   // GEMM depth per weight group
  const int64_t panels = panels_per_group(p, kGemmNR), panel_floats = packed_panel_floats(p, kGemmNR);
  const int64_t Cout = p.out_channels, pixels = p.out_pixels();
  const int64_t mr = static_cast<int64_t>(kGemmMR), nr = static_cast<int64_t>(kGemmNR);

  pool.parallel_for(N * t.tiles_per_image, [&](int64_t item, int thread) {
    const int64_t n = item / t.tiles_per_image;
    const int64_t first = (item % t.tiles_per_image) * t.tile_pixels;
    const int64_t count = std::min(t.tile_pixels, pixels - first);
    char* mine = workspace.as<char>() + static_cast<uint64_t>(thread) * t.thread_bytes;
    auto* plan = reinterpret_cast<BilinearSample*>(mine);
    float* col = reinterpret_cast<float*>(mine + round64(t.plan_bytes));
    float* out_tile = reinterpret_cast<float*>(mine + round64(t.plan_bytes) + round64(4 * t.column_floats));
    const float* image = image_base + n * HW * C;

    // a. Plan.
    build_sampling_plan(p, offsets, n, first, count, image, zero_row, plan);

    // b. Gather.
    for (int64_t q = 0; q < count; ++q) {
      float* col_row = col + q * col_stride;
      for (const ChannelRun* run_ptr = runs; run_ptr != runs_end; ++run_ptr) {
        const ChannelRun& run = *run_ptr;
        const int64_t c_local = run.first_channel - run.weight_group * cg_in;
        float* dst = col_row + run.weight_group * reduction + c_local;
        const BilinearSample* sample = plan + run.offset_group * taps * count + q;
        for (int64_t tap = 0; tap < taps; ++tap, sample += count, dst += cg_in) {
          const int64_t c = run.first_channel;
          kernels::f32_bilinear_gather<Arch>(static_cast<size_t>(run.channels), sample->corner[0] + c,
                                             sample->corner[1] + c, sample->corner[2] + c, sample->corner[3] + c,
                                             sample->weight, dst);
        }
      }
    }

    // c. GEMM, panel by panel so a panel of packed weights stays in cache across the rows of the tile.
    const bool nhwc_out = p.data_format == DataFormat::kNHWC;
    float* out = nhwc_out ? x.output + (n * pixels + first) * Cout : out_tile;
    for (int64_t gw = 0; gw < p.groups; ++gw) {
      for (int64_t panel = 0; panel < panels; ++panel) {
        const float* weights = packed.as<float>() + (gw * panels + panel) * panel_floats;
        const int64_t co = gw * cg_out + panel * nr;
        const int64_t nc = std::min(nr, (gw + 1) * cg_out - co);
        for (int64_t row = 0; row < count; row += mr) {
          kernels::f32_gemm_bias<Arch, kGemmMR>(static_cast<size_t>(std::min(mr, count - row)),
                                                static_cast<size_t>(nc), static_cast<size_t>(reduction),
                                                col + row * col_stride + gw * reduction,
                                                static_cast<size_t>(col_stride), weights, out + row * Cout + co,
                                                static_cast<size_t>(Cout));
        }
      }
    }

    // d. Store (NCHW): output[n][co][first + q] = out_tile[q][co].
    if (!nhwc_out) transpose_plane(out_tile, Cout, count, Cout, x.output + n * Cout * pixels + first, pixels);
  });
  return Status::Ok();
}

}  // namespace dcn

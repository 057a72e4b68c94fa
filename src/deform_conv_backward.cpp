// Backward pass pipeline (one call), the forward's tiles run in reverse:
//   1. pack the weights transposed (panels over the reduction index kk = tap * C_in/groups + c'), once;
//   2. for every image n:
//      a. bring image n to channels-last (NHWC) unless it already is; a row of zeros serves outside corners;
//      b. split its output pixels into tiles and hand them to the thread pool; per tile:
//         - grad_output tile go[pixel][C_out] (NCHW is transposed into the tile; NHWC is read in place),
//           summed into the thread's grad_bias;
//         - gradient plan: the forward's samples, plus where grad_input goes and the coefficients of the
//           offset and mask gradients (sampling_plan.h);
//         - columns col[pixel][weight group][tap][channel], exactly the forward's, and
//           grad_weight[co][kk] += go^T x col (GEMM over the pixels of the tile, into the thread's copy);
//         - column gradient d_col = go x W (GEMM over C_out/groups), written over col;
//         both GEMMs run the forward's micro-kernel (kernels/f32_gemm_kblock.h) on operands packed for it:
//         go interleaved MR pixels wide (d_col) and MR output channels wide (grad_weight), and each NR-wide
//         panel of the columns copied out (grad_weight's B) just before its turn;
//         - scatter-dot: per (pixel, offset group, tap) and run of channels, grad_input corner rows
//           += weight * d_col, and four dot products d_col . corner that give grad_dy, grad_dx and grad_mask,
//           written straight to grad_offset / grad_mask (each pixel belongs to one tile: no conflict);
//      c. reduce the threads' grad_input accumulators of image n into grad_input (NHWC or NCHW).
//   3. reduce the threads' grad_weight (back to (C_out, C_in/groups, kh, kw) order) and grad_bias.
// grad_input is made without data races and without atomics: each thread scatters into its own
// accumulator of ONE image (H*W*C_in floats plus a sink row), and step 2c sums them. Temporary memory is
// therefore bounded by threads x (one image + one tile + one weight tensor), never an im2col buffer of the
// whole image nor a copy of the whole batch. With several threads, which thread takes which tile varies from
// run to run, so grad_input, grad_weight and grad_bias may differ in the last bits between runs (the
// per-pixel grad_offset and grad_mask do not).
#include "deform_conv_backward.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "arch.h"
#include "buffer.h"
#include "channel_runs.h"
#include "checked_math.h"
#include "empty_output.h"
#include "kernels/f32_bilinear_gather.h"
#include "kernels/f32_bilinear_scatter_dot.h"
#include "kernels/f32_gemm_kblock.h"
#include "kernels/f32_interleave_rows.h"
#include "layout_transpose.h"
#include "sampling_plan.h"
#include "weight_packing.h"

namespace dcn {
namespace {

// Tile budget per thread (columns + plan + grad_output tile): half the L2 cache of one core, so the tile
// stays there next to the weights and the accumulator rows it touches (1 MiB measured no faster).
constexpr int64_t kTileBudgetBytes = 512 * 1024;
constexpr int64_t kMaxTilePixels = 256;
// With several threads, keep at least this many tiles per thread and image so the dynamic schedule can even
// out uneven tiles (one thread takes whole images as one tile when they fit).
constexpr int64_t kMinTilesPerThread = 4;
// Pixels per work item of the grad_input reduction.
constexpr int64_t kReducePixels = 64;

int64_t round64(int64_t bytes) { return (bytes + 63) / 64 * 64; }

struct Tiling {
  int64_t tile_pixels;         // output pixels per tile (a multiple of MR, or all of them)
  int64_t tiles_per_image;
  int64_t plan_bytes;          // per thread: G * taps * tile gradient samples
  int64_t column_floats;       // per thread: tile * taps * C_in, plus NR floats the GEMM may read past the end
  int64_t grad_out_floats;     // per thread (NCHW only): tile * C_out
  int64_t grad_weight_floats;  // per thread: C_out * taps * C_in/groups
  int64_t grad_bias_floats;    // per thread: C_out (0 without bias)
  int64_t accumulator_floats;  // per thread: (H*W + 1) * C_in, grad_input of one image and the sink row
  int64_t go_rows_floats;      // per thread: the go tile interleaved MR pixels wide (d_col's A)
  int64_t go_cols_floats;      // per thread: the go tile interleaved MR output channels wide (grad_weight's A)
  int64_t col_panel_floats;    // per thread: one NR-wide panel of the columns (grad_weight's B)
  int64_t thread_bytes;        // per thread, all of the above, each rounded to 64 bytes
  int64_t image_floats;        // shared: NHWC copy of one image (NCHW only) and a zero row
  int64_t packed_floats;       // shared: transposed packed weights
};

// Chooses the tile and sizes every buffer; false if a size overflows.
bool choose_tiling(const ConvParams& p, int threads, Tiling* t) {
  const int64_t mr = static_cast<int64_t>(kGemmMR), nr = static_cast<int64_t>(kGemmNR);
  const int64_t row_floats = checked_mul(p.taps(), p.in_channels);  // one pixel's column row
  const int64_t samples_per_pixel = checked_mul(p.offset_groups, p.taps());
  if (row_floats < 0 || samples_per_pixel < 0) return false;
  const double pixel_bytes = 4.0 * row_floats + static_cast<double>(sizeof(BilinearGradSample)) * samples_per_pixel +
                             (p.data_format == DataFormat::kNCHW ? 4.0 * p.out_channels : 0.0);
  const int64_t fit = static_cast<int64_t>(std::min<double>(kMaxTilePixels, kTileBudgetBytes / pixel_bytes));
  int64_t tile = std::max(mr, fit / mr * mr);
  tile = std::min(tile, (p.out_pixels() + mr - 1) / mr * mr);
  const int64_t want_tiles = threads > 1 ? kMinTilesPerThread * threads : 1;
  while (tile > mr && (p.out_pixels() + tile - 1) / tile < want_tiles) {
    tile = std::max(mr, (tile / 2 + mr - 1) / mr * mr);
  }
  t->tile_pixels = tile;
  t->tiles_per_image = (p.out_pixels() + tile - 1) / tile;
  const int64_t samples = checked_mul(samples_per_pixel, tile);
  t->plan_bytes = samples < 0 ? -1 : checked_mul(samples, sizeof(BilinearGradSample));
  t->column_floats = checked_add(checked_mul(tile, row_floats), nr);
  t->grad_out_floats = p.data_format == DataFormat::kNHWC ? 0 : checked_mul(tile, p.out_channels);
  t->grad_weight_floats = p.weight_elements;
  t->grad_bias_floats = p.has_bias ? p.out_channels : 0;
  t->accumulator_floats = checked_mul(checked_add(p.in_pixels(), 1), p.in_channels);
  t->go_rows_floats = checked_mul(tile, p.out_channels);  // tile is a multiple of MR
  const int64_t co_tiles = checked_mul(p.groups, (p.out_channels_per_group() + mr - 1) / mr);
  t->go_cols_floats = checked_product({co_tiles, tile, mr});
  t->col_panel_floats = checked_mul(tile, nr);
  if (t->plan_bytes < 0 || t->column_floats < 0 || t->grad_out_floats < 0 || t->accumulator_floats < 0 ||
      t->go_rows_floats < 0 || t->go_cols_floats < 0 || t->col_panel_floats < 0) {
    return false;
  }
  int64_t bytes = round64(t->plan_bytes);
  for (int64_t floats : {t->column_floats, t->grad_out_floats, t->grad_weight_floats, t->grad_bias_floats,
                         t->accumulator_floats, t->go_rows_floats, t->go_cols_floats, t->col_panel_floats}) {
    bytes = checked_add(bytes, round64(4 * floats));
    if (bytes < 0) return false;
  }
  t->thread_bytes = bytes;
  const int64_t image = checked_mul(p.in_pixels(), p.in_channels);
  t->image_floats = checked_add(p.data_format == DataFormat::kNHWC ? 0 : image, p.in_channels);
  t->packed_floats = packed_transposed_weight_floats(p, kGemmNR);
  return image >= 0 && t->image_floats >= 0 && t->packed_floats >= 0;
}

// One thread's part of the workspace.
struct ThreadSpace {
  BilinearGradSample* plan;
  float* col;          // columns, then their gradient
  float* grad_out;     // NCHW grad_output tile
  float* grad_weight;  // [C_out][taps * C_in/groups], kk order
  float* grad_bias;
  float* accumulator;  // grad_input of the current image, NHWC, then the sink row
  float* go_rows;      // [pixel tile of MR][C_out][MR]: go[q][co] at (q / MR) * C_out * MR + co * MR + q % MR
  float* go_cols;      // [group][co tile of MR][pixel][MR]: go[q][co] for the MR channels of the co tile
  float* col_panel;    // [pixel][NR]: columns kk .. kk + NR of the tile
};

ThreadSpace thread_space(const Tiling& t, char* base) {
  ThreadSpace s;
  s.plan = reinterpret_cast<BilinearGradSample*>(base);
  char* at = base + round64(t.plan_bytes);
  auto take = [&](int64_t floats) {
    float* f = reinterpret_cast<float*>(at);
    at += round64(4 * floats);
    return f;
  };
  s.col = take(t.column_floats);
  s.grad_out = take(t.grad_out_floats);
  s.grad_weight = take(t.grad_weight_floats);
  s.grad_bias = take(t.grad_bias_floats);
  s.accumulator = take(t.accumulator_floats);
  s.go_rows = take(t.go_rows_floats);
  s.go_cols = take(t.go_cols_floats);
  s.col_panel = take(t.col_panel_floats);
  return s;
}

Status check_pointers(const ConvParams& p, const BackwardTensors& x) {
  const bool torch_mask = p.use_mask && p.convention == Convention::kTorchvision;
  const char* missing = !x.grad_output ? "gradOutput"
                        : (!x.input && p.input_elements > 0) ? "input"
                        : !x.weight ? "weight"
                        : !x.offset ? "offset"
                        : (torch_mask && !x.mask) ? "mask"
                        : (!x.grad_input && p.input_elements > 0) ? "the input gradient"
                        : !x.grad_offset ? "the offset gradient"
                        : (torch_mask && !x.grad_mask) ? "the mask gradient"
                        : !x.grad_weight ? "the weight gradient"
                        : (p.has_bias && !x.grad_bias) ? "the bias gradient"
                                                       : nullptr;
  if (missing) return Status::TypeError(std::string("backward: ") + missing + " must be given");
  return Status::Ok();
}

}  // namespace

int64_t backward_workspace_bytes(const ConvParams& p, int threads) {
  if (has_empty_output(p)) return 0;
  Tiling t;
  if (!choose_tiling(p, threads, &t)) return -1;
  const double total = static_cast<double>(t.thread_bytes) * threads + round64(4 * t.image_floats) +
                       round64(4 * t.packed_floats);
  return total > 9.0e15 ? -1 : static_cast<int64_t>(total);
}

Status deform_conv2d_backward(const ConvParams& p, const BackwardTensors& x, ThreadPool& pool) {
  if (has_empty_output(p)) return zero_gradients(p, x);
  Status status = check_pointers(p, x);
  if (!status.ok()) return status;
  const int threads = pool.threads();
  Tiling t;
  if (!choose_tiling(p, threads, &t)) {
    return Status::RangeError("the backward pass would need more than 2^31 workspace elements for this shape");
  }
  // The small bookkeeping vectors come first, while the memory the caller left free is still there (in
  // WebAssembly a failed operator new aborts the module); the large buffers are allocated with a check and
  // given back before the out-of-memory message is composed.
  const std::vector<ChannelRun> runs = channel_runs(p);
  std::vector<size_t> group_runs(static_cast<size_t>(p.offset_groups) + 1, runs.size());  // runs of g: [g], [g+1])
  for (size_t r = runs.size(); r-- > 0;) group_runs[static_cast<size_t>(runs[r].offset_group)] = r;
  std::vector<char> touched(static_cast<size_t>(threads));
  Buffer packed, image_copy, workspace;
  const uint64_t workspace_bytes = static_cast<uint64_t>(t.thread_bytes) * static_cast<uint64_t>(threads);
  if (!packed.allocate(4 * static_cast<uint64_t>(t.packed_floats)) ||
      !image_copy.allocate(4 * static_cast<uint64_t>(t.image_floats)) || !workspace.allocate(workspace_bytes)) {
    packed.release();
    image_copy.release();
    workspace.release();
    return Status::Internal("out of memory: the backward pass needs " +
                            std::to_string(backward_workspace_bytes(p, threads)) +
                            " bytes of workspace beyond its inputs and gradients");
  }
  auto space = [&](int thread) { return thread_space(t, workspace.as<char>() + static_cast<uint64_t>(thread) * t.thread_bytes); };

  // 1. Weights, and every per-thread sum starting from zero (the columns too, so that the GEMM's reads past
  //    a row only ever see initialised floats).
  pack_weights_transposed(p, kGemmNR, x.weight, packed.as<float>());
  pool.parallel_for(threads, [&](int64_t thread, int) {
    const ThreadSpace s = space(static_cast<int>(thread));
    std::memset(s.col, 0, 4 * static_cast<size_t>(t.column_floats));
    std::memset(s.grad_weight, 0, 4 * static_cast<size_t>(t.grad_weight_floats));
    std::memset(s.grad_bias, 0, 4 * static_cast<size_t>(t.grad_bias_floats));
    std::memset(s.accumulator, 0, 4 * static_cast<size_t>(t.accumulator_floats));
  });

  const int64_t C = p.in_channels, HW = p.in_pixels(), N = p.batch, Cout = p.out_channels;
  const int64_t taps = p.taps(), cg_in = p.in_channels_per_group(), cg_out = p.out_channels_per_group();
  const int64_t col_stride = taps * C;     // floats per pixel row of the column tile
  const int64_t reduction = taps * cg_in;  // kk range of one weight group
  const int64_t panels = transposed_panels_per_group(p, kGemmNR), panel_floats = transposed_panel_floats(p, kGemmNR);
  const int64_t pixels = p.out_pixels();
  const int64_t mr = static_cast<int64_t>(kGemmMR), nr = static_cast<int64_t>(kGemmNR);
  const int64_t co_tiles_per_group = (cg_out + mr - 1) / mr;
  const bool nhwc = p.data_format == DataFormat::kNHWC;
  const bool mindspore = p.convention == Convention::kMindSpore;

  const OffsetView offsets = make_offset_view(p, x.offset, x.mask);
  // grad_offset (and grad_mask) have the strides of offset (and mask); MindSpore's mask block is in grad_offset.
  float* grad_mask_base = mindspore ? x.grad_offset : x.grad_mask;
  const int64_t mask_batch_stride = mindspore ? offsets.offset_batch_stride : offsets.mask_batch_stride;
  const int64_t mask_channel_stride = mindspore ? offsets.offset_channel_stride : offsets.mask_channel_stride;
  const int64_t mask_pixel_stride = mindspore ? offsets.offset_pixel_stride : offsets.mask_pixel_stride;
  const bool write_mask = p.use_mask || mindspore;

  float* zero_row = image_copy.as<float>() + (nhwc ? 0 : HW * C);
  std::memset(zero_row, 0, sizeof(float) * C);

  for (int64_t n = 0; n < N; ++n) {
    // 2a. Image n, channels-last.
    const float* image = x.input + n * HW * C;
    if (!nhwc) {
      float* copy = image_copy.as<float>();
      constexpr int64_t kChannelBlock = 32;
      const int64_t blocks = (C + kChannelBlock - 1) / kChannelBlock;
      pool.parallel_for(blocks, [&](int64_t block, int) {
        const int64_t c0 = block * kChannelBlock, channels = std::min(kChannelBlock, C - c0);
        transpose_plane(x.input + (n * C + c0) * HW, HW, channels, HW, copy + c0, C);
      });
      image = copy;
    }
    std::fill(touched.begin(), touched.end(), 0);

    // 2b. Tiles.
    pool.parallel_for(t.tiles_per_image, [&](int64_t item, int thread) {
      touched[static_cast<size_t>(thread)] = 1;
      const ThreadSpace s = space(thread);
      const int64_t first = item * t.tile_pixels;
      const int64_t count = std::min(t.tile_pixels, pixels - first);

      // grad_output tile and grad_bias.
      const float* go = x.grad_output + (n * pixels + first) * Cout;
      if (!nhwc) {
        transpose_plane(x.grad_output + n * Cout * pixels + first, pixels, Cout, count, s.grad_out, Cout);
        go = s.grad_out;
      }
      if (p.has_bias) {
        float* __restrict grad_bias = s.grad_bias;
        for (int64_t q = 0; q < count; ++q) {
          const float* __restrict row = go + q * Cout;
          for (int64_t co = 0; co < Cout; ++co) grad_bias[co] += row[co];
        }
      }

      // Plan and columns (as the forward's).
      float* sink = s.accumulator + HW * C;
      build_gradient_plan(p, offsets, n, first, count, image, zero_row, s.accumulator, sink, s.plan);
      for (int64_t q = 0; q < count; ++q) {
        float* col_row = s.col + q * col_stride;
        for (const ChannelRun& run : runs) {
          const int64_t c = run.first_channel;
          float* dst = col_row + run.weight_group * reduction + (c - run.weight_group * cg_in);
          const BilinearGradSample* e = s.plan + run.offset_group * taps * count + q;
          for (int64_t tap = 0; tap < taps; ++tap, e += count, dst += cg_in) {
            if (e->value_inside) {
              kernels::f32_bilinear_gather<Arch>(static_cast<size_t>(run.channels), e->corner[0] + c,
                                                 e->corner[1] + c, e->corner[2] + c, e->corner[3] + c, e->weight, dst);
            } else {
              std::fill(dst, dst + run.channels, e->weight[0]);
            }
          }
        }
      }

      // go packed for the micro-kernel twice: MR pixels wide (A of d_col, reduction over co) and MR output
      // channels wide (A of grad_weight, reduction over the pixels); rows past the last repeat it.
      for (int64_t row = 0; row < count; row += mr) {
        kernels::f32_interleave_rows<Arch, kGemmMR>(static_cast<size_t>(std::min(mr, count - row)),
                                                       static_cast<size_t>(Cout), go + row * Cout,
                                                       static_cast<size_t>(Cout), s.go_rows + row * Cout);
      }
      for (int64_t gw = 0; gw < p.groups; ++gw) {
        for (int64_t tile_co = 0; tile_co < co_tiles_per_group; ++tile_co) {
          const int64_t co0 = gw * cg_out + tile_co * mr, rows = std::min(mr, (gw + 1) * cg_out - co0);
          float* dst = s.go_cols + (gw * co_tiles_per_group + tile_co) * count * mr;
          for (int64_t q = 0; q < count; ++q) {
            const float* src = go + q * Cout + co0;
            for (int64_t r = 0; r < mr; ++r) dst[q * mr + r] = src[std::min(r, rows - 1)];
          }
        }
      }

      // grad_weight[co][kk] += sum over pixels q of go[q][co] * col[q][kk], per weight group: one NR-wide panel
      // of the columns at a time, copied out so that the kernel reads it as packed rows.
      for (int64_t gw = 0; gw < p.groups; ++gw) {
        for (int64_t kk = 0; kk < reduction; kk += nr) {
          const int64_t nc = std::min(nr, reduction - kk);
          for (int64_t q = 0; q < count; ++q) {
            std::memcpy(s.col_panel + q * nr, s.col + q * col_stride + gw * reduction + kk, 4 * static_cast<size_t>(nr));
          }
          for (int64_t tile_co = 0; tile_co < co_tiles_per_group; ++tile_co) {
            const int64_t co0 = gw * cg_out + tile_co * mr;
            kernels::f32_gemm_kblock<Arch, kGemmMR, kernels::GemmInit::kAccumulate>(
                static_cast<size_t>(std::min(mr, (gw + 1) * cg_out - co0)), static_cast<size_t>(nc),
                static_cast<size_t>(count), s.go_cols + (gw * co_tiles_per_group + tile_co) * count * mr, s.col_panel,
                nullptr, s.grad_weight + co0 * reduction + kk, static_cast<size_t>(reduction));
          }
        }
      }

      // d_col[q][kk] = sum over co of go[q][co] * W[co][kk], per weight group, over the columns.
      for (int64_t gw = 0; gw < p.groups; ++gw) {
        for (int64_t panel = 0; panel < panels; ++panel) {
          const float* weights = packed.as<float>() + (gw * panels + panel) * panel_floats;  // NR zeros, then W^T rows
          const int64_t kk = panel * nr, nc = std::min(nr, reduction - kk);
          for (int64_t row = 0; row < count; row += mr) {
            kernels::f32_gemm_kblock<Arch, kGemmMR, kernels::GemmInit::kFromBias>(
                static_cast<size_t>(std::min(mr, count - row)), static_cast<size_t>(nc), static_cast<size_t>(cg_out),
                s.go_rows + row * Cout + gw * cg_out * mr, weights + nr, weights,
                s.col + row * col_stride + gw * reduction + kk, static_cast<size_t>(col_stride));
          }
        }
      }

      // Scatter to grad_input, dot products to grad_offset and grad_mask.
      for (int64_t q = 0; q < count; ++q) {
        const float* d_row = s.col + q * col_stride;
        const int64_t pixel = first + q;
        for (int64_t g = 0; g < p.offset_groups; ++g) {
          for (int64_t tap = 0; tap < taps; ++tap) {
            const BilinearGradSample& e = s.plan[(g * taps + tap) * count + q];
            float dot[4] = {0.0f, 0.0f, 0.0f, 0.0f};
            for (size_t r = group_runs[static_cast<size_t>(g)]; r < group_runs[static_cast<size_t>(g) + 1]; ++r) {
              const ChannelRun& run = runs[r];
              const int64_t c = run.first_channel;
              const float* d = d_row + run.weight_group * reduction + tap * cg_in + (c - run.weight_group * cg_in);
              kernels::f32_bilinear_scatter_dot<Arch>(static_cast<size_t>(run.channels), d, e.corner[0] + c,
                                                      e.corner[1] + c, e.corner[2] + c, e.corner[3] + c,
                                                      e.grad_corner[0] + c, e.grad_corner[1] + c,
                                                      e.grad_corner[2] + c, e.grad_corner[3] + c, e.weight, dot);
            }
            float grad_dy = 0.0f, grad_dx = 0.0f, grad_m = 0.0f;
            for (int k = 0; k < 4; ++k) {
              grad_dy += e.coef_dy[k] * dot[k];
              grad_dx += e.coef_dx[k] * dot[k];
              grad_m += e.coef_mask[k] * dot[k];
            }
            const OffsetChannels ch = offset_channels_of(p, g, tap);
            float* grad_offset_at = x.grad_offset + n * offsets.offset_batch_stride + pixel * offsets.offset_pixel_stride;
            grad_offset_at[ch.dy * offsets.offset_channel_stride] = grad_dy;
            grad_offset_at[ch.dx * offsets.offset_channel_stride] = grad_dx;
            if (write_mask) {
              // MindSpore without modulation ignores the mask block: its gradient is 0.
              grad_mask_base[n * mask_batch_stride + ch.mask * mask_channel_stride + pixel * mask_pixel_stride] =
                  p.use_mask ? grad_m : 0.0f;
            }
          }
        }
      }
    });

    // 2c. grad_input of image n = the sum of the accumulators of the threads that took its tiles; they are
    //     left at zero for the next image.
    const int64_t blocks = (HW + kReducePixels - 1) / kReducePixels;
    pool.parallel_for(blocks, [&](int64_t block, int) {
      const int64_t p0 = block * kReducePixels, count = std::min(kReducePixels, HW - p0);
      const size_t floats = static_cast<size_t>(count * C);
      float* sum = nullptr;
      for (int thread = 0; thread < threads; ++thread) {
        if (!touched[static_cast<size_t>(thread)]) continue;
        float* part = space(thread).accumulator + p0 * C;
        if (!sum) {
          sum = part;
          continue;
        }
        for (size_t i = 0; i < floats; ++i) sum[i] += part[i];
        std::memset(part, 0, 4 * floats);
      }
      if (nhwc) {
        std::memcpy(x.grad_input + (n * HW + p0) * C, sum, 4 * floats);
      } else {
        transpose_plane(sum, C, count, C, x.grad_input + n * C * HW + p0, HW);
      }
      std::memset(sum, 0, 4 * floats);
    });
  }

  // 3. grad_weight[co][c'][tap] and grad_bias[co]: sums over the threads.
  pool.parallel_for(Cout, [&](int64_t co, int) {
    for (int64_t kk = 0; kk < reduction; ++kk) {
      float sum = 0.0f;
      for (int thread = 0; thread < threads; ++thread) sum += space(thread).grad_weight[co * reduction + kk];
      const int64_t tap = kk / cg_in, c = kk % cg_in;
      x.grad_weight[(co * cg_in + c) * taps + tap] = sum;
    }
    if (p.has_bias) {
      float sum = 0.0f;
      for (int thread = 0; thread < threads; ++thread) sum += space(thread).grad_bias[co];
      x.grad_bias[co] = sum;
    }
  });
  return Status::Ok();
}

}  // namespace dcn

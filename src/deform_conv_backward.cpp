// Backward pass pipeline (one call), the forward's tiles run in reverse:
//   1. pack the weights once, transposed (panels over the reduction index kk = tap * C_in/groups + c'), or for
//      a depthwise layer as the forward's (taps, C) table, and clear every per-thread sum (clear_thread_space);
//   2. for every image n:
//      a. prepare_image: bring image n to channels-last (NHWC) unless it already is; a row of zeros serves
//         outside corners;
//      b. split its output pixels into tiles and hand them to the thread pool; per tile (backward_tile):
//         - grad_output_tile: the tile go[pixel][C_out] (NCHW is transposed into the tile; NHWC is read in
//           place), its rows summed into the thread's grad_bias (kernels/f32_add_rows.h);
//         - gradient plan and gather_columns: the forward's samples, plus where grad_input goes and the
//           coefficients of the offset and mask gradients (sampling_plan.h); then the columns
//           col[pixel][weight group][tap][channel], exactly the forward's;
//         - pack_grad_output: go packed twice for the GEMM micro-kernel (kernels/f32_gemm_kblock.h), MR
//           pixels wide (kernels/f32_interleave_rows.h, A of d_col) and MR output channels wide
//           (kernels/f32_interleave_columns.h, A of grad_weight);
//         - accumulate_grad_weight: grad_weight[co][kk] += go^T x col (GEMM over the pixels of the tile, into
//           the thread's copy), each NR-wide panel of the columns copied out as the kernel's B just before
//           its turn;
//         - column_gradient: d_col = go x W (GEMM over C_out/groups), written over col, which the previous
//           step has finished with;
//         - scatter_dot: per (pixel, offset group, tap) and run of channels, grad_input corner rows
//           += weight * d_col, and four dot products d_col . corner that give grad_dy, grad_dx and grad_mask,
//           written straight to grad_offset / grad_mask (each pixel belongs to one tile: no conflict)
//           (kernels/f32_bilinear_scatter_dot.h);
//         a depthwise layer (C_in/groups == C_out/groups == 1) skips the columns and both GEMMs, whose
//         matrices would be 1 x 1 and whose channel runs one channel long: after grad_output_tile and the
//         plan, depthwise_scatter_dot runs one fused kernel per (pixel, offset group, tap) over all the
//         channels of the group (kernels/f32_bilinear_depthwise_backward.h), with the weights and the
//         thread's grad_weight as (taps, C) tables;
//      c. reduce_grad_input: the threads' grad_input accumulators of image n summed into grad_input (NHWC or
//         NCHW) and cleared for the next image (kernels/f32_sum_partials.h).
//   3. reduce_weight_gradients: the threads' grad_weight summed and put back in (C_out, C_in/groups, kh, kw)
//      order (kernels/f32_sum_transposed.h), and their grad_bias summed.
// grad_input is made without data races and without atomics: each thread scatters into its own
// accumulator of ONE image (H*W*C_in floats plus a sink row), and step 2c sums them. Temporary memory is
// therefore bounded by threads x (one image + one tile + one weight tensor), never an im2col buffer of the
// whole image nor a copy of the whole batch. Every byte of it, bookkeeping included, is allocated once per
// call through checked buffers (buffer.h): nothing is allocated inside the steps, and running out of memory
// is a Status, never an abort of the WebAssembly module. With several threads, which thread takes which tile
// varies from run to run, so grad_input, grad_weight and grad_bias may differ in the last bits between runs
// (the per-pixel grad_offset and grad_mask do not).
#include "deform_conv_backward.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "arch.h"
#include "buffer.h"
#include "channel_runs.h"
#include "checked_math.h"
#include "empty_output.h"
#include "kernels/f32_add_rows.h"
#include "kernels/f32_bilinear_depthwise_backward.h"
#include "kernels/f32_bilinear_gather.h"
#include "kernels/f32_bilinear_scatter_dot.h"
#include "kernels/f32_gemm_kblock.h"
#include "kernels/f32_interleave_columns.h"
#include "kernels/f32_interleave_rows.h"
#include "kernels/f32_sum_partials.h"
#include "kernels/f32_sum_transposed.h"
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

constexpr int64_t kMR = static_cast<int64_t>(kGemmMR);
constexpr int64_t kNR = static_cast<int64_t>(kGemmNR);

int64_t round64(int64_t bytes) { return (bytes + 63) / 64 * 64; }

struct Tiling {
  bool depthwise;              // the depthwise path: no columns, no packed grad_output
  int64_t tile_pixels;         // output pixels per tile (a multiple of MR, or all of them)
  int64_t tiles_per_image;
  int64_t plan_bytes;          // per thread: G * taps * tile gradient samples
  int64_t column_floats;       // per thread: tile * taps * C_in, plus NR floats the GEMM may read past the end
  int64_t grad_out_floats;     // per thread (NCHW only): tile * C_out
  int64_t grad_weight_floats;  // per thread: C_out * taps * C_in/groups (depthwise: taps * C)
  int64_t grad_bias_floats;    // per thread: C_out (0 without bias)
  int64_t accumulator_floats;  // per thread: (H*W + 1) * C_in, grad_input of one image and the sink row
  int64_t go_rows_floats;      // per thread: the go tile interleaved MR pixels wide (d_col's A)
  int64_t go_cols_floats;      // per thread: the go tile interleaved MR output channels wide (grad_weight's A)
  int64_t col_panel_floats;    // per thread: one NR-wide panel of the columns (grad_weight's B)
  int64_t thread_bytes;        // per thread, all of the above, each rounded to 64 bytes
  int64_t image_floats;        // shared: NHWC copy of one image (NCHW only) and a zero row
  int64_t packed_floats;       // shared: transposed packed weights, or the depthwise (taps + 1, C) table
  int64_t runs;                // shared: channel runs (channel_runs.h)
  int64_t list_bytes;          // shared: the bookkeeping lists (CallLists), each part rounded to 64 bytes
};

// Bytes of the call's bookkeeping: the channel runs, the first run of every offset group and the end, a
// "took a tile of this image" flag per thread, and a list of one pointer per thread (the partial sums a
// reduction reads).
int64_t list_bytes(const ConvParams& p, int threads, int64_t runs) {
  return round64(runs * static_cast<int64_t>(sizeof(ChannelRun))) +
         round64((p.offset_groups + 1) * static_cast<int64_t>(sizeof(int64_t))) + round64(threads) +
         round64(threads * static_cast<int64_t>(sizeof(float*)));
}

// The runs the pass works by: the GEMM path's columns are cut at weight groups too; the depthwise kernel takes
// whole offset groups.
int64_t write_runs(const ConvParams& p, ChannelRun* runs) {
  return is_depthwise(p) ? write_offset_group_runs(p, runs) : write_channel_runs(p, runs);
}

// Chooses the tile and sizes every buffer; false if a size overflows.
bool choose_tiling(const ConvParams& p, int threads, Tiling* t) {
  t->depthwise = is_depthwise(p);
  // One pixel's column row (none on the depthwise path).
  const int64_t row_floats = t->depthwise ? 0 : checked_mul(p.taps(), p.in_channels);
  const int64_t samples_per_pixel = checked_mul(p.offset_groups, p.taps());
  if (row_floats < 0 || samples_per_pixel < 0) return false;
  const double pixel_bytes = 4.0 * row_floats + static_cast<double>(sizeof(BilinearGradSample)) * samples_per_pixel +
                             (p.data_format == DataFormat::kNCHW ? 4.0 * p.out_channels : 0.0);
  const int64_t fit = static_cast<int64_t>(std::min<double>(kMaxTilePixels, kTileBudgetBytes / pixel_bytes));
  int64_t tile = std::max(kMR, fit / kMR * kMR);
  tile = std::min(tile, (p.out_pixels() + kMR - 1) / kMR * kMR);
  const int64_t want_tiles = threads > 1 ? kMinTilesPerThread * threads : 1;
  while (tile > kMR && (p.out_pixels() + tile - 1) / tile < want_tiles) {
    tile = std::max(kMR, (tile / 2 + kMR - 1) / kMR * kMR);
  }
  t->tile_pixels = tile;
  t->tiles_per_image = (p.out_pixels() + tile - 1) / tile;
  const int64_t samples = checked_mul(samples_per_pixel, tile);
  t->plan_bytes = samples < 0 ? -1 : checked_mul(samples, sizeof(BilinearGradSample));
  t->column_floats = t->depthwise ? 0 : checked_add(checked_mul(tile, row_floats), kNR);
  t->grad_out_floats = p.data_format == DataFormat::kNHWC ? 0 : checked_mul(tile, p.out_channels);
  t->grad_weight_floats = p.weight_elements;
  t->grad_bias_floats = p.has_bias ? p.out_channels : 0;
  t->accumulator_floats = checked_mul(checked_add(p.in_pixels(), 1), p.in_channels);
  if (t->depthwise) {
    t->go_rows_floats = t->go_cols_floats = t->col_panel_floats = 0;
  } else {
    t->go_rows_floats = checked_mul(tile, p.out_channels);  // tile is a multiple of MR
    const int64_t co_tiles = checked_mul(p.groups, (p.out_channels_per_group() + kMR - 1) / kMR);
    t->go_cols_floats = checked_product({co_tiles, tile, kMR});
    t->col_panel_floats = checked_mul(tile, kNR);
  }
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
  t->packed_floats = t->depthwise ? packed_depthwise_weight_floats(p) : packed_transposed_weight_floats(p, kGemmNR);
  t->runs = write_runs(p, nullptr);  // at most C_in, which validate() bounds
  t->list_bytes = list_bytes(p, threads, t->runs);
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

// The call's bookkeeping, laid out in its checked buffer (list_bytes()).
struct CallLists {
  ChannelRun* runs;          // write_runs(), in channel order: the runs of one offset group are consecutive
  int64_t run_count;
  int64_t* group_first_run;  // the runs of offset group g: [group_first_run[g], group_first_run[g + 1])
  unsigned char* touched;    // per thread: took a tile of the current image (its accumulator is not all zero)
  float** partials;          // per thread: the partial sums a reduction step reads
};

CallLists call_lists(const ConvParams& p, int threads, char* base) {
  CallLists l;
  l.runs = reinterpret_cast<ChannelRun*>(base);
  l.run_count = write_runs(p, l.runs);
  char* at = base + round64(l.run_count * static_cast<int64_t>(sizeof(ChannelRun)));
  l.group_first_run = reinterpret_cast<int64_t*>(at);
  at += round64((p.offset_groups + 1) * static_cast<int64_t>(sizeof(int64_t)));
  l.touched = reinterpret_cast<unsigned char*>(at);
  at += round64(threads);
  l.partials = reinterpret_cast<float**>(at);
  // Every offset group has at least one channel, so every group has a first run.
  for (int64_t r = l.run_count; r-- > 0;) l.group_first_run[l.runs[r].offset_group] = r;
  l.group_first_run[p.offset_groups] = l.run_count;
  return l;
}

// What every step of the call reads: the call's tensors and shared buffers, and its sizes.
struct Call {
  Call(const ConvParams& params, const BackwardTensors& tensors, const Tiling& tiling, const CallLists& call_lists,
       const float* packed_weights, const float* zeros, char* workspace_base)
      : p(params), x(tensors), t(tiling), lists(call_lists), offsets(make_offset_view(params, tensors.offset, tensors.mask)),
        packed(packed_weights), zero_row(zeros), workspace(workspace_base), C(params.in_channels),
        HW(params.in_pixels()), Cout(params.out_channels), pixels(params.out_pixels()), taps(params.taps()),
        cg_in(params.in_channels_per_group()), cg_out(params.out_channels_per_group()), col_stride(taps * C),
        reduction(taps * cg_in), co_tiles_per_group((cg_out + kMR - 1) / kMR),
        nhwc(params.data_format == DataFormat::kNHWC) {
    // grad_offset (and grad_mask) have the strides of offset (and mask); MindSpore's mask block is in
    // grad_offset, and MindSpore without modulation ignores it: its gradient is 0.
    const bool mindspore = params.convention == Convention::kMindSpore;
    grad_mask = mindspore ? tensors.grad_offset : tensors.grad_mask;
    grad_mask_batch_stride = mindspore ? offsets.offset_batch_stride : offsets.mask_batch_stride;
    grad_mask_channel_stride = mindspore ? offsets.offset_channel_stride : offsets.mask_channel_stride;
    grad_mask_pixel_stride = mindspore ? offsets.offset_pixel_stride : offsets.mask_pixel_stride;
    write_grad_mask = params.use_mask || mindspore;
  }

  const ConvParams& p;
  const BackwardTensors& x;
  const Tiling& t;
  CallLists lists;
  OffsetView offsets;
  const float* packed;    // transposed weights, or the depthwise (taps + 1, C) table (weight_packing.h)
  const float* zero_row;  // C_in zeros: the corners outside the image
  char* workspace;        // threads x Tiling::thread_bytes
  int64_t C, HW, Cout, pixels, taps, cg_in, cg_out;
  int64_t col_stride;          // floats per pixel row of the column tile: taps * C_in
  int64_t reduction;           // kk range of one weight group: taps * C_in/groups
  int64_t co_tiles_per_group;  // MR-wide tiles of the output channels of a weight group
  bool nhwc;
  float* grad_mask;            // where the mask gradient goes: the torchvision mask gradient, or grad_offset
  int64_t grad_mask_batch_stride, grad_mask_channel_stride, grad_mask_pixel_stride;
  bool write_grad_mask;        // torchvision with a mask, or MindSpore

  ThreadSpace space(int thread) const {
    return thread_space(t, workspace + static_cast<uint64_t>(thread) * static_cast<uint64_t>(t.thread_bytes));
  }
};

// The pixels of one tile of image n.
struct Tile {
  int64_t n;
  int64_t first;  // output pixel
  int64_t count;
};

// Step 1: every per-thread sum starts from zero (the columns too, so that the GEMM's reads past a row only
// ever see initialised floats).
void clear_thread_space(const Call& c, int thread) {
  const ThreadSpace s = c.space(thread);
  std::memset(s.col, 0, 4 * static_cast<size_t>(c.t.column_floats));
  std::memset(s.grad_weight, 0, 4 * static_cast<size_t>(c.t.grad_weight_floats));
  std::memset(s.grad_bias, 0, 4 * static_cast<size_t>(c.t.grad_bias_floats));
  std::memset(s.accumulator, 0, 4 * static_cast<size_t>(c.t.accumulator_floats));
}

// Step 2a: image n channels-last (H*W rows of C_in floats), copied into image_copy when the call is NCHW.
const float* prepare_image(const Call& c, int64_t n, float* image_copy, ThreadPool& pool) {
  if (c.nhwc) return c.x.input + n * c.HW * c.C;
  constexpr int64_t kChannelBlock = 32;
  const int64_t blocks = (c.C + kChannelBlock - 1) / kChannelBlock;
  pool.parallel_for(blocks, [&](int64_t block, int) {
    const int64_t c0 = block * kChannelBlock, channels = std::min(kChannelBlock, c.C - c0);
    transpose_plane(c.x.input + (n * c.C + c0) * c.HW, c.HW, channels, c.HW, image_copy + c0, c.C);
  });
  return image_copy;
}

// grad_output of the tile as rows of C_out floats (NHWC in place, NCHW transposed into the thread's tile),
// its rows added to the thread's grad_bias.
const float* grad_output_tile(const Call& c, const Tile& tile, const ThreadSpace& s) {
  const float* go = c.x.grad_output + (tile.n * c.pixels + tile.first) * c.Cout;
  if (!c.nhwc) {
    transpose_plane(c.x.grad_output + tile.n * c.Cout * c.pixels + tile.first, c.pixels, c.Cout, tile.count,
                    s.grad_out, c.Cout);
    go = s.grad_out;
  }
  if (c.p.has_bias) {
    kernels::f32_add_rows<Arch>(static_cast<size_t>(tile.count), static_cast<size_t>(c.Cout), go,
                                static_cast<size_t>(c.Cout), s.grad_bias);
  }
  return go;
}

// The tile's columns, as the forward's: col[q][weight group][tap][channel in the group] = the bilinear sample
// of the channel at that tap (weight[0], i.e. 0 or NaN, outside the value window).
void gather_columns(const Call& c, int64_t count, const ThreadSpace& s) {
  const CallLists& l = c.lists;
  for (int64_t q = 0; q < count; ++q) {
    float* col_row = s.col + q * c.col_stride;
    for (const ChannelRun* run = l.runs; run != l.runs + l.run_count; ++run) {
      const int64_t ch = run->first_channel;
      float* dst = col_row + run->weight_group * c.reduction + (ch - run->weight_group * c.cg_in);
      const BilinearGradSample* e = s.plan + run->offset_group * c.taps * count + q;
      for (int64_t tap = 0; tap < c.taps; ++tap, e += count, dst += c.cg_in) {
        if (e->value_inside) {
          kernels::f32_bilinear_gather<Arch>(static_cast<size_t>(run->channels), e->corner[0] + ch,
                                             e->corner[1] + ch, e->corner[2] + ch, e->corner[3] + ch, e->weight, dst);
        } else {
          std::fill(dst, dst + run->channels, e->weight[0]);
        }
      }
    }
  }
}

// go packed for the micro-kernel twice: MR pixels wide (A of d_col, reduction over co) and MR output
// channels wide (A of grad_weight, reduction over the pixels); rows past the last repeat it.
void pack_grad_output(const Call& c, int64_t count, const float* go, const ThreadSpace& s) {
  for (int64_t row = 0; row < count; row += kMR) {
    kernels::f32_interleave_rows<Arch, kGemmMR>(static_cast<size_t>(std::min(kMR, count - row)),
                                                   static_cast<size_t>(c.Cout), go + row * c.Cout,
                                                   static_cast<size_t>(c.Cout), s.go_rows + row * c.Cout);
  }
  for (int64_t gw = 0; gw < c.p.groups; ++gw) {
    for (int64_t tile_co = 0; tile_co < c.co_tiles_per_group; ++tile_co) {
      const int64_t co0 = gw * c.cg_out + tile_co * kMR, columns = std::min(kMR, (gw + 1) * c.cg_out - co0);
      kernels::f32_interleave_columns<Arch, kGemmMR>(
          static_cast<size_t>(columns), static_cast<size_t>(count), go + co0, static_cast<size_t>(c.Cout),
          s.go_cols + (gw * c.co_tiles_per_group + tile_co) * count * kMR);
    }
  }
}

// grad_weight[co][kk] += sum over pixels q of go[q][co] * col[q][kk], per weight group: one NR-wide panel of
// the columns at a time, copied out so that the kernel reads it as packed rows.
void accumulate_grad_weight(const Call& c, int64_t count, const ThreadSpace& s) {
  for (int64_t gw = 0; gw < c.p.groups; ++gw) {
    for (int64_t kk = 0; kk < c.reduction; kk += kNR) {
      const int64_t nc = std::min(kNR, c.reduction - kk);
      for (int64_t q = 0; q < count; ++q) {
        std::memcpy(s.col_panel + q * kNR, s.col + q * c.col_stride + gw * c.reduction + kk, 4 * static_cast<size_t>(kNR));
      }
      for (int64_t tile_co = 0; tile_co < c.co_tiles_per_group; ++tile_co) {
        const int64_t co0 = gw * c.cg_out + tile_co * kMR;
        kernels::f32_gemm_kblock<Arch, kGemmMR, kernels::GemmInit::kAccumulate>(
            static_cast<size_t>(std::min(kMR, (gw + 1) * c.cg_out - co0)), static_cast<size_t>(nc),
            static_cast<size_t>(count), s.go_cols + (gw * c.co_tiles_per_group + tile_co) * count * kMR, s.col_panel,
            nullptr, s.grad_weight + co0 * c.reduction + kk, static_cast<size_t>(c.reduction));
      }
    }
  }
}

// d_col[q][kk] = sum over co of go[q][co] * W[co][kk], per weight group, written over the columns.
void column_gradient(const Call& c, int64_t count, const ThreadSpace& s) {
  const int64_t panels = transposed_panels_per_group(c.p, kGemmNR);
  const int64_t panel_floats = transposed_panel_floats(c.p, kGemmNR);
  for (int64_t gw = 0; gw < c.p.groups; ++gw) {
    for (int64_t panel = 0; panel < panels; ++panel) {
      const float* weights = c.packed + (gw * panels + panel) * panel_floats;  // NR zeros, then W^T rows
      const int64_t kk = panel * kNR, nc = std::min(kNR, c.reduction - kk);
      for (int64_t row = 0; row < count; row += kMR) {
        kernels::f32_gemm_kblock<Arch, kGemmMR, kernels::GemmInit::kFromBias>(
            static_cast<size_t>(std::min(kMR, count - row)), static_cast<size_t>(nc), static_cast<size_t>(c.cg_out),
            s.go_rows + row * c.Cout + gw * c.cg_out * kMR, weights + kNR, weights,
            s.col + row * c.col_stride + gw * c.reduction + kk, static_cast<size_t>(c.col_stride));
      }
    }
  }
}

// grad_dy, grad_dx and grad_mask of the sample (offset group g, tap) of output pixel `pixel` of image n, from
// its four dot products d_col . corner over the channels of the group.
void store_offset_gradients(const Call& c, int64_t n, int64_t pixel, int64_t g, int64_t tap,
                            const BilinearGradSample& e, const float* dot) {
  float grad_dy = 0.0f, grad_dx = 0.0f, grad_m = 0.0f;
  for (int k = 0; k < 4; ++k) {
    grad_dy += e.coef_dy[k] * dot[k];
    grad_dx += e.coef_dx[k] * dot[k];
    grad_m += e.coef_mask[k] * dot[k];
  }
  const OffsetView& v = c.offsets;
  const OffsetChannels ch = offset_channels_of(c.p, g, tap);
  float* grad_offset_at = c.x.grad_offset + n * v.offset_batch_stride + pixel * v.offset_pixel_stride;
  grad_offset_at[ch.dy * v.offset_channel_stride] = grad_dy;
  grad_offset_at[ch.dx * v.offset_channel_stride] = grad_dx;
  if (c.write_grad_mask) {
    c.grad_mask[n * c.grad_mask_batch_stride + ch.mask * c.grad_mask_channel_stride + pixel * c.grad_mask_pixel_stride] =
        c.p.use_mask ? grad_m : 0.0f;
  }
}

// grad_input corner rows (the thread's accumulator) += weight * d_col, and grad_offset / grad_mask of every
// (pixel, offset group, tap) from the four dot products d_col . corner over the channels of the group.
void scatter_dot(const Call& c, const Tile& tile, const ThreadSpace& s) {
  const CallLists& l = c.lists;
  for (int64_t q = 0; q < tile.count; ++q) {
    const float* d_row = s.col + q * c.col_stride;
    for (int64_t g = 0; g < c.p.offset_groups; ++g) {
      for (int64_t tap = 0; tap < c.taps; ++tap) {
        const BilinearGradSample& e = s.plan[(g * c.taps + tap) * tile.count + q];
        float dot[4] = {0.0f, 0.0f, 0.0f, 0.0f};
        for (int64_t r = l.group_first_run[g]; r < l.group_first_run[g + 1]; ++r) {
          const ChannelRun& run = l.runs[r];
          const int64_t ch = run.first_channel;
          const float* d = d_row + run.weight_group * c.reduction + tap * c.cg_in + (ch - run.weight_group * c.cg_in);
          kernels::f32_bilinear_scatter_dot<Arch>(static_cast<size_t>(run.channels), d, e.corner[0] + ch,
                                                  e.corner[1] + ch, e.corner[2] + ch, e.corner[3] + ch,
                                                  e.grad_corner[0] + ch, e.grad_corner[1] + ch,
                                                  e.grad_corner[2] + ch, e.grad_corner[3] + ch, e.weight, dot);
        }
        store_offset_gradients(c, tile.n, tile.first + q, g, tap, e, dot);
      }
    }
  }
}

// The depthwise path's whole tile after the plan: per (pixel, offset group, tap), the column value, this
// tap's grad_weight, the column gradient, the scatter to grad_input and the offset and mask gradients, for
// all channels of the group at once.
void depthwise_scatter_dot(const Call& c, const Tile& tile, const float* go, const ThreadSpace& s) {
  const CallLists& l = c.lists;
  for (int64_t q = 0; q < tile.count; ++q) {
    for (const ChannelRun* run = l.runs; run != l.runs + l.run_count; ++run) {  // one run per offset group
      const int64_t g = run->offset_group, ch = run->first_channel;
      for (int64_t tap = 0; tap < c.taps; ++tap) {
        const BilinearGradSample& e = s.plan[(g * c.taps + tap) * tile.count + q];
        float dot[4] = {0.0f, 0.0f, 0.0f, 0.0f};
        kernels::f32_bilinear_depthwise_backward<Arch>(static_cast<size_t>(run->channels), e, static_cast<size_t>(ch),
                                                       go + q * c.C + ch, c.packed + tap * c.C + ch,
                                                       s.grad_weight + tap * c.C + ch, dot);
        store_offset_gradients(c, tile.n, tile.first + q, g, tap, e, dot);
      }
    }
  }
}

// Step 2b for one tile, in the thread's workspace.
void backward_tile(const Call& c, const Tile& tile, const float* image, const ThreadSpace& s) {
  const float* go = grad_output_tile(c, tile, s);
  float* sink = s.accumulator + c.HW * c.C;
  build_gradient_plan(c.p, c.offsets, tile.n, tile.first, tile.count, image, c.zero_row, s.accumulator, sink, s.plan);
  if (c.t.depthwise) {
    depthwise_scatter_dot(c, tile, go, s);
    return;
  }
  gather_columns(c, tile.count, s);
  pack_grad_output(c, tile.count, go, s);
  accumulate_grad_weight(c, tile.count, s);
  column_gradient(c, tile.count, s);
  scatter_dot(c, tile, s);
}

// Step 2c: grad_input of image n = the sum of the accumulators of the threads that took its tiles, which
// are left at zero for the next image. NHWC sums straight into grad_input; NCHW sums into the first
// accumulator, transposes that out and clears it.
void reduce_grad_input(const Call& c, int64_t n, int threads, ThreadPool& pool) {
  int64_t parts = 0;
  for (int thread = 0; thread < threads; ++thread) {
    if (c.lists.touched[thread]) c.lists.partials[parts++] = c.space(thread).accumulator;
  }
  if (parts == 0) {  // no tiles (no output pixels): nothing reaches the input
    std::memset(c.x.grad_input + n * c.HW * c.C, 0, 4 * static_cast<size_t>(c.HW * c.C));
    return;
  }
  const int64_t blocks = (c.HW + kReducePixels - 1) / kReducePixels;
  pool.parallel_for(blocks, [&](int64_t block, int) {
    const int64_t p0 = block * kReducePixels, count = std::min(kReducePixels, c.HW - p0);
    const size_t floats = static_cast<size_t>(count * c.C), first = static_cast<size_t>(p0 * c.C);
    if (c.nhwc) {
      kernels::f32_sum_partials<Arch>(floats, static_cast<size_t>(parts), c.lists.partials, first,
                                      c.x.grad_input + (n * c.HW + p0) * c.C);
    } else {
      float* sum = c.lists.partials[0] + first;
      kernels::f32_sum_partials<Arch>(floats, static_cast<size_t>(parts), c.lists.partials, first, sum);
      transpose_plane(sum, c.C, count, c.C, c.x.grad_input + n * c.C * c.HW + p0, c.HW);
      std::memset(sum, 0, 4 * floats);
    }
  });
}

// Step 3: grad_weight[co][c'][tap] and grad_bias[co], the sums over the threads.
void reduce_weight_gradients(const Call& c, int threads, ThreadPool& pool) {
  for (int thread = 0; thread < threads; ++thread) c.lists.partials[thread] = c.space(thread).grad_weight;
  if (c.t.depthwise) {  // (taps, C) tables to (C, 1, kh, kw): taps * C floats, one work item
    kernels::f32_sum_transposed<Arch>(static_cast<size_t>(c.taps), static_cast<size_t>(c.C),
                                      static_cast<size_t>(threads), c.lists.partials, 0, c.x.grad_weight);
  } else {  // per output channel, [tap][c'] to [c'][tap]
    pool.parallel_for(c.Cout, [&](int64_t co, int) {
      kernels::f32_sum_transposed<Arch>(static_cast<size_t>(c.taps), static_cast<size_t>(c.cg_in),
                                        static_cast<size_t>(threads), c.lists.partials,
                                        static_cast<size_t>(co * c.reduction), c.x.grad_weight + co * c.cg_in * c.taps);
    });
  }
  if (c.p.has_bias) {
    for (int thread = 0; thread < threads; ++thread) c.lists.partials[thread] = c.space(thread).grad_bias;
    kernels::f32_sum_partials<Arch>(static_cast<size_t>(c.Cout), static_cast<size_t>(threads), c.lists.partials, 0,
                                    c.x.grad_bias);
  }
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
                       round64(4 * t.packed_floats) + t.list_bytes;
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
  // Every allocation of the call is one of these checked buffers, bookkeeping included (in WebAssembly a
  // failed operator new aborts the module); they are given back before the out-of-memory message is composed.
  Buffer packed, image_copy, workspace, lists;
  const uint64_t workspace_bytes = static_cast<uint64_t>(t.thread_bytes) * static_cast<uint64_t>(threads);
  if (!packed.allocate(4 * static_cast<uint64_t>(t.packed_floats)) ||
      !image_copy.allocate(4 * static_cast<uint64_t>(t.image_floats)) || !workspace.allocate(workspace_bytes) ||
      !lists.allocate(static_cast<uint64_t>(t.list_bytes))) {
    packed.release();
    image_copy.release();
    workspace.release();
    lists.release();
    return Status::Internal("out of memory: the backward pass needs " +
                            std::to_string(backward_workspace_bytes(p, threads)) +
                            " bytes of workspace beyond its inputs and gradients");
  }

  const bool nhwc = p.data_format == DataFormat::kNHWC;
  float* zero_row = image_copy.as<float>() + (nhwc ? 0 : p.in_pixels() * p.in_channels);
  std::memset(zero_row, 0, sizeof(float) * static_cast<size_t>(p.in_channels));
  const Call c(p, x, t, call_lists(p, threads, lists.as<char>()), packed.as<float>(), zero_row, workspace.as<char>());

  // 1. Weights, and every per-thread sum from zero.
  if (t.depthwise) {
    pack_depthwise_weights(p, x.weight, nullptr, packed.as<float>());
  } else {
    pack_weights_transposed(p, kGemmNR, x.weight, packed.as<float>());
  }
  pool.parallel_for(threads, [&](int64_t thread, int) { clear_thread_space(c, static_cast<int>(thread)); });

  for (int64_t n = 0; n < p.batch; ++n) {
    // 2a. Image n, channels-last.
    const float* image = prepare_image(c, n, image_copy.as<float>(), pool);
    // 2b. Tiles.
    std::memset(c.lists.touched, 0, static_cast<size_t>(threads));
    pool.parallel_for(t.tiles_per_image, [&](int64_t item, int thread) {
      c.lists.touched[thread] = 1;
      const int64_t first = item * t.tile_pixels;
      backward_tile(c, {n, first, std::min(t.tile_pixels, c.pixels - first)}, image, c.space(thread));
    });
    // 2c. grad_input of image n.
    reduce_grad_input(c, n, threads, pool);
  }

  // 3. grad_weight and grad_bias.
  reduce_weight_gradients(c, threads, pool);
  return Status::Ok();
}

}  // namespace dcn

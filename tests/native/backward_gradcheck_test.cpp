// The backward pass on random configurations:
//   - the double-precision reference backward (reference_dcn.h) against central finite differences of the
//     reference forward, for every element of every input;
//   - the native backward against that reference in every convention, data format and thread count, over
//     random strides, 4-sided paddings, dilations, weight and offset groups, with and without mask and bias;
//   - a batch-2 call against two batch-1 calls; NaN and infinite offsets; the workspace size.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "backward_runner.h"
#include "buffer.h"
#include "reference_dcn.h"
#include "test_util.h"

namespace dcn::testing {
namespace {

constexpr double kBackwardTolerance = 1e-4;

struct Shape {
  int64_t batch, in_channels, out_channels, height, width, kh, kw;
  int64_t stride_h, stride_w, dil_h, dil_w, pad_top, pad_bottom, pad_left, pad_right, groups, offset_groups;
  bool mask, bias;
};

// A torchvision call of this shape with random tensors; offsets in [-offset_range, offset_range] (rounded to
// multiples of 0.5 when integer_offsets, so that many samples fall exactly on -1 or on pixel rows).
TorchCall make_call(const Shape& s, std::mt19937& rng, float offset_range = 2.5f, bool integer_offsets = false) {
  TorchCall c;
  ConvRequest& r = c.request;
  r.input_shape = {s.batch, s.in_channels, s.height, s.width};
  r.weight_shape = {s.out_channels, s.in_channels / s.groups, s.kh, s.kw};
  r.stride = {s.stride_h, s.stride_w};
  r.dilation = {s.dil_h, s.dil_w};
  r.padding = {s.pad_top, s.pad_bottom, s.pad_left, s.pad_right};
  const int64_t ho = (s.height + s.pad_top + s.pad_bottom - (s.dil_h * (s.kh - 1) + 1)) / s.stride_h + 1;
  const int64_t wo = (s.width + s.pad_left + s.pad_right - (s.dil_w * (s.kw - 1) + 1)) / s.stride_w + 1;
  const int64_t taps = s.kh * s.kw;
  r.offset_shape = {s.batch, 2 * s.offset_groups * taps, ho, wo};
  r.has_mask = s.mask;
  if (s.mask) r.mask_shape = {s.batch, s.offset_groups * taps, ho, wo};
  r.has_bias = s.bias;
  if (s.bias) r.bias_shape = {s.out_channels};
  auto count = [](const std::vector<int64_t>& shape) {
    size_t n = 1;
    for (int64_t d : shape) n *= static_cast<size_t>(d);
    return n;
  };
  c.input = random_vector(rng, count(r.input_shape), -1.0f, 1.0f);
  c.weight = random_vector(rng, count(r.weight_shape), -1.0f, 1.0f);
  c.offset = random_vector(rng, count(r.offset_shape), -offset_range, offset_range);
  if (integer_offsets) {
    for (float& v : c.offset) v = std::round(v * 2.0f) / 2.0f;
  }
  if (s.mask) c.mask = random_vector(rng, count(r.mask_shape), -1.0f, 1.5f);
  if (s.bias) c.bias = random_vector(rng, static_cast<size_t>(s.out_channels), -1.0f, 1.0f);
  c.grad_output = random_vector(rng, static_cast<size_t>(s.batch * s.out_channels * ho * wo), -1.0f, 1.0f);
  return c;
}

// A random small shape with every attribute varied.
Shape random_shape(std::mt19937& rng) {
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  Shape s{};
  s.batch = pick(1, 2);
  s.groups = pick(1, 2);
  s.offset_groups = pick(1, 3);
  s.in_channels = s.groups * s.offset_groups * pick(1, 2);
  s.out_channels = s.groups * pick(1, 3);
  s.kh = pick(1, 3);
  s.kw = pick(1, 3);
  s.stride_h = pick(1, 2);
  s.stride_w = pick(1, 2);
  s.dil_h = pick(1, 2);
  s.dil_w = pick(1, 2);
  s.pad_top = pick(0, 2);
  s.pad_bottom = pick(0, 2);
  s.pad_left = pick(0, 2);
  s.pad_right = pick(0, 2);
  s.height = std::max<int64_t>(pick(2, 7), s.dil_h * (s.kh - 1) + 1 - s.pad_top - s.pad_bottom);
  s.width = std::max<int64_t>(pick(2, 7), s.dil_w * (s.kw - 1) + 1 - s.pad_left - s.pad_right);
  s.mask = pick(0, 3) != 0;
  s.bias = pick(0, 1) != 0;
  return s;
}

ConvParams params_of(const TorchCall& c) {
  ConvParams p;
  const Status s = validate(c.request, &p);
  EXPECT_TRUE(s.ok()) << s.message();
  return p;
}

std::vector<double> to_double(const std::vector<float>& v) { return std::vector<double>(v.begin(), v.end()); }

// Central differences of L = sum(grad_output * reference_forward) with respect to every element of *x.
std::vector<double> finite_differences(const ConvParams& p, std::vector<double>* x, std::vector<double>& input,
                                       std::vector<double>& weight, std::vector<double>& offset,
                                       std::vector<double>& mask, std::vector<double>& bias,
                                       const std::vector<double>& grad_output) {
  constexpr double h = 1e-6;
  auto loss = [&] {
    const std::vector<double> out = reference_forward(p, input, weight, offset, mask, bias);
    double l = 0;
    for (size_t i = 0; i < out.size(); ++i) l += out[i] * grad_output[i];
    return l;
  };
  std::vector<double> d(x->size());
  for (size_t i = 0; i < x->size(); ++i) {
    const double saved = (*x)[i];
    (*x)[i] = saved + h;
    const double up = loss();
    (*x)[i] = saved - h;
    const double down = loss();
    (*x)[i] = saved;
    d[i] = (up - down) / (2 * h);
  }
  return d;
}

TEST(BackwardReference, MatchesFiniteDifferences) {
  std::mt19937 rng(7);
  const Shape shapes[] = {
      // batch, C_in, C_out, H, W, kh, kw, sh, sw, dh, dw, top, bottom, left, right, groups, offset groups, mask, bias
      {1, 2, 2, 4, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, true, true},
      {2, 4, 2, 5, 4, 2, 3, 2, 1, 1, 2, 0, 2, 1, 0, 2, 2, false, true},
      {1, 4, 4, 4, 4, 3, 2, 1, 2, 2, 1, 2, 1, 0, 1, 2, 4, true, false},
  };
  for (const Shape& s : shapes) {
    const TorchCall c = make_call(s, rng);
    const ConvParams p = params_of(c);
    std::vector<double> input = to_double(c.input), weight = to_double(c.weight), offset = to_double(c.offset),
                        mask = to_double(c.mask), bias = to_double(c.bias), go = to_double(c.grad_output);
    const ReferenceGradients ref = reference_backward(p, input, weight, offset, mask, s.bias, go);
    constexpr double tol = 1e-6;
    EXPECT_TRUE(all_close(ref.grad_input, finite_differences(p, &input, input, weight, offset, mask, bias, go), tol));
    EXPECT_TRUE(all_close(ref.grad_weight, finite_differences(p, &weight, input, weight, offset, mask, bias, go), tol));
    EXPECT_TRUE(all_close(ref.grad_offset, finite_differences(p, &offset, input, weight, offset, mask, bias, go), tol));
    EXPECT_TRUE(all_close(ref.grad_mask, finite_differences(p, &mask, input, weight, offset, mask, bias, go), tol));
    EXPECT_TRUE(all_close(ref.grad_bias, finite_differences(p, &bias, input, weight, offset, mask, bias, go), tol));
  }
}

void expect_matches_reference(const TorchCall& c, const BackwardVariant& v) {
  const ConvParams p = params_of(c);
  const ReferenceGradients ref =
      reference_backward(p, c.input, c.weight, c.offset, c.mask, c.request.has_bias, c.grad_output);
  const Gradients g = run_backward(c, v);
  EXPECT_TRUE(all_close(g.grad_input, ref.grad_input, kBackwardTolerance)) << "grad_input";
  EXPECT_TRUE(all_close(g.grad_weight, ref.grad_weight, kBackwardTolerance)) << "grad_weight";
  EXPECT_TRUE(all_close(g.grad_offset, ref.grad_offset, kBackwardTolerance)) << "grad_offset";
  EXPECT_TRUE(all_close(g.grad_mask, ref.grad_mask, kBackwardTolerance)) << "grad_mask";
  EXPECT_TRUE(all_close(g.grad_bias, ref.grad_bias, kBackwardTolerance)) << "grad_bias";
  EXPECT_TRUE(g.mask_block_zero);
}

const BackwardVariant kLayouts[] = {{Convention::kTorchvision, DataFormat::kNCHW, 1},
                                    {Convention::kTorchvision, DataFormat::kNHWC, 1},
                                    {Convention::kMindSpore, DataFormat::kNCHW, 1},
                                    {Convention::kMindSpore, DataFormat::kNHWC, 1}};

TEST(BackwardRandom, MatchesTheReferenceInEveryLayout) {
  std::mt19937 rng(2024);
  for (int round = 0; round < 40; ++round) {
    const Shape s = random_shape(rng);
    const bool integer_offsets = round % 4 == 3;
    const TorchCall c = make_call(s, rng, 2.5f, integer_offsets);
    for (BackwardVariant v : kLayouts) {
      v.threads = 1 + round % 3;
      SCOPED_TRACE(::testing::Message() << "round " << round << " " << variant_name(v) << " shape "
                                        << shape_string(c.request.input_shape) << " weight "
                                        << shape_string(c.request.weight_shape) << " offset "
                                        << shape_string(c.request.offset_shape) << " mask " << s.mask << " bias "
                                        << s.bias << (integer_offsets ? " integer offsets" : ""));
      expect_matches_reference(c, v);
    }
  }
}

// Channel runs long enough for the vector loops (and a remainder), and images with several tiles, on the GEMM
// path and the depthwise path.
TEST(BackwardRandom, WideChannelsAndManyTiles) {
  std::mt19937 rng(99);
  const Shape shapes[] = {
      // batch, C_in, C_out, H, W, kh, kw, sh, sw, dh, dw, top, bottom, left, right, groups, offset groups, mask, bias
      {1, 40, 24, 6, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, true, true},
      {2, 37, 19, 5, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, true, false},
      {1, 4, 4, 21, 20, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, true, true},
      {1, 3, 6, 18, 18, 2, 2, 1, 1, 1, 1, 0, 1, 1, 0, 3, 3, false, true},
      // depthwise (the fused path): vector loops with a remainder, two and three offset groups, many tiles
      {1, 37, 37, 9, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 37, 1, true, true},
      {2, 40, 40, 6, 6, 3, 3, 2, 1, 1, 1, 1, 1, 1, 1, 40, 2, false, true},
      {1, 24, 24, 20, 19, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 24, 3, true, false},
  };
  for (const Shape& s : shapes) {
    const TorchCall c = make_call(s, rng);
    for (int threads : {1, 3}) {
      for (BackwardVariant v : kLayouts) {
        v.threads = threads;
        SCOPED_TRACE(::testing::Message() << variant_name(v) << " input " << shape_string(c.request.input_shape));
        expect_matches_reference(c, v);
      }
    }
  }
}

// The gradients of a batch-2 call: per-image gradients are those of the two batch-1 calls, grad_weight and
// grad_bias their sums.
TEST(BackwardBatch, TwoImagesEqualTwoCalls) {
  std::mt19937 rng(5);
  const Shape s{2, 6, 4, 7, 6, 3, 3, 1, 2, 1, 1, 1, 2, 0, 1, 2, 3, true, true};
  const TorchCall both = make_call(s, rng);
  const ConvParams p = params_of(both);
  auto half = [](const std::vector<float>& v, int which) {
    const size_t n = v.size() / 2;
    return std::vector<float>(v.begin() + which * n, v.begin() + (which + 1) * n);
  };
  for (BackwardVariant v : kLayouts) {
    v.threads = 2;
    SCOPED_TRACE(variant_name(v));
    const Gradients g = run_backward(both, v);
    Gradients parts[2];
    for (int which = 0; which < 2; ++which) {
      TorchCall one = both;
      one.request.input_shape[0] = one.request.offset_shape[0] = one.request.mask_shape[0] = 1;
      one.input = half(both.input, which);
      one.offset = half(both.offset, which);
      one.mask = half(both.mask, which);
      one.grad_output = half(both.grad_output, which);
      parts[which] = run_backward(one, v);
    }
    auto concat = [](const std::vector<float>& a, const std::vector<float>& b) {
      std::vector<float> c = a;
      c.insert(c.end(), b.begin(), b.end());
      return c;
    };
    auto sum = [](const std::vector<float>& a, const std::vector<float>& b) {
      std::vector<double> c(a.size());
      for (size_t i = 0; i < a.size(); ++i) c[i] = static_cast<double>(a[i]) + b[i];
      return c;
    };
    EXPECT_TRUE(all_close(g.grad_input, concat(parts[0].grad_input, parts[1].grad_input), 1e-6));
    EXPECT_TRUE(all_close(g.grad_offset, concat(parts[0].grad_offset, parts[1].grad_offset), 1e-6));
    EXPECT_TRUE(all_close(g.grad_mask, concat(parts[0].grad_mask, parts[1].grad_mask), 1e-6));
    EXPECT_TRUE(all_close(g.grad_weight, sum(parts[0].grad_weight, parts[1].grad_weight), 1e-5));
    EXPECT_TRUE(all_close(g.grad_bias, sum(parts[0].grad_bias, parts[1].grad_bias), 1e-5));
  }
  EXPECT_GT(p.batch, 1);
}

// A NaN offset makes its sample NaN: its offset and mask gradients are NaN, it sends nothing to grad_input
// (which stays finite), and nothing converts a NaN to an integer. An infinite offset puts the sample
// outside: value 0 and zero gradients, all finite.
TEST(BackwardNonFinite, NanAndInfiniteOffsets) {
  std::mt19937 rng(11);
  const Shape s{1, 3, 2, 5, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, true, true};
  TorchCall c = make_call(s, rng);
  const ConvParams p = params_of(c);
  const int64_t pixels = p.out_pixels();
  const size_t nan_dy = static_cast<size_t>((2 * 4) * pixels + 7);  // tap 4, pixel 7: dy
  const size_t inf_dx = static_cast<size_t>((2 * 2 + 1) * pixels + 12);  // tap 2, pixel 12: dx
  c.offset[nan_dy] = std::numeric_limits<float>::quiet_NaN();
  c.offset[inf_dx] = std::numeric_limits<float>::infinity();
  for (BackwardVariant v : kLayouts) {
    SCOPED_TRACE(variant_name(v));
    const Gradients g = run_backward(c, v);
    for (float x : g.grad_input) EXPECT_TRUE(std::isfinite(x));
    EXPECT_TRUE(std::isnan(g.grad_offset[nan_dy]));
    EXPECT_TRUE(std::isnan(g.grad_offset[nan_dy + pixels]));  // its dx
    EXPECT_TRUE(std::isnan(g.grad_mask[static_cast<size_t>(4 * pixels + 7)]));
    EXPECT_EQ(g.grad_offset[inf_dx], 0.0f);
    EXPECT_EQ(g.grad_offset[inf_dx - pixels], 0.0f);  // its dy
    EXPECT_EQ(g.grad_mask[static_cast<size_t>(2 * pixels + 12)], 0.0f);
    size_t nan_offsets = 0;
    for (float x : g.grad_offset) nan_offsets += std::isnan(x);
    EXPECT_EQ(nan_offsets, 2u);
    for (float x : g.grad_bias) EXPECT_TRUE(std::isfinite(x));
  }
}

// The workspace holds one image per thread and one tile, never the whole batch.
TEST(BackwardWorkspace, BoundedByThreadsTimesOneImage) {
  ConvRequest r;
  r.input_shape = {1, 64, 64, 64};
  r.weight_shape = {64, 64, 3, 3};
  r.offset_shape = {1, 18, 64, 64};
  r.has_mask = true;
  r.mask_shape = {1, 9, 64, 64};
  r.padding = {1, 1};
  ConvParams one, eight;
  ASSERT_TRUE(validate(r, &one).ok());
  r.input_shape[0] = r.offset_shape[0] = r.mask_shape[0] = 8;
  ASSERT_TRUE(validate(r, &eight).ok());
  for (int threads : {1, 2, 4}) {
    const int64_t bytes = backward_workspace_bytes(one, threads);
    EXPECT_GT(bytes, 0);
    EXPECT_EQ(bytes, backward_workspace_bytes(eight, threads));
    // threads x (grad_input of one image + 2 MiB of tile and weight partials) + an NHWC copy of one image
    const int64_t image_bytes = 4 * 64 * 64 * 64;
    EXPECT_LE(bytes, threads * (image_bytes + (2 << 20)) + image_bytes + (1 << 20));
  }
}

// The memory checks before a call (check_backward_memory, the JS layer's headroom) rely on
// backward_workspace_bytes(): it must be exactly what the pass allocates, on both paths.
TEST(BackwardWorkspace, ReportsWhatThePassAllocates) {
  std::mt19937 rng(5);
  const Shape shapes[] = {
      // batch, C_in, C_out, H, W, kh, kw, sh, sw, dh, dw, top, bottom, left, right, groups, offset groups, mask, bias
      {2, 12, 6, 9, 9, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 3, 2, true, true},
      {1, 16, 16, 9, 9, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 16, 2, false, false},  // depthwise
  };
  for (const Shape& s : shapes) {
    const TorchCall c = make_call(s, rng);
    const ConvParams p = params_of(c);
    for (int threads : {1, 3}) {
      const int64_t before = buffer_live_bytes();
      reset_buffer_peak();
      run_backward(c, {Convention::kTorchvision, DataFormat::kNCHW, threads});
      EXPECT_EQ(buffer_peak_bytes() - before, backward_workspace_bytes(p, threads))
          << "groups " << s.groups << ", threads " << threads;
      EXPECT_EQ(buffer_live_bytes(), before) << "every buffer is given back";
    }
  }
}

}  // namespace
}  // namespace dcn::testing

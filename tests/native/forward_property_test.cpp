// Property tests of the native forward pass: random configurations against the double-precision reference
// (reference_dcn.h), zero offsets against a plain convolution, and thread-count independence.
#include <gtest/gtest.h>

#include "deformconv.h"
#include "reference_dcn.h"
#include "test_util.h"

namespace dcn::testing {
namespace {

struct RandomCase {
  ConvRequest request;
  ConvParams params;
  std::vector<float> input, weight, offset, mask, bias;
};

RandomCase make_case(std::mt19937& rng) {
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  RandomCase c;
  const int groups = pick(1, 3), G = pick(1, 3);
  const int C = groups * G * pick(1, 3), Co = groups * pick(1, 5), kh = pick(1, 4), kw = pick(1, 4);
  ConvRequest& r = c.request;
  r.stride = {pick(1, 3), pick(1, 3)};
  r.dilation = {pick(1, 2), pick(1, 2)};
  r.padding = {pick(0, 2), pick(0, 2), pick(0, 2), pick(0, 2)};
  const int64_t H = std::max<int64_t>(pick(1, 12), r.dilation[0] * (kh - 1) + 1 - r.padding[0] - r.padding[1]);
  const int64_t W = std::max<int64_t>(pick(1, 12), r.dilation[1] * (kw - 1) + 1 - r.padding[2] - r.padding[3]);
  const int64_t Ho = (H + r.padding[0] + r.padding[1] - (r.dilation[0] * (kh - 1) + 1)) / r.stride[0] + 1;
  const int64_t Wo = (W + r.padding[2] + r.padding[3] - (r.dilation[1] * (kw - 1) + 1)) / r.stride[1] + 1;
  const int64_t N = pick(1, 2);
  r.input_shape = {N, C, H, W};
  r.weight_shape = {Co, C / groups, kh, kw};
  r.offset_shape = {N, 2 * G * kh * kw, Ho, Wo};
  r.has_mask = pick(0, 3) > 0;
  if (r.has_mask) r.mask_shape = {N, G * kh * kw, Ho, Wo};
  r.has_bias = pick(0, 3) > 0;
  if (r.has_bias) r.bias_shape = {Co};
  const Status s = validate(r, &c.params);
  EXPECT_TRUE(s.ok()) << s.message();
  c.input = random_vector(rng, static_cast<size_t>(c.params.input_elements), -1, 1);
  c.weight = random_vector(rng, static_cast<size_t>(c.params.weight_elements), -1, 1);
  c.offset = random_vector(rng, static_cast<size_t>(c.params.offset_elements), -3, 3);
  if (r.has_mask) c.mask = random_vector(rng, static_cast<size_t>(c.params.mask_elements), -1, 2);
  if (r.has_bias) c.bias = random_vector(rng, static_cast<size_t>(Co), -1, 1);
  return c;
}

std::vector<float> run(const RandomCase& c, int threads) {
  std::vector<float> out(static_cast<size_t>(c.params.output_elements));
  ThreadPool pool(threads);
  const Status s = deform_conv2d_forward(
      c.params, {c.input.data(), c.weight.data(), c.offset.data(), c.mask.empty() ? nullptr : c.mask.data(),
                 c.bias.empty() ? nullptr : c.bias.data(), out.data()},
      pool);
  EXPECT_TRUE(s.ok()) << s.message();
  return out;
}

TEST(ForwardProperty, RandomConfigurationsMatchTheReference) {
  std::mt19937 rng(20261125);
  for (int trial = 0; trial < 60; ++trial) {
    const RandomCase c = make_case(rng);
    SCOPED_TRACE(::testing::Message() << "trial " << trial << " input " << shape_string(c.request.input_shape)
                                      << " weight " << shape_string(c.request.weight_shape));
    const std::vector<double> want = reference_forward(c.params, c.input, c.weight, c.offset, c.mask, c.bias);
    EXPECT_TRUE(all_close(run(c, 1), want, 2e-5));
    EXPECT_TRUE(all_close(run(c, 3), want, 2e-5));
  }
}

TEST(ForwardProperty, ZeroOffsetsWithoutMaskEqualPlainConvolution) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 30; ++trial) {
    RandomCase c = make_case(rng);
    std::fill(c.offset.begin(), c.offset.end(), 0.0f);
    c.mask.clear();
    c.request.has_mask = false;
    c.request.mask_shape.clear();
    ASSERT_TRUE(validate(c.request, &c.params).ok());
    // Plain grouped convolution, written directly.
    const ConvParams& p = c.params;
    std::vector<double> want(static_cast<size_t>(p.output_elements));
    const int64_t cg = p.in_channels_per_group(), cgo = p.out_channels_per_group();
    for (int64_t n = 0; n < p.batch; ++n)
      for (int64_t co = 0; co < p.out_channels; ++co)
        for (int64_t ho = 0; ho < p.out_height; ++ho)
          for (int64_t wo = 0; wo < p.out_width; ++wo) {
            double acc = c.bias.empty() ? 0.0 : c.bias[co];
            for (int64_t cl = 0; cl < cg; ++cl)
              for (int64_t i = 0; i < p.kernel_h; ++i)
                for (int64_t j = 0; j < p.kernel_w; ++j) {
                  const int64_t y = ho * p.stride_h - p.pad_top + i * p.dilation_h;
                  const int64_t x = wo * p.stride_w - p.pad_left + j * p.dilation_w;
                  if (y < 0 || y >= p.in_height || x < 0 || x >= p.in_width) continue;
                  const int64_t ci = (co / cgo) * cg + cl;
                  acc += static_cast<double>(c.weight[((co * cg + cl) * p.kernel_h + i) * p.kernel_w + j]) *
                         c.input[((n * p.in_channels + ci) * p.in_height + y) * p.in_width + x];
                }
            want[((n * p.out_channels + co) * p.out_height + ho) * p.out_width + wo] = acc;
          }
    EXPECT_TRUE(all_close(run(c, 2), want, 2e-5)) << "trial " << trial;
  }
}

TEST(ForwardProperty, ResultDoesNotDependOnThreadCount) {
  std::mt19937 rng(3);
  for (int trial = 0; trial < 10; ++trial) {
    const RandomCase c = make_case(rng);
    EXPECT_EQ(run(c, 1), run(c, 4));
  }
}

}  // namespace
}  // namespace dcn::testing

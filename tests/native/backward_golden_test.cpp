// Every case of tests/golden through the native backward pass: torchvision NCHW (1 and 3 threads),
// MindSpore NCHW (its offsets gradient rearranged into the golden grad_offset and grad_mask), torchvision
// and MindSpore NHWC, at the backward tolerance 1e-4 * (1 + |ref|).
#include <gtest/gtest.h>

#include "backward_runner.h"
#include "golden_case.h"
#include "test_util.h"

namespace dcn::testing {
namespace {

constexpr double kBackwardTolerance = 1e-4;

TorchCall golden_call(const GoldenCase& c) {
  TorchCall call;
  call.request = c.torchvision_request();
  call.input = c.input;
  call.weight = c.weight;
  call.offset = c.offset;
  call.mask = c.mask;
  call.bias = c.bias;
  call.grad_output = c.json["grad_output"].get<std::vector<float>>();
  return call;
}

class BackwardGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(BackwardGolden, AllConventionsFormatsAndThreadCounts) {
  const GoldenCase c = load_golden(GetParam());
  const TorchCall call = golden_call(c);
  for (BackwardVariant v : {BackwardVariant{Convention::kTorchvision, DataFormat::kNCHW, 1},
                            BackwardVariant{Convention::kTorchvision, DataFormat::kNCHW, 3},
                            BackwardVariant{Convention::kMindSpore, DataFormat::kNCHW, 2},
                            BackwardVariant{Convention::kTorchvision, DataFormat::kNHWC, 2},
                            BackwardVariant{Convention::kMindSpore, DataFormat::kNHWC, 1}}) {
    SCOPED_TRACE(c.name + " " + variant_name(v));
    const Gradients g = run_backward(call, v);
    EXPECT_TRUE(all_close(g.grad_input, c.doubles("grad_input"), kBackwardTolerance)) << "grad_input";
    EXPECT_TRUE(all_close(g.grad_weight, c.doubles("grad_weight"), kBackwardTolerance)) << "grad_weight";
    EXPECT_TRUE(all_close(g.grad_offset, c.doubles("grad_offset"), kBackwardTolerance)) << "grad_offset";
    if (c.has("grad_mask")) {
      EXPECT_TRUE(all_close(g.grad_mask, c.doubles("grad_mask"), kBackwardTolerance)) << "grad_mask";
    } else {
      EXPECT_TRUE(g.grad_mask.empty());
      EXPECT_TRUE(g.mask_block_zero) << "MindSpore without modulation: the mask block's gradient must be 0";
    }
    if (c.has("grad_bias")) {
      EXPECT_TRUE(all_close(g.grad_bias, c.doubles("grad_bias"), kBackwardTolerance)) << "grad_bias";
    } else {
      EXPECT_TRUE(g.grad_bias.empty());
    }
  }
}

std::string case_name(const ::testing::TestParamInfo<std::string>& info) {
  return std::filesystem::path(info.param).stem().string();
}

INSTANTIATE_TEST_SUITE_P(Golden, BackwardGolden, ::testing::ValuesIn(golden_files()), case_name);

// The samples of edge_offsets.json that lie exactly on y = -1 or x = -1 have value 0 but a one-sided
// coordinate gradient in torchvision: make sure the case really has such samples with a non-zero gradient,
// so the golden comparison above covers the rule.
TEST(BackwardGoldenEdge, HasOneSidedCoordinateGradients) {
  const GoldenCase c = load_golden(std::string(DCN_GOLDEN_DIR) + "/edge_offsets.json");
  ConvParams p;
  ASSERT_TRUE(validate(c.torchvision_request(), &p).ok());
  const std::vector<double> grad_offset = c.doubles("grad_offset");
  const int64_t K = p.taps(), pixels = p.out_pixels();
  int on_edge = 0;
  for (int64_t n = 0; n < p.batch; ++n)
    for (int64_t k = 0; k < K; ++k)
      for (int64_t q = 0; q < pixels; ++q) {
        const int64_t i = k / p.kernel_w, j = k % p.kernel_w, ho = q / p.out_width, wo = q % p.out_width;
        const size_t dy_at = static_cast<size_t>(((n * K + k) * 2) * pixels + q), dx_at = dy_at + pixels;
        const float y = static_cast<float>(ho * p.stride_h - p.pad_top + i * p.dilation_h) + c.offset[dy_at];
        const float x = static_cast<float>(wo * p.stride_w - p.pad_left + j * p.dilation_w) + c.offset[dx_at];
        const bool inside_coord = y >= -1 && y < p.in_height && x >= -1 && x < p.in_width;
        if (inside_coord && (y == -1.0f || x == -1.0f) && (grad_offset[dy_at] != 0 || grad_offset[dx_at] != 0)) {
          ++on_edge;
        }
      }
  EXPECT_GT(on_edge, 0);
}

TEST(BackwardValidation, RejectsAGradOutputOfTheWrongShape) {
  const GoldenCase c = load_golden(std::string(DCN_GOLDEN_DIR) + "/basic_3x3.json");
  ConvRequest r = c.torchvision_request();
  r.grad_output_shape = {2, 4, 7, 8};
  ConvParams p;
  const Status s = validate(r, &p);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.kind(), ErrorKind::kRange);
  EXPECT_EQ(s.message(), "gradOutput must have the output's shape [2, 4, 7, 9] (NCHW), got [2, 4, 7, 8]");
}

TEST(BackwardValidation, RejectsAMissingGradient) {
  const GoldenCase c = load_golden(std::string(DCN_GOLDEN_DIR) + "/basic_3x3.json");
  ConvRequest r = c.torchvision_request();
  r.grad_output_shape = c.shape("output");
  ConvParams p;
  ASSERT_TRUE(validate(r, &p).ok());
  const std::vector<float> go = c.json["grad_output"].get<std::vector<float>>();
  std::vector<float> gi(c.input.size()), gw(c.weight.size()), goff(c.offset.size()), gb(c.bias.size());
  BackwardTensors t{go.data(), c.input.data(), c.weight.data(), c.offset.data(), c.mask.data(), c.bias.data(),
                    gi.data(), goff.data(), /*grad_mask=*/nullptr, gw.data(), gb.data()};
  ThreadPool pool(1);
  const Status s = deform_conv2d_backward(p, t, pool);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.kind(), ErrorKind::kType);
  EXPECT_EQ(s.message(), "backward: the mask gradient must be given");
}

}  // namespace
}  // namespace dcn::testing

// Dimensions of 0 that torchvision accepts (checked with torch 1.13 / torchvision 0.14): a batch of 0 images,
// 0 output channels, and an input of height or width 0 that padding makes room for. The validator accepts
// them, and both passes give torchvision's results: nothing to write forward for an empty output, zero
// gradients of the right sizes backward, the bias as the output of an input without pixels. Zero input
// channels, a kernel side of 0 and an empty output image stay rejected, as in torchvision.
#include <cmath>
#include <limits>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "deformconv.h"
#include "test_util.h"

namespace dcn::testing {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// A torchvision call: input (N, C, H, W), weight (Co, C, 3, 3), padding pad, with mask and bias.
ConvRequest request(int64_t N, int64_t C, int64_t H, int64_t W, int64_t Co, int64_t pad, bool backward) {
  const int64_t Ho = H + 2 * pad - 2, Wo = W + 2 * pad - 2;
  ConvRequest r;
  r.input_shape = {N, C, H, W};
  r.weight_shape = {Co, C, 3, 3};
  r.offset_shape = {N, 18, Ho, Wo};
  r.has_mask = true;
  r.mask_shape = {N, 9, Ho, Wo};
  r.has_bias = true;
  r.bias_shape = {Co};
  r.padding = {pad};
  if (backward) {
    r.has_grad_output = true;
    r.grad_output_shape = {N, Co, Ho, Wo};
  }
  return r;
}

std::vector<float> values(int64_t n, float first) {
  std::vector<float> v(static_cast<size_t>(n));
  for (size_t i = 0; i < v.size(); ++i) v[i] = first + 0.25f * static_cast<float>(i % 7) - 0.5f * static_cast<float>(i % 3);
  return v;
}

// Runs a call whose validated params are p: forward output and every gradient, the gradients first filled
// with NaN so that a gradient left unwritten shows.
struct Results {
  std::vector<float> output, grad_input, grad_offset, grad_mask, grad_weight, grad_bias, grad_output, bias;
};

Results run(const ConvParams& p, int threads) {
  Results r;
  const std::vector<float> input = values(p.input_elements, 0.5f), weight = values(p.weight_elements, -0.5f);
  const std::vector<float> offset = values(p.offset_elements, 0.1f), mask = values(p.mask_elements, 1.0f);
  r.bias = values(p.bias_elements, 2.0f);
  r.grad_output = values(p.output_elements, 0.75f);
  r.output.assign(static_cast<size_t>(p.output_elements), kNaN);
  ThreadPool pool(threads);
  ForwardTensors f;
  f.input = input.data();
  f.weight = weight.data();
  f.offset = offset.data();
  f.mask = mask.data();
  f.bias = r.bias.data();
  f.output = r.output.data();
  EXPECT_TRUE(deform_conv2d_forward(p, f, pool).ok());
  r.grad_input.assign(static_cast<size_t>(p.input_elements), kNaN);
  r.grad_offset.assign(static_cast<size_t>(p.offset_elements), kNaN);
  r.grad_mask.assign(static_cast<size_t>(p.mask_elements), kNaN);
  r.grad_weight.assign(static_cast<size_t>(p.weight_elements), kNaN);
  r.grad_bias.assign(static_cast<size_t>(p.bias_elements), kNaN);
  BackwardTensors b;
  b.grad_output = r.grad_output.data();
  b.input = input.data();
  b.weight = weight.data();
  b.offset = offset.data();
  b.mask = mask.data();
  b.grad_input = r.grad_input.data();
  b.grad_offset = r.grad_offset.data();
  b.grad_mask = r.grad_mask.data();
  b.grad_weight = r.grad_weight.data();
  b.grad_bias = r.grad_bias.data();
  const Status s = deform_conv2d_backward(p, b, pool);
  EXPECT_TRUE(s.ok()) << s.message();
  return r;
}

ConvParams validated(const ConvRequest& r) {
  ConvParams p;
  const Status s = validate(r, &p);
  EXPECT_TRUE(s.ok()) << s.message();
  return p;
}

const std::vector<float>& zeros_like(const std::vector<float>& v) {
  static std::vector<float> z;
  z.assign(v.size(), 0.0f);
  return z;
}

TEST(EmptyTensors, ABatchOfZeroImages) {
  const ConvParams p = validated(request(0, 4, 5, 6, 3, 1, true));
  EXPECT_EQ(p.output_shape(), (std::vector<int64_t>{0, 3, 5, 6}));
  EXPECT_EQ(p.output_elements, 0);
  EXPECT_EQ(forward_workspace_bytes(p, 4), 0);
  EXPECT_EQ(backward_workspace_bytes(p, 4), 0);
  for (int threads : {1, 3}) {
    const Results r = run(p, threads);
    EXPECT_TRUE(r.grad_input.empty() && r.grad_offset.empty() && r.grad_mask.empty());
    EXPECT_EQ(r.grad_weight, zeros_like(r.grad_weight));
    EXPECT_EQ(r.grad_bias, std::vector<float>(3, 0.0f));
  }
}

TEST(EmptyTensors, ABatchOfZeroImagesOfAnySizeNeedsNoMemory) {
  // 0 images of 64 x 4096 x 4096: one image alone would be 4 GiB, but there is none.
  ConvRequest r = request(0, 64, 4096, 4096, 64, 1, true);
  const ConvParams p = validated(r);
  EXPECT_TRUE(check_backward_memory(p, 8, uint64_t{1} << 32).ok());
  EXPECT_TRUE(check_forward_memory(p, 8, uint64_t{1} << 32).ok());
}

// No output channels means no work, but the input is still a tensor the caller hands over: 2^30 channels of one
// pixel take 4 GiB, so the call is refused by the memory check, naming the input (the fuzzer's input
// tests/fuzz/regressions/empty-output-with-a-4-gib-input, which the fuzz target once took for a bad estimate).
TEST(EmptyTensors, NoOutputChannelsStillCountTheInput) {
  ConvRequest r;
  r.input_shape = {1, int64_t{1} << 30, 1, 1};
  r.weight_shape = {0, int64_t{1} << 30, 1, 1};
  r.offset_shape = {1, 2, 1, 1};
  const ConvParams p = validated(r);
  EXPECT_EQ(p.output_elements, 0);
  EXPECT_EQ(p.forward_flops(), 0);
  const Status s = check_forward_memory(p, 2, uint64_t{1} << 32);
  EXPECT_EQ(s.kind(), ErrorKind::kRange);
  EXPECT_EQ(s.message().rfind("input of shape [1, 1073741824, 1, 1] takes 4294967296 bytes; ", 0), 0u) << s.message();
  // The same call on a small input fits and needs no workspace.
  r.input_shape = {1, 64, 1, 1};
  r.weight_shape = {0, 64, 1, 1};
  const ConvParams small = validated(r);
  EXPECT_TRUE(check_forward_memory(small, 2, uint64_t{1} << 32).ok());
  EXPECT_EQ(forward_workspace_bytes(small, 2), 0);
}

TEST(EmptyTensors, ABatchOfZeroImagesWithoutAnyPointerToEmptyTensors) {
  const ConvParams p = validated(request(0, 2, 3, 3, 2, 1, true));
  ThreadPool pool(2);
  ForwardTensors f;  // every tensor a forward call reads or writes is empty but the weight and bias
  EXPECT_TRUE(deform_conv2d_forward(p, f, pool).ok());
  std::vector<float> grad_weight(static_cast<size_t>(p.weight_elements), kNaN), grad_bias(2, kNaN);
  BackwardTensors b;
  b.grad_weight = grad_weight.data();
  b.grad_bias = grad_bias.data();
  EXPECT_TRUE(deform_conv2d_backward(p, b, pool).ok());
  EXPECT_EQ(grad_weight, zeros_like(grad_weight));
  b.grad_bias = nullptr;  // a gradient that is not empty must be given
  const Status s = deform_conv2d_backward(p, b, pool);
  EXPECT_EQ(s.kind(), ErrorKind::kType);
  EXPECT_EQ(s.message(), "backward: the bias gradient must be given");
}

TEST(EmptyTensors, ZeroOutputChannels) {
  const ConvParams p = validated(request(2, 4, 5, 6, 0, 1, true));
  EXPECT_EQ(p.output_shape(), (std::vector<int64_t>{2, 0, 5, 6}));
  for (int threads : {1, 3}) {
    const Results r = run(p, threads);
    EXPECT_TRUE(r.output.empty() && r.grad_weight.empty() && r.grad_bias.empty());
    EXPECT_EQ(r.grad_input, zeros_like(r.grad_input));
    EXPECT_EQ(r.grad_offset, zeros_like(r.grad_offset));
    EXPECT_EQ(r.grad_mask, zeros_like(r.grad_mask));
  }
}

TEST(EmptyTensors, AnInputWithoutPixelsGivesTheBias) {
  for (const auto& [H, W, pad] : std::vector<std::tuple<int64_t, int64_t, int64_t>>{{0, 4, 2}, {3, 0, 2}, {0, 0, 2}}) {
    for (const DataFormat format : {DataFormat::kNCHW, DataFormat::kNHWC}) {
      ConvRequest req = request(2, 4, H, W, 3, pad, true);
      if (format == DataFormat::kNHWC) {
        req.data_format = format;
        for (auto* shape : {&req.input_shape, &req.offset_shape, &req.mask_shape, &req.grad_output_shape}) *shape = nhwc_shape(*shape);
      }
      const ConvParams p = validated(req);
      for (int threads : {1, 3}) {
        SCOPED_TRACE(::testing::Message() << "H " << H << " W " << W << " threads " << threads << (format == DataFormat::kNHWC ? " NHWC" : " NCHW"));
        const Results r = run(p, threads);
        const int64_t Co = p.out_channels, pixels = p.out_pixels();
        std::vector<float> expected(r.output.size());
        std::vector<double> bias_sum(static_cast<size_t>(Co), 0.0);
        for (int64_t n = 0; n < p.batch; ++n)
          for (int64_t co = 0; co < Co; ++co)
            for (int64_t q = 0; q < pixels; ++q) {
              const int64_t at = format == DataFormat::kNHWC ? (n * pixels + q) * Co + co : (n * Co + co) * pixels + q;
              expected[static_cast<size_t>(at)] = r.bias[static_cast<size_t>(co)];
              bias_sum[static_cast<size_t>(co)] += r.grad_output[static_cast<size_t>(at)];
            }
        EXPECT_EQ(r.output, expected);
        EXPECT_TRUE(r.grad_input.empty());
        EXPECT_EQ(r.grad_offset, zeros_like(r.grad_offset));
        EXPECT_EQ(r.grad_mask, zeros_like(r.grad_mask));
        EXPECT_EQ(r.grad_weight, zeros_like(r.grad_weight));
        EXPECT_TRUE(all_close(r.grad_bias, bias_sum, 1e-5));
      }
    }
  }
}

TEST(EmptyTensors, MindSporeTakesABatchOfZeroImages) {
  ConvRequest r = request(0, 4, 5, 6, 3, 1, true);
  r.convention = Convention::kMindSpore;
  r.offset_shape = {0, 27, 5, 6};
  r.has_mask = false;
  r.mask_shape.clear();
  r.kernel_size = {3, 3};
  r.stride = {1, 1, 1, 1};
  r.padding = {1, 1, 1, 1};
  r.dilation = {1, 1, 1, 1};
  const ConvParams p = validated(r);
  const Results run_result = run(p, 2);
  EXPECT_EQ(run_result.grad_weight, zeros_like(run_result.grad_weight));
}

std::string rejection(const ConvRequest& r) {
  ConvParams p;
  const Status s = validate(r, &p);
  EXPECT_EQ(s.kind(), ErrorKind::kRange);
  return s.message();
}

TEST(EmptyTensors, OtherZeroDimensionsAreRejectedAsInTorchvision) {
  ConvRequest r = request(1, 4, 5, 6, 3, 1, false);
  r.input_shape = {1, 0, 5, 6};
  EXPECT_EQ(rejection(r), "input: C_in (shape[1]) must be between 1 and 2147483647, got shape [1, 0, 5, 6]");
  r = request(1, 4, 5, 6, 3, 1, false);
  r.weight_shape = {3, 4, 3, 0};
  EXPECT_EQ(rejection(r), "weight: kw (shape[3]) must be between 1 and 2147483647, got shape [3, 4, 3, 0]");
  r = request(1, 4, 5, 6, 3, 1, false);
  r.offset_shape = {1, 18, 0, 6};
  EXPECT_EQ(rejection(r), "offset: Ho (shape[2]) must be between 1 and 2147483647, got shape [1, 18, 0, 6]");
  r = request(1, 4, 5, 6, 3, 1, false);
  r.data_format = DataFormat::kNHWC;
  r.input_shape = {1, 5, 6, 0};
  EXPECT_EQ(rejection(r), "input: C_in (shape[3]) must be between 1 and 2147483647, got shape [1, 5, 6, 0]");
  r = request(1, 4, 5, 6, 3, 0, false);
  r.input_shape = {1, 4, 0, 6};  // Ho = 0 + 0 - 3 + 1 < 1
  EXPECT_EQ(rejection(r).rfind("output size too small: the padded input is 0x6", 0), 0u);
  r = request(1, 4, 5, 6, 3, 1, false);
  r.input_shape = {-1, 4, 5, 6};
  EXPECT_EQ(rejection(r), "input: N (shape[0]) must be between 0 and 2147483647, got shape [-1, 4, 5, 6]");
}

}  // namespace
}  // namespace dcn::testing

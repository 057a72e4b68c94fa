// The forward pass's code paths on random shapes the golden cases are too small to reach, against the
// double-precision reference: several K blocks (segments cut at tap and offset-group boundaries), partial
// weight panels, many tiles and a ragged last tile, tiles cut into output-channel slices (whole weight groups
// or parts of one group's panels, when there are too few tiles for the threads), narrow weight groups gathered
// several at a time (merged K blocks), the depthwise kernel, and the
// three input layouts (NCHW, NCHW stored channels-last, NHWC), each at one, two and three threads (the same
// bits at every thread count), with the weights packed by the pass or beforehand (pack_forward_weights).
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "deformconv.h"
#include "reference_dcn.h"
#include "test_util.h"

namespace dcn::testing {
namespace {

constexpr double kForwardTolerance = 2e-5;

struct Shape {
  const char* name;
  int64_t N, C, H, W, Cout, kh, kw, stride, pad, dilation, groups, offset_groups;
  bool mask, bias;
};

void PrintTo(const Shape& s, std::ostream* os) { *os << s.name; }

enum class Layout { kNCHW, kNCHWStoredChannelsLast, kNHWC };

class ForwardPaths : public ::testing::TestWithParam<Shape> {};

TEST_P(ForwardPaths, MatchesTheReference) {
  const Shape s = GetParam();
  std::mt19937 rng(1234);
  ConvRequest r;
  const int64_t K = s.kh * s.kw;
  r.input_shape = {s.N, s.C, s.H, s.W};
  r.weight_shape = {s.Cout, s.C / s.groups, s.kh, s.kw};
  const int64_t Ho = (s.H + 2 * s.pad - s.dilation * (s.kh - 1) - 1) / s.stride + 1;
  const int64_t Wo = (s.W + 2 * s.pad - s.dilation * (s.kw - 1) - 1) / s.stride + 1;
  r.offset_shape = {s.N, 2 * s.offset_groups * K, Ho, Wo};
  r.has_mask = s.mask;
  if (s.mask) r.mask_shape = {s.N, s.offset_groups * K, Ho, Wo};
  r.has_bias = s.bias;
  if (s.bias) r.bias_shape = {s.Cout};
  r.stride = {s.stride, s.stride};
  r.padding = {s.pad, s.pad};
  r.dilation = {s.dilation, s.dilation};
  ConvParams p;
  ASSERT_TRUE(validate(r, &p).ok());
  const auto count = [](const std::vector<int64_t>& shape) {
    size_t n = 1;
    for (int64_t d : shape) n *= static_cast<size_t>(d);
    return n;
  };
  const std::vector<float> input = random_vector(rng, count(r.input_shape), -1, 1);
  const std::vector<float> weight = random_vector(rng, count(r.weight_shape), -0.5f, 0.5f);
  const std::vector<float> offset = random_vector(rng, count(r.offset_shape), -3, 3);
  const std::vector<float> mask = s.mask ? random_vector(rng, count(r.mask_shape), 0, 1) : std::vector<float>();
  const std::vector<float> bias = s.bias ? random_vector(rng, s.Cout, -1, 1) : std::vector<float>();
  const std::vector<double> expected = reference_forward(p, input, weight, offset, mask, bias);
  const std::vector<int64_t> out_shape = {s.N, s.Cout, Ho, Wo};

  for (Layout layout : {Layout::kNCHW, Layout::kNCHWStoredChannelsLast, Layout::kNHWC}) {
    std::vector<float> one_thread;  // the output of the first thread count
    for (int threads : {1, 2, 3}) {
      SCOPED_TRACE(::testing::Message() << "layout " << static_cast<int>(layout) << " threads " << threads);
      ConvRequest rl = r;
      std::vector<float> in = input, off = offset, m = mask;
      if (layout != Layout::kNCHW) in = to_nhwc(input, r.input_shape);
      if (layout == Layout::kNHWC) {
        rl.data_format = DataFormat::kNHWC;
        rl.input_shape = nhwc_shape(r.input_shape);
        off = to_nhwc(offset, r.offset_shape);
        rl.offset_shape = nhwc_shape(r.offset_shape);
        if (s.mask) {
          m = to_nhwc(mask, r.mask_shape);
          rl.mask_shape = nhwc_shape(r.mask_shape);
        }
      }
      ConvParams pl;
      ASSERT_TRUE(validate(rl, &pl).ok());
      std::vector<float> out(count(out_shape), -12345.0f);
      ForwardTensors t{in.data(), weight.data(), off.data(), s.mask ? m.data() : nullptr,
                       s.bias ? bias.data() : nullptr, out.data()};
      t.input_channels_last = layout == Layout::kNCHWStoredChannelsLast;
      ThreadPool pool(threads);
      const Status status = deform_conv2d_forward(pl, t, pool);
      ASSERT_TRUE(status.ok()) << status.message();
      // Weights packed beforehand (a prepared layer): the same numbers, bit for bit, without reading the
      // weight or bias tensors.
      std::vector<float> packed(static_cast<size_t>(forward_packed_weight_bytes(pl) / 4));
      ASSERT_TRUE(pack_forward_weights(pl, weight.data(), s.bias ? bias.data() : nullptr, packed.data(), pool).ok());
      std::vector<float> out_prepacked(out.size(), -12345.0f);
      ForwardTensors tp = t;
      tp.weight = nullptr;
      tp.bias = nullptr;
      tp.packed_weights = packed.data();
      tp.output = out_prepacked.data();
      ASSERT_TRUE(deform_conv2d_forward(pl, tp, pool).ok());
      EXPECT_EQ(0, std::memcmp(out.data(), out_prepacked.data(), 4 * out.size()));
      // However the work is cut (tiles, slices), every output is summed in the same order.
      if (one_thread.empty()) one_thread = out;
      EXPECT_EQ(0, std::memcmp(out.data(), one_thread.data(), 4 * out.size()));
      if (layout == Layout::kNHWC) out = to_nchw(out, out_shape);
      EXPECT_TRUE(all_close(out, expected, kForwardTolerance));
      EXPECT_GT(forward_workspace_bytes(pl, threads, t.input_channels_last), 0);
    }
  }
}

// name, N, C, H, W, Cout, kh, kw, stride, pad, dilation, groups, offset_groups, mask, bias
const Shape kShapes[] = {
    // K = 864: two K blocks; 3 offset groups of 32 channels cut the segments; 40 output channels: full panels
    // and a partial one for NR = 8, 16 and 32.
    {"k_blocks_offset_groups", 1, 96, 13, 11, 40, 3, 3, 1, 1, 1, 1, 3, true, true},
    // K = 2700 in six K blocks, one pixel tile.
    {"deep_reduction", 1, 300, 5, 6, 32, 3, 3, 1, 1, 1, 1, 1, false, true},
    // Weight groups whose channels cross offset groups; 9 output channels per group (a partial panel).
    {"groups_and_offset_groups", 2, 40, 9, 8, 18, 3, 3, 1, 1, 1, 2, 5, true, false},
    // 400 pixels per image: many tiles, a ragged last one; 5x5 kernel.
    {"many_tiles_5x5", 2, 8, 20, 20, 12, 5, 5, 1, 2, 1, 1, 1, true, true},
    // Depthwise: the fused kernel, channel runs cut by offset groups; stride and dilation 2.
    {"depthwise", 1, 12, 15, 14, 12, 3, 3, 2, 2, 2, 12, 3, false, true},
    {"depthwise_wide", 2, 37, 9, 9, 37, 3, 3, 1, 1, 1, 37, 1, true, false},
    // One tile and 776 output channels: at two and three threads, slices of one group's panels (2 parts, or
    // 3 uneven ones, the last panel partial for NR = 16 and 32).
    {"slices_within_a_group", 1, 24, 6, 7, 776, 3, 3, 1, 1, 1, 1, 2, true, true},
    // Four weight groups of 72 output channels in slices of two groups, each slice reading the input channels
    // of one offset group (its sampling plan holds that group only).
    {"slices_of_weight_groups", 1, 32, 5, 9, 288, 3, 3, 1, 1, 1, 4, 2, true, true},
    // One tile, two groups of 512 output channels: a slice per group at two threads, half groups at three.
    {"slices_of_half_groups", 1, 16, 4, 5, 1024, 3, 3, 1, 1, 1, 2, 1, true, false},
    // Narrow weight groups whose columns are gathered several groups at a time (merged K blocks): 16 groups
    // of 2 x 2 channels in one block, its runs cut at 4 offset groups (4 runs of 2 per gather call);
    {"narrow_groups_merged", 1, 32, 7, 6, 32, 3, 3, 1, 1, 1, 16, 4, true, true},
    // 3 input and 2 output channels per group, a 3x2 kernel: runs of 3 (no whole vector);
    {"narrow_groups_partial_panel", 2, 18, 6, 5, 12, 3, 2, 1, 1, 1, 6, 3, true, false},
    // one input and two output channels per group (a channel multiplier, not depthwise): runs of 1;
    {"channel_multiplier", 1, 8, 9, 7, 16, 3, 3, 1, 1, 1, 8, 1, false, true},
    // 64 groups of 1 x 4 channels, 32 per block, sliced by blocks at two and three threads.
    {"merged_groups_sliced", 1, 64, 5, 6, 256, 3, 3, 1, 1, 1, 64, 2, true, true},
};

std::string shape_name(const ::testing::TestParamInfo<Shape>& info) { return info.param.name; }

INSTANTIATE_TEST_SUITE_P(Shapes, ForwardPaths, ::testing::ValuesIn(kShapes), shape_name);

TEST(ForwardWorkspace, ChannelsLastInputNeedsNoInputCopy) {
  ConvRequest r;
  r.input_shape = {1, 64, 512, 512};
  r.weight_shape = {64, 64, 3, 3};
  r.offset_shape = {1, 18, 512, 512};
  r.has_mask = true;
  r.mask_shape = {1, 9, 512, 512};
  r.padding = {1, 1};
  ConvParams p;
  ASSERT_TRUE(validate(r, &p).ok());
  const int64_t input_bytes = 4 * p.input_elements;
  for (int threads : {1, 2, 4}) {
    const int64_t channels_last = forward_workspace_bytes(p, threads, true);
    EXPECT_GT(channels_last, forward_packed_weight_bytes(p));
    EXPECT_LT(channels_last - forward_packed_weight_bytes(p), 16 << 20);
    EXPECT_GE(forward_workspace_bytes(p, threads, false), channels_last + input_bytes);
  }
}

}  // namespace
}  // namespace dcn::testing

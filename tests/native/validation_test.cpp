// The core's validator: one message per rule, in the caller's convention. The JS tests check the same
// messages through the WebAssembly build (tests/js/errors.test.js).
#include <gtest/gtest.h>

#include "deformconv.h"

namespace dcn::testing {
namespace {

ConvRequest valid_torchvision() {
  ConvRequest r;
  r.input_shape = {1, 4, 5, 5};
  r.weight_shape = {2, 4, 3, 3};
  r.offset_shape = {1, 18, 5, 5};
  r.has_mask = true;
  r.mask_shape = {1, 9, 5, 5};
  r.has_bias = true;
  r.bias_shape = {2};
  r.padding = {1};
  return r;
}

ConvRequest valid_mindspore() {
  ConvRequest r = valid_torchvision();
  r.convention = Convention::kMindSpore;
  r.offset_shape = {1, 27, 5, 5};
  r.has_mask = false;
  r.mask_shape.clear();
  r.kernel_size = {3, 3};
  r.stride = {1, 1, 1, 1};
  r.padding = {1, 1, 1, 1};
  r.dilation = {1, 1, 1, 1};
  return r;
}

std::string message_of(const ConvRequest& r) {
  ConvParams p;
  const Status s = validate(r, &p);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.kind(), ErrorKind::kRange);
  return s.message();
}

TEST(Validation, ValidCallsPass) {
  ConvParams p;
  ASSERT_TRUE(validate(valid_torchvision(), &p).ok());
  EXPECT_EQ(p.output_shape(), (std::vector<int64_t>{1, 2, 5, 5}));
  EXPECT_EQ(p.offset_groups, 1);
  EXPECT_TRUE(p.use_mask);
  ASSERT_TRUE(validate(valid_mindspore(), &p).ok());
  EXPECT_TRUE(p.use_mask);
}

TEST(Validation, TorchvisionMessages) {
  ConvRequest r = valid_torchvision();
  r.input_shape = {4, 5, 5};
  EXPECT_EQ(message_of(r), "input must be a 4-D tensor (N, C_in, H, W), got shape [4, 5, 5] (3-D)");
  r = valid_torchvision();
  r.offset_shape = {1, 10, 5, 5};
  EXPECT_EQ(message_of(r), "offset: shape[1] = 10 must be a multiple of 2 * kh * kw = 18 (2 * offset_groups * kh * kw)");
  r = valid_torchvision();
  r.mask_shape = {1, 8, 5, 5};
  EXPECT_EQ(message_of(r), "mask: shape[1] must be offset_groups * kh * kw = 9, got 8");
  r = valid_torchvision();
  r.stride = {0, 1};
  EXPECT_EQ(message_of(r), "stride must be positive (at most 2147483647), got [0, 1]");
  r = valid_torchvision();
  r.bias_shape = {5};
  EXPECT_EQ(message_of(r), "bias must have shape [C_out] = [2], got [5]");
  r = valid_torchvision();
  r.grad_output_shape = {1, 2, 5, 4};
  EXPECT_EQ(message_of(r), "gradOutput must have the output's shape [1, 2, 5, 5] (NCHW), got [1, 2, 5, 4]");
}

TEST(Validation, MindSporeMessages) {
  ConvRequest r = valid_mindspore();
  r.stride = {2, 1, 1, 1};
  EXPECT_EQ(message_of(r), "strides: the N and C entries must be 1, got [2, 1, 1, 1]");
  r = valid_mindspore();
  r.kernel_size = {5, 5};
  EXPECT_EQ(message_of(r), "kernelSize must equal the weight's kernel (kh, kw) = (3, 3), got [5, 5] (weight shape [2, 4, 3, 3])");
  r = valid_mindspore();
  r.offset_groups = 2;
  EXPECT_EQ(message_of(r), "offsets: shape[1] must be 3 * deformableGroups * kh * kw = 54, got 27");
  r = valid_mindspore();
  r.groups = 2;
  EXPECT_EQ(message_of(r), "weight: shape[1] must be C_in / groups = 2, got 4");
  r = valid_mindspore();
  r.offset_groups = 3;
  EXPECT_EQ(message_of(r), "deformableGroups = 3 must divide the input channels C_in = 4");
}

TEST(Validation, SizesAreCheckedBeforeAnyAllocation) {
  ConvRequest r;
  r.input_shape = {1, 65536, 65536, 1};
  r.weight_shape = {2, 65536, 1, 1};
  r.offset_shape = {1, 2, 65536, 1};
  EXPECT_EQ(message_of(r), "input of shape [1, 65536, 65536, 1] has 4294967296 elements (17179869184 bytes as float32), "
                           "more than the limit of 2147483647 elements");
}

TEST(Validation, NhwcShapesReadChannelsLast) {
  ConvRequest r = valid_torchvision();
  r.data_format = DataFormat::kNHWC;
  r.input_shape = {1, 5, 5, 4};
  r.offset_shape = {1, 5, 5, 18};
  r.mask_shape = {1, 5, 5, 9};
  ConvParams p;
  ASSERT_TRUE(validate(r, &p).ok());
  EXPECT_EQ(p.output_shape(), (std::vector<int64_t>{1, 5, 5, 2}));
  r.offset_shape = {1, 5, 5, 10};
  EXPECT_EQ(message_of(r), "offset: shape[3] = 10 must be a multiple of 2 * kh * kw = 18 (2 * offset_groups * kh * kw)");
}

}  // namespace
}  // namespace dcn::testing

// Runs the native backward pass on a call given in torchvision's layout (NCHW, separate mask), in any
// convention, data format and thread count, and returns the gradients in torchvision's NCHW layout, so the
// tests can compare every variant against one reference.
#pragma once

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "deformconv.h"
#include "test_util.h"

namespace dcn::testing {

// A call in torchvision's layout. mask and bias empty when absent.
struct TorchCall {
  ConvRequest request;  // torchvision, NCHW
  std::vector<float> input, weight, offset, mask, bias, grad_output;
};

struct BackwardVariant {
  Convention convention;
  DataFormat format;
  int threads;
};

inline std::string variant_name(const BackwardVariant& v) {
  return std::string(v.convention == Convention::kMindSpore ? "mindspore" : "torchvision") +
         (v.format == DataFormat::kNHWC ? " NHWC" : " NCHW") + " threads " + std::to_string(v.threads);
}

// Gradients in torchvision's layout (NCHW). For MindSpore, grad_mask is read from the mask block of the
// offsets gradient, and mask_block_zero says whether that block was all zeros.
struct Gradients {
  std::vector<float> grad_input, grad_weight, grad_offset, grad_mask, grad_bias;
  bool mask_block_zero = true;
};

// Runs the call; the status of validate() or of the backward pass is returned through *status.
inline Gradients run_backward(const TorchCall& call, const BackwardVariant& v, Status* status = nullptr) {
  Gradients out;
  ConvParams tv;
  Status s = validate(call.request, &tv);
  EXPECT_TRUE(s.ok()) << s.message();
  if (!s.ok()) return out;
  const bool ms = v.convention == Convention::kMindSpore, nhwc = v.format == DataFormat::kNHWC;
  const bool has_mask = call.request.has_mask;

  ConvRequest r = call.request;
  std::vector<float> offset = call.offset, mask = call.mask;
  if (ms) {
    to_mindspore_request(tv, has_mask, &r);
    offset = mindspore_offsets(tv, call.offset, call.mask);
    mask.clear();
  }
  const std::vector<int64_t> input_nchw = r.input_shape, offset_nchw = r.offset_shape, mask_nchw = r.mask_shape;
  const std::vector<int64_t> output_nchw = tv.output_shape();
  std::vector<float> input = call.input, grad_output = call.grad_output;
  r.grad_output_shape = output_nchw;
  if (nhwc) {
    r.data_format = DataFormat::kNHWC;
    input = to_nhwc(input, input_nchw);
    offset = to_nhwc(offset, offset_nchw);
    grad_output = to_nhwc(grad_output, output_nchw);
    r.input_shape = nhwc_shape(input_nchw);
    r.offset_shape = nhwc_shape(offset_nchw);
    r.grad_output_shape = nhwc_shape(output_nchw);
    if (r.has_mask) {
      mask = to_nhwc(mask, mask_nchw);
      r.mask_shape = nhwc_shape(mask_nchw);
    }
  }
  ConvParams p;
  s = validate(r, &p);
  EXPECT_TRUE(s.ok()) << s.message();
  if (!s.ok()) return out;

  // Every gradient starts as NaN, so an element the pass forgets to write shows up.
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> grad_input(input.size(), nan), grad_weight(call.weight.size(), nan), grad_offset(offset.size(), nan),
      grad_mask(mask.size(), nan), grad_bias(call.bias.size(), nan);
  ThreadPool pool(v.threads);
  BackwardTensors t;
  t.grad_output = grad_output.data();
  t.input = input.data();
  t.weight = call.weight.data();
  t.offset = offset.data();
  t.mask = r.has_mask ? mask.data() : nullptr;
  t.bias = r.has_bias ? call.bias.data() : nullptr;
  t.grad_input = grad_input.data();
  t.grad_offset = grad_offset.data();
  t.grad_mask = r.has_mask ? grad_mask.data() : nullptr;
  t.grad_weight = grad_weight.data();
  t.grad_bias = r.has_bias ? grad_bias.data() : nullptr;
  s = deform_conv2d_backward(p, t, pool);
  if (status) *status = s;
  EXPECT_TRUE(s.ok()) << s.message();

  if (nhwc) {
    grad_input = to_nchw(grad_input, input_nchw);
    grad_offset = to_nchw(grad_offset, offset_nchw);
    if (r.has_mask) grad_mask = to_nchw(grad_mask, mask_nchw);
  }
  out.grad_input = grad_input;
  out.grad_weight = grad_weight;
  out.grad_bias = grad_bias;
  if (!ms) {
    out.grad_offset = grad_offset;
    out.grad_mask = grad_mask;
    return out;
  }
  // MindSpore [grad dx | grad dy | grad mask] -> torchvision (dy, dx) pairs and a separate mask gradient.
  const int64_t block = tv.offset_groups * tv.taps(), pixels = tv.out_pixels();
  out.grad_offset.resize(call.offset.size());
  if (has_mask) out.grad_mask.resize(call.mask.size());
  for (int64_t n = 0; n < tv.batch; ++n)
    for (int64_t k = 0; k < block; ++k)
      for (int64_t q = 0; q < pixels; ++q) {
        const float gdx = grad_offset[((n * 3 + 0) * block + k) * pixels + q];
        const float gdy = grad_offset[((n * 3 + 1) * block + k) * pixels + q];
        const float gm = grad_offset[((n * 3 + 2) * block + k) * pixels + q];
        out.grad_offset[((n * block + k) * 2) * pixels + q] = gdy;
        out.grad_offset[((n * block + k) * 2 + 1) * pixels + q] = gdx;
        if (has_mask) {
          out.grad_mask[(n * block + k) * pixels + q] = gm;
        } else if (gm != 0.0f) {
          out.mask_block_zero = false;
        }
      }
  return out;
}

}  // namespace dcn::testing

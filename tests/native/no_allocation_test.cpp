// Both passes allocate only through their checked buffers (buffer.h): no operator new, whose failure aborts
// a WebAssembly module built without exceptions. This file replaces the global operator new of the test
// binary with one that counts calls while a pass runs, and runs every variant the passes tell apart:
// convention, data format, mask, bias, a grouped and a depthwise layer, one to three threads.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <random>
#include <string>

#include "deformconv.h"
#include "test_util.h"

namespace {
std::atomic<bool> g_counting{false};
std::atomic<int> g_news{0};

void* counted_new(std::size_t size) {
  if (g_counting.load()) g_news.fetch_add(1);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
}  // namespace

void* operator new(std::size_t size) { return counted_new(size); }
void* operator new[](std::size_t size) { return counted_new(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace dcn::testing {
namespace {

struct Variant {
  bool depthwise;  // 12 groups of one channel (the forward's depthwise kernel) or 3 groups of four
  Convention convention;
  DataFormat format;
  bool mask;  // torchvision: a mask tensor; MindSpore: modulated
  bool bias;
};

std::string name_of(const Variant& v, int threads) {
  return std::string(v.depthwise ? "depthwise" : "grouped") +
         (v.convention == Convention::kMindSpore ? " mindspore" : " torchvision") +
         (v.format == DataFormat::kNHWC ? " NHWC" : " NCHW") + (v.mask ? " mask" : "") + (v.bias ? " bias" : "") +
         ", threads " + std::to_string(threads);
}

std::vector<Variant> all_variants() {
  std::vector<Variant> variants;
  for (bool depthwise : {false, true})
    for (Convention convention : {Convention::kTorchvision, Convention::kMindSpore})
      for (DataFormat format : {DataFormat::kNCHW, DataFormat::kNHWC})
        for (bool mask : {false, true})
          for (bool bias : {false, true}) variants.push_back({depthwise, convention, format, mask, bias});
  return variants;
}

// A 2 x 12 x 9 x 9 input, 3x3 kernel, padding 1, two offset groups, in the variant's convention and format.
ConvRequest request_of(const Variant& v) {
  ConvRequest r;
  r.input_shape = {2, 12, 9, 9};
  r.weight_shape = v.depthwise ? std::vector<int64_t>{12, 1, 3, 3} : std::vector<int64_t>{6, 4, 3, 3};
  r.offset_shape = {2, 36, 9, 9};
  r.has_mask = v.mask;
  if (v.mask) r.mask_shape = {2, 18, 9, 9};
  r.has_bias = v.bias;
  if (v.bias) r.bias_shape = {r.weight_shape[0]};
  r.padding = {1};
  ConvParams tv;
  EXPECT_TRUE(validate(r, &tv).ok());
  if (v.convention == Convention::kMindSpore) to_mindspore_request(tv, v.mask, &r);
  r.grad_output_shape = tv.output_shape();
  if (v.format == DataFormat::kNHWC) {
    r.data_format = DataFormat::kNHWC;
    r.input_shape = nhwc_shape(r.input_shape);
    r.offset_shape = nhwc_shape(r.offset_shape);
    if (r.has_mask) r.mask_shape = nhwc_shape(r.mask_shape);
    r.grad_output_shape = nhwc_shape(r.grad_output_shape);
  }
  return r;
}

// Random tensors of a validated call and room for every result.
struct CallTensors {
  std::vector<float> input, weight, offset, mask, bias, output, grad_output;
  std::vector<float> grad_input, grad_weight, grad_offset, grad_mask, grad_bias;
  CallTensors(const ConvParams& p, std::mt19937& rng) {
    const auto n = [](int64_t elements) { return static_cast<size_t>(elements); };
    input = random_vector(rng, n(p.input_elements), -1, 1);
    weight = random_vector(rng, n(p.weight_elements), -1, 1);
    offset = random_vector(rng, n(p.offset_elements), -2, 2);
    mask = random_vector(rng, n(p.mask_elements), 0, 1);
    bias = random_vector(rng, n(p.out_channels), -1, 1);
    grad_output = random_vector(rng, n(p.output_elements), -1, 1);
    output.resize(n(p.output_elements));
    grad_input.resize(input.size());
    grad_weight.resize(weight.size());
    grad_offset.resize(offset.size());
    grad_mask.resize(mask.size());
    grad_bias.resize(bias.size());
  }
};

// new-expressions counted while f runs.
template <typename F>
int news_during(F f) {
  g_news = 0;
  g_counting = true;
  f();
  g_counting = false;
  return g_news.load();
}

TEST(NoAllocation, ForwardUsesOnlyCheckedBuffers) {
  std::mt19937 rng(3);
  for (const Variant& v : all_variants()) {
    ConvParams p;
    ASSERT_TRUE(validate(request_of(v), &p).ok());
    CallTensors x(p, rng);
    ForwardTensors t{x.input.data(), x.weight.data(), x.offset.data(), v.mask ? x.mask.data() : nullptr,
                     v.bias ? x.bias.data() : nullptr, x.output.data()};
    for (int threads : {1, 2, 3}) {
      ThreadPool pool(threads);
      Status s;
      EXPECT_EQ(news_during([&] { s = deform_conv2d_forward(p, t, pool); }), 0) << name_of(v, threads);
      EXPECT_TRUE(s.ok()) << name_of(v, threads) << ": " << s.message();
    }
  }
}

TEST(NoAllocation, BackwardUsesOnlyCheckedBuffers) {
  std::mt19937 rng(4);
  for (const Variant& v : all_variants()) {
    ConvParams p;
    ASSERT_TRUE(validate(request_of(v), &p).ok());
    CallTensors x(p, rng);
    const bool torch_mask = v.mask && v.convention == Convention::kTorchvision;
    BackwardTensors t;
    t.grad_output = x.grad_output.data();
    t.input = x.input.data();
    t.weight = x.weight.data();
    t.offset = x.offset.data();
    t.mask = torch_mask ? x.mask.data() : nullptr;
    t.bias = v.bias ? x.bias.data() : nullptr;
    t.grad_input = x.grad_input.data();
    t.grad_offset = x.grad_offset.data();
    t.grad_mask = torch_mask ? x.grad_mask.data() : nullptr;
    t.grad_weight = x.grad_weight.data();
    t.grad_bias = v.bias ? x.grad_bias.data() : nullptr;
    for (int threads : {1, 2, 3}) {
      ThreadPool pool(threads);
      Status s;
      EXPECT_EQ(news_during([&] { s = deform_conv2d_backward(p, t, pool); }), 0) << name_of(v, threads);
      EXPECT_TRUE(s.ok()) << name_of(v, threads) << ": " << s.message();
    }
  }
}

}  // namespace
}  // namespace dcn::testing

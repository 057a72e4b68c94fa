// The forward pass allocates only through its checked buffers (buffer.h): no operator new, whose failure
// aborts a WebAssembly module built without exceptions. This file replaces the global operator new of the
// test binary with one that counts calls while a forward pass runs.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <random>

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

TEST(NoAllocation, ForwardUsesOnlyCheckedBuffers) {
  std::mt19937 rng(3);
  for (DataFormat format : {DataFormat::kNCHW, DataFormat::kNHWC}) {
    ConvRequest r;
    r.data_format = format;
    const bool nhwc = format == DataFormat::kNHWC;
    r.input_shape = nhwc ? std::vector<int64_t>{2, 9, 9, 12} : std::vector<int64_t>{2, 12, 9, 9};
    r.weight_shape = {6, 4, 3, 3};  // groups 3
    r.offset_shape = nhwc ? std::vector<int64_t>{2, 9, 9, 36} : std::vector<int64_t>{2, 36, 9, 9};  // 2 offset groups
    r.has_mask = true;
    r.mask_shape = nhwc ? std::vector<int64_t>{2, 9, 9, 18} : std::vector<int64_t>{2, 18, 9, 9};
    r.has_bias = true;
    r.bias_shape = {6};
    r.padding = {1};
    ConvParams p;
    ASSERT_TRUE(validate(r, &p).ok());
    const auto input = random_vector(rng, static_cast<size_t>(p.input_elements), -1, 1);
    const auto weight = random_vector(rng, static_cast<size_t>(p.weight_elements), -1, 1);
    const auto offset = random_vector(rng, static_cast<size_t>(p.offset_elements), -2, 2);
    const auto mask = random_vector(rng, static_cast<size_t>(p.mask_elements), 0, 1);
    const auto bias = random_vector(rng, 6, -1, 1);
    std::vector<float> output(static_cast<size_t>(p.output_elements));
    for (int threads : {1, 3}) {
      ThreadPool pool(threads);
      g_news = 0;
      g_counting = true;
      const Status s = deform_conv2d_forward(
          p, {input.data(), weight.data(), offset.data(), mask.data(), bias.data(), output.data()}, pool);
      g_counting = false;
      EXPECT_TRUE(s.ok()) << s.message();
      EXPECT_EQ(g_news.load(), 0) << (nhwc ? "NHWC" : "NCHW") << ", " << threads << " threads";
    }
  }
}

}  // namespace
}  // namespace dcn::testing

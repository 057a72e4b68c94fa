// Values that break careless code: NaN and infinite offsets, NaN in every tensor, shapes whose sizes
// overflow, calls that cannot fit in WebAssembly's 4 GiB. The forward pass must follow torchvision's CPU
// kernel (NaN reaches exactly the outputs it touches; infinite and huge offsets sample outside), never read
// outside its tensors, and never convert NaN or a huge float to an integer (the sanitizer build checks that).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "deformconv.h"
#include "reference_dcn.h"
#include "test_util.h"

namespace dcn::testing {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

// A torchvision NCHW call with its data; mask and bias empty when absent.
struct Call {
  ConvRequest request;
  std::vector<float> input, weight, offset, mask, bias;
};

// Copies of the tensors placed between blocks of NaN, so that a read outside a tensor shows up as NaN in an
// output that should have none.
struct Guarded {
  std::vector<float> storage;
  size_t begin = 0;
  explicit Guarded(const std::vector<float>& v) : storage(v.size() + 2048, kNaN), begin(1024) {
    std::copy(v.begin(), v.end(), storage.begin() + static_cast<std::ptrdiff_t>(begin));
  }
  const float* data() const { return storage.data() + begin; }
};

struct Variant {
  Convention convention;
  DataFormat format;
  int threads;
};
constexpr Variant kVariants[] = {{Convention::kTorchvision, DataFormat::kNCHW, 1},
                                 {Convention::kTorchvision, DataFormat::kNHWC, 3},
                                 {Convention::kMindSpore, DataFormat::kNCHW, 2},
                                 {Convention::kMindSpore, DataFormat::kNHWC, 1}};

// Runs the call in a variant and returns the output in NCHW.
std::vector<float> run(const Call& c, const Variant& v) {
  ConvParams tv;
  EXPECT_TRUE(validate(c.request, &tv).ok());
  ConvRequest r = c.request;
  std::vector<float> input = c.input, offset = c.offset, mask = c.mask;
  std::vector<int64_t> offset_nchw = r.offset_shape;
  if (v.convention == Convention::kMindSpore) {
    offset = mindspore_offsets(tv, c.offset, c.mask);  // a mask of ones without one
    mask.clear();
    to_mindspore_request(tv, true, &r);
    offset_nchw = r.offset_shape;
  }
  if (v.format == DataFormat::kNHWC) {
    r.data_format = DataFormat::kNHWC;
    input = to_nhwc(input, r.input_shape);
    offset = to_nhwc(offset, offset_nchw);
    r.input_shape = nhwc_shape(r.input_shape);
    r.offset_shape = nhwc_shape(offset_nchw);
    if (r.has_mask) {
      mask = to_nhwc(mask, r.mask_shape);
      r.mask_shape = nhwc_shape(r.mask_shape);
    }
  }
  ConvParams p;
  Status s = validate(r, &p);
  EXPECT_TRUE(s.ok()) << s.message();
  const Guarded g_input(input), g_weight(c.weight), g_offset(offset), g_mask(mask), g_bias(c.bias);
  std::vector<float> output(static_cast<size_t>(p.output_elements), -777.0f);
  ThreadPool pool(v.threads);
  s = deform_conv2d_forward(p, {g_input.data(), g_weight.data(), g_offset.data(), r.has_mask ? g_mask.data() : nullptr,
                                r.has_bias ? g_bias.data() : nullptr, output.data()}, pool);
  EXPECT_TRUE(s.ok()) << s.message();
  if (v.format == DataFormat::kNHWC) output = to_nchw(output, tv.output_shape());
  return output;
}

std::string name(const Variant& v) {
  return std::string(v.convention == Convention::kMindSpore ? "mindspore" : "torchvision") +
         (v.format == DataFormat::kNHWC ? " NHWC" : " NCHW") + " threads " + std::to_string(v.threads);
}

// input (1, 2, 4, 4), a 1x1 kernel, so output pixel q is exactly the sample at pixel q + (dy, dx); two
// output channels with weights (1, 0) and (0.5, 2).
Call one_sample_per_pixel(const std::vector<float>& dy, const std::vector<float>& dx, const std::vector<float>& mask) {
  Call c;
  c.request.input_shape = {1, 2, 4, 4};
  c.request.weight_shape = {2, 2, 1, 1};
  c.request.offset_shape = {1, 2, 4, 4};
  c.request.has_mask = true;
  c.request.mask_shape = {1, 1, 4, 4};
  std::mt19937 rng(5);
  c.input = random_vector(rng, 32, -1.0f, 1.0f);
  c.weight = {1.0f, 0.0f, 0.5f, 2.0f};
  c.offset.resize(32);
  for (size_t q = 0; q < 16; ++q) {
    c.offset[q] = dy[q];
    c.offset[16 + q] = dx[q];
  }
  c.mask = mask;
  return c;
}

TEST(HostileValues, NanAndInfiniteOffsetsFollowTorchvision) {
  // Pixel q sits at (q / 4, q % 4); y = q / 4 + dy, x = q % 4 + dx.
  const std::vector<float> dy = {kNaN, 0, kNaN, 1e30f, kNaN, -kInf, kInf, -1e30f, 0, 0, kNaN, -3, 3e38f, 0.5f, 1e30f, 0.25f};
  const std::vector<float> dx = {0, kNaN, 1e30f, kNaN, -kInf, kNaN, 0, 0, -1e30f, kInf, kNaN, 0, 3e38f, 0.5f, 0, -0.5f};
  std::vector<float> mask(16, 1.0f);
  mask[13] = kNaN;  // inside: NaN weights
  mask[14] = kNaN;  // outside: 0 * NaN
  // What each pixel must be: 'n' NaN, '0' exactly zero, 'v' a finite interpolation.
  const std::string want = "nn00000000n00nnv";
  const Call c = one_sample_per_pixel(dy, dx, mask);
  ConvParams p;
  ASSERT_TRUE(validate(c.request, &p).ok());
  const std::vector<double> ref = reference_forward(p, c.input, c.weight, c.offset, c.mask, c.bias, true);
  for (size_t q = 0; q < 16; ++q) {
    for (size_t co = 0; co < 2; ++co) {
      const double r = ref[co * 16 + q];
      SCOPED_TRACE(::testing::Message() << "reference, pixel " << q << " channel " << co);
      if (want[q] == 'n') EXPECT_TRUE(std::isnan(r));
      if (want[q] == '0') EXPECT_EQ(r, 0.0);
      if (want[q] == 'v') EXPECT_TRUE(std::isfinite(r) && r != 0.0);
    }
  }
  for (const Variant& v : kVariants) {
    SCOPED_TRACE(name(v));
    const std::vector<float> out = run(c, v);
    EXPECT_TRUE(all_close(out, ref, 1e-6));
    for (size_t q = 0; q < 16; ++q) {
      for (size_t co = 0; co < 2; ++co) {
        if (want[q] == 'n') EXPECT_TRUE(std::isnan(out[co * 16 + q])) << "pixel " << q;
        if (want[q] == '0') EXPECT_EQ(out[co * 16 + q], 0.0f) << "pixel " << q;
      }
    }
  }
}

// NaN in the input reaches the samples whose corners read it, even with a bilinear weight of 0 (as
// torchvision: 0 * NaN), and no other; NaN in a weight reaches its own output channel only; NaN in the
// bias only its channel; NaN around the tensors is never read.
TEST(HostileValues, NanInTensorsReachesExactlyTheOutputsItTouches) {
  std::vector<float> dy(16, 0.0f), dx(16, 0.0f);
  const Call base = one_sample_per_pixel(dy, dx, std::vector<float>(16, 1.0f));
  for (const Variant& v : kVariants) {
    SCOPED_TRACE(name(v));
    for (float& x : std::vector<float>(run(base, v))) EXPECT_TRUE(std::isfinite(x));
  }

  Call c = base;
  c.input[5] = kNaN;  // channel 0, pixel (1, 1)
  // Pixel 0 samples (0.5, 0.5): its corners (0,0), (0,1), (1,0), (1,1) include the NaN. Pixels 1, 4 and 5
  // sample (0, 1), (1, 0) and (1, 1) exactly: (1, 1) is one of their corners, with weight 0 for pixels 1
  // and 4, and NaN all the same. Pixel 10 samples (2, 2): its corners are rows 2 and 3.
  c.offset[0] = 0.5f;
  c.offset[16] = 0.5f;
  ConvParams p;
  ASSERT_TRUE(validate(c.request, &p).ok());
  const std::vector<double> ref = reference_forward(p, c.input, c.weight, c.offset, c.mask, c.bias, true);
  EXPECT_TRUE(std::isnan(ref[0]) && std::isnan(ref[1]) && std::isnan(ref[4]) && std::isnan(ref[5]) && !std::isnan(ref[10]));
  for (const Variant& v : kVariants) {
    SCOPED_TRACE(name(v));
    const std::vector<float> out = run(c, v);
    EXPECT_TRUE(all_close(out, ref, 1e-6));
    size_t nans = 0;
    for (float x : out) nans += std::isnan(x);
    EXPECT_EQ(nans, 8u);  // pixels 0, 1, 4 and 5 of both output channels (both read input channel 0)
  }

  c = base;
  c.weight[3] = kNaN;  // output channel 1
  c.request.has_bias = true;
  c.request.bias_shape = {2};
  c.bias = {kNaN, 0.5f};
  for (const Variant& v : kVariants) {
    SCOPED_TRACE(name(v));
    for (float x : run(c, v)) EXPECT_TRUE(std::isnan(x));  // channel 0 by its bias, channel 1 by its weight
  }
  c.bias = {0.25f, 0.5f};
  for (const Variant& v : kVariants) {
    SCOPED_TRACE(name(v));
    const std::vector<float> out = run(c, v);
    for (size_t q = 0; q < 16; ++q) {
      EXPECT_TRUE(std::isfinite(out[q]));
      EXPECT_TRUE(std::isnan(out[16 + q]));
    }
  }
}

// Weight groups stay apart whatever the GEMM does with them: NaN and infinity in one group's input channels
// reach that group's outputs and no other group's, also for groups narrower than a GEMM panel (2 and 1 input
// channels per group), whose columns the forward gathers several groups at a time.
TEST(HostileValues, NonFiniteInputStaysInItsWeightGroup) {
  for (const int64_t cg_in : {2, 1}) {
    const int64_t groups = 8, C = groups * cg_in, Cout = 2 * groups, H = 5, W = 6;
    ConvRequest r;
    r.input_shape = {1, C, H, W};
    r.weight_shape = {Cout, cg_in, 3, 3};
    r.offset_shape = {1, 18, H, W};
    r.has_mask = true;
    r.mask_shape = {1, 9, H, W};
    r.padding = {1, 1};
    ConvParams p;
    ASSERT_TRUE(validate(r, &p).ok());
    std::mt19937 rng(7);
    std::vector<float> input = random_vector(rng, static_cast<size_t>(p.input_elements), -1, 1);
    const std::vector<float> weight = random_vector(rng, static_cast<size_t>(p.weight_elements), -1, 1);
    const std::vector<float> offset = random_vector(rng, static_cast<size_t>(p.offset_elements), -1, 1);
    const std::vector<float> mask = random_vector(rng, static_cast<size_t>(p.mask_elements), 0, 1);
    input[static_cast<size_t>(cg_in * 1 * H * W + 7)] = kNaN;  // group 1
    input[static_cast<size_t>(cg_in * 5 * H * W + 14)] = kInf;  // group 5
    for (int threads : {1, 2, 3}) {
      SCOPED_TRACE(::testing::Message() << cg_in << " input channels per group, " << threads << " threads");
      std::vector<float> out(static_cast<size_t>(p.output_elements));
      const ForwardTensors t{input.data(), weight.data(), offset.data(), mask.data(), nullptr, out.data()};
      ThreadPool pool(threads);
      ASSERT_TRUE(deform_conv2d_forward(p, t, pool).ok());
      for (int64_t co = 0; co < Cout; ++co) {
        const int64_t group = co / 2;
        bool any_non_finite = false;
        for (int64_t q = 0; q < H * W; ++q) {
          const float y = out[static_cast<size_t>(co * H * W + q)];
          any_non_finite |= !std::isfinite(y);
          if (group != 1 && group != 5) ASSERT_TRUE(std::isfinite(y)) << "output channel " << co << " pixel " << q;
        }
        if (group == 1 || group == 5) EXPECT_TRUE(any_non_finite) << "output channel " << co;
      }
    }
  }
}

// Regression (found by UndefinedBehaviorSanitizer, see tests/fuzz/README.md): the element count of a shape
// of four huge dimensions was formed in double and converted to uint64_t, undefined behaviour beyond 2^64.
TEST(HostileValues, HugeShapesAreReportedExactly) {
  const int64_t M = 2147483647;
  ConvRequest r;
  r.input_shape = {M, M, M, M};
  r.weight_shape = {1, M, 1, 1};
  r.offset_shape = {M, 2, M, M};
  ConvParams p;
  const Status s = validate(r, &p);
  EXPECT_EQ(s.kind(), ErrorKind::kRange);
  EXPECT_EQ(s.message(), "input of shape [2147483647, 2147483647, 2147483647, 2147483647] has "
                         "21267647892944572736998860269687930881 elements (85070591571778290947995441078751723524 "
                         "bytes as float32), more than the limit of 2147483647 elements");
}

// MindSpore's offsets channel rule 3 * deformableGroups * kh * kw can exceed every shape: the message says so
// instead of printing an overflowed number.
TEST(HostileValues, OffsetChannelRuleBeyondTheLimit) {
  ConvRequest r;
  r.convention = Convention::kMindSpore;
  r.input_shape = {1, 65536, 65535, 32768};
  r.weight_shape = {65536, 1, 65535, 32768};  // kh * kw = 2147450880, just below 2^31
  r.offset_shape = {1, 27, 1, 1};
  r.kernel_size = {65535, 32768};
  r.stride = r.dilation = {1, 1, 1, 1};
  r.padding = {0, 0, 0, 0};
  r.groups = 65536;
  r.offset_groups = 65536;
  ConvParams p;
  const Status s = validate(r, &p);
  EXPECT_EQ(s.message(), "offsets: shape[1] must be 3 * deformableGroups * kh * kw = more than 2147483647, got 27");
}

// Every tensor is within the element limit but together they need more than WebAssembly's 4 GiB: a
// RangeError saying how much, before anything is allocated. Natively the address space is the limit.
TEST(HostileValues, CallsBeyondFourGibAreRejectedBeforeAllocation) {
  ConvRequest r;
  r.input_shape = {1, 1024, 1024, 1024};  // 2^30 floats: 4 GiB alone
  r.weight_shape = {1, 1024, 1, 1};
  r.offset_shape = {1, 2, 1024, 1024};
  ConvParams p;
  ASSERT_TRUE(validate(r, &p).ok());
  const Status s = check_forward_memory(p, 2, uint64_t{1} << 32);
  EXPECT_EQ(s.kind(), ErrorKind::kRange);
  EXPECT_EQ(s.message().rfind("input of shape [1, 1024, 1024, 1024] takes 4294967296 bytes; the call needs ", 0), 0u)
      << s.message();
  EXPECT_NE(s.message().find("more than the 4294967296 bytes (4 GiB) this build can address (WebAssembly memory is at most 4 GiB)"),
            std::string::npos) << s.message();
  EXPECT_TRUE(check_forward_memory(p, 2).ok() || sizeof(void*) == 4);

  // Just under the limit passes; the same shape with one more thread's workspace may not, so the limit
  // is computed from the real workspace.
  r.input_shape = {1, 16, 64, 64};
  r.weight_shape = {16, 16, 3, 3};
  r.offset_shape = {1, 18, 62, 62};
  ASSERT_TRUE(validate(r, &p).ok());
  const int64_t tensors = 4 * (p.input_elements + p.weight_elements + p.offset_elements + p.output_elements);
  const int64_t needed = tensors + forward_workspace_bytes(p, 2);
  EXPECT_TRUE(check_forward_memory(p, 2, static_cast<uint64_t>(needed)).ok());
  const Status over = check_forward_memory(p, 2, static_cast<uint64_t>(needed - 1));
  EXPECT_EQ(over.kind(), ErrorKind::kRange);
  EXPECT_NE(over.message().find("the call needs " + std::to_string(needed) + " bytes"), std::string::npos) << over.message();
}

}  // namespace
}  // namespace dcn::testing

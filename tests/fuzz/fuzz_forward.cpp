// libFuzzer target over the core: the validator, the forward pass and the backward pass, under
// AddressSanitizer and UndefinedBehaviorSanitizer (scripts/test.sh builds it in build/asan with clang and
// runs it for a bounded time over the seed corpus tests/fuzz/corpus/).
//
// Pipeline for one input (the byte format is in tests/fuzz/README.md; tests/fuzz/make-corpus.mjs writes seeds):
//   byte 0 picks the mode.
//   raw mode:     every shape, rank and attribute is read from the bytes, including 0, negative and
//                 2^31..2^63 values, so the validator sees arbitrary requests. A request it accepts that is
//                 small enough is run forward (and backward) with data from the bytes: the sanitizers catch
//                 any read or write outside the tensors the shapes describe.
//   derived mode: a valid call is built from small parameters (groups, offset groups, kernel, stride,
//                 padding, dilation, sizes) in torchvision's NCHW layout, with values from the bytes that
//                 include NaN, infinities and huge offsets. It is run in the convention, data format and
//                 thread count the bytes choose and compared with the double-precision reference
//                 (tests/native/reference_dcn.h): the same NaN positions, values within 1e-4 of the sum of
//                 absolute terms. The backward pass runs too and must give finite gradients for finite data.
// Any disagreement calls __builtin_trap(), which libFuzzer reports as a crash with the input saved.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

#include "deformconv.h"
#include "reference_dcn.h"

namespace {

using dcn::ConvParams;
using dcn::ConvRequest;
using dcn::Convention;
using dcn::DataFormat;

// Reads the input front to back; past its end every read is 0.
class ByteReader {
 public:
  ByteReader(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  bool done() const { return pos_ >= size_; }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "fuzz_forward: %s\n", what);
  __builtin_trap();
}

// ---------------------------------------------------------------- raw mode: arbitrary requests

// A dimension or attribute value: mostly small, sometimes one of the values that break careless arithmetic.
int64_t read_value(ByteReader& in) {
  static constexpr int64_t kSpecial[] = {
      0, -1, -2, 46340, 46341, 65535, 65536, 65537, 1 << 20, 1 << 30, 3LL << 29,
      INT32_MAX, int64_t{INT32_MAX} + 1, int64_t{UINT32_MAX}, int64_t{UINT32_MAX} + 1, 1LL << 33, 1LL << 62,
      INT64_MAX, INT64_MIN, INT64_MIN + 1, -(1LL << 31), 715827883 /* 2^31 / 3 */, 1431655765, 536870912};
  const uint8_t code = in.byte();
  constexpr int kSmall = 256 - static_cast<int>(sizeof(kSpecial) / sizeof(kSpecial[0]));
  if (code < kSmall) return code;
  return kSpecial[code - kSmall];
}

std::vector<int64_t> read_list(ByteReader& in, int max_length) {
  const uint8_t head = in.byte();
  // Mostly the usual length for the slot (head < 192 means "4"), otherwise 0..max_length entries.
  const int length = head < 192 ? 4 : head % (max_length + 1);
  std::vector<int64_t> out;
  for (int i = 0; i < length; ++i) out.push_back(read_value(in));
  return out;
}

ConvRequest read_raw_request(ByteReader& in) {
  ConvRequest r;
  const uint8_t flags = in.byte();
  r.convention = flags & 1 ? Convention::kMindSpore : Convention::kTorchvision;
  r.data_format = flags & 2 ? DataFormat::kNHWC : DataFormat::kNCHW;
  r.has_mask = flags & 4;
  r.has_bias = flags & 8;
  r.modulated = flags & 16;
  r.input_shape = read_list(in, 6);
  r.weight_shape = read_list(in, 6);
  r.offset_shape = read_list(in, 6);
  if (r.has_mask) r.mask_shape = read_list(in, 6);
  if (r.has_bias) r.bias_shape = read_list(in, 2);
  r.stride = read_list(in, 5);
  r.padding = read_list(in, 5);
  r.dilation = read_list(in, 5);
  r.kernel_size = read_list(in, 3);
  r.groups = read_value(in);
  r.offset_groups = read_value(in);
  if (flags & 32) r.grad_output_shape = read_list(in, 6);
  return r;
}

// ---------------------------------------------------------------- data values

enum class ValueKind { kFinite, kWithNaN, kOffset };

// A float from the bytes: small values on a 1/16 grid (exact in float, so ties and integer positions occur),
// and for offsets the values at and beyond the window edges, infinities and 1e30.
float read_float(ByteReader& in, ValueKind kind, int64_t height, int64_t width, uint32_t* fallback) {
  if (in.done()) {
    // Out of bytes: a deterministic sequence seeded from the input, small values only.
    *fallback = *fallback * 1664525u + 1013904223u;
    return static_cast<float>(static_cast<int32_t>(*fallback >> 20) - 2048) / 512.0f;
  }
  const uint8_t code = in.byte();
  if (code < 200 || kind == ValueKind::kFinite) return static_cast<float>(static_cast<int>(code % 200) - 100) / 16.0f;
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  if (kind == ValueKind::kWithNaN) return code < 216 ? nan : 1e-40f;  // NaN, or a subnormal
  const float h = static_cast<float>(height), w = static_cast<float>(width);
  const float table[] = {nan, inf, -inf, 1e30f, -1e30f, -1.0f, h, w, -h - 1, -w - 1,
                         std::nextafter(-1.0f, 0.0f), std::nextafter(h, 0.0f), std::nextafter(w, 0.0f),
                         -0.0f, 1e-40f, 3e38f, -3e38f, 0.5f, -0.5f, 2.0f * h, nan, -2.0f * w, 16777216.0f,
                         -16777217.0f, 1e10f, -1e10f, std::nextafter(-1.0f, -2.0f), h - 1, w - 1, 0.99999994f,
                         -0.99999994f, 1.0f, h + 0.5f, -1.5f, nan, inf, -inf, 7.0f, -7.0f, 0.25f, -0.25f,
                         123456.7f, -98765.4f, 1.0e-3f, -1.0e-3f, 8388607.5f, -8388608.5f, 2.5f, -2.5f, 3.0f,
                         -3.0f, 4.0f, -4.0f, 5.5f, -5.5f, 0.75f};
  return table[(code - 200) % (sizeof(table) / sizeof(table[0]))];
}

std::vector<float> read_floats(ByteReader& in, int64_t count, ValueKind kind, int64_t h, int64_t w, uint32_t* fallback) {
  std::vector<float> v(static_cast<size_t>(count));
  for (float& x : v) x = read_float(in, kind, h, w, fallback);
  return v;
}

int64_t elements(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

dcn::ThreadPool& pool_of(int threads) {
  static std::unique_ptr<dcn::ThreadPool> pools[4];
  if (!pools[threads - 1]) pools[threads - 1] = std::make_unique<dcn::ThreadPool>(threads);
  return *pools[threads - 1];
}

// Forward and backward of a validated call on data from the bytes; only memory safety is checked here.
void run_raw(const ConvParams& p, ByteReader& in, int threads, uint32_t* fallback) {
  const ValueKind any = ValueKind::kOffset;
  std::vector<float> input = read_floats(in, p.input_elements, any, p.in_height, p.in_width, fallback);
  std::vector<float> weight = read_floats(in, p.weight_elements, any, 1, 1, fallback);
  std::vector<float> offset = read_floats(in, p.offset_elements, any, p.in_height, p.in_width, fallback);
  std::vector<float> mask = read_floats(in, p.mask_elements, any, 1, 1, fallback);
  std::vector<float> bias = read_floats(in, p.bias_elements, any, 1, 1, fallback);
  // Exactly sized outputs (std::vector, so AddressSanitizer sees one past the end).
  std::vector<float> output(static_cast<size_t>(p.output_elements));
  dcn::ForwardTensors t{input.data(), weight.data(), offset.data(), p.mask_elements ? mask.data() : nullptr,
                        p.has_bias ? bias.data() : nullptr, output.data()};
  dcn::Status s = dcn::deform_conv2d_forward(p, t, pool_of(threads));
  if (!s.ok()) fail("forward failed on a validated call");

  std::vector<float> grad_output = read_floats(in, p.output_elements, any, 1, 1, fallback);
  std::vector<float> grad_input(input.size()), grad_weight(weight.size()), grad_offset(offset.size()),
      grad_mask(mask.size()), grad_bias(bias.size());
  dcn::BackwardTensors b;
  b.grad_output = grad_output.data();
  b.input = input.data();
  b.weight = weight.data();
  b.offset = offset.data();
  b.mask = t.mask;
  b.bias = t.bias;
  b.grad_input = grad_input.data();
  b.grad_offset = grad_offset.data();
  b.grad_mask = p.mask_elements ? grad_mask.data() : nullptr;
  b.grad_weight = grad_weight.data();
  b.grad_bias = p.has_bias ? grad_bias.data() : nullptr;
  s = dcn::deform_conv2d_backward(p, b, pool_of(threads));
  if (!s.ok()) fail("backward failed on a validated call");
}

// Small enough to run many times a second under the sanitizers.
bool small_enough(const ConvParams& p) {
  constexpr int64_t kMaxTensor = 1 << 14;
  return p.input_elements <= kMaxTensor && p.weight_elements <= kMaxTensor && p.offset_elements <= kMaxTensor &&
         p.mask_elements <= kMaxTensor && p.output_elements <= kMaxTensor && p.forward_flops() <= 4e6;
}

void fuzz_raw(ByteReader& in, uint32_t* fallback) {
  const ConvRequest r = read_raw_request(in);
  ConvParams p;
  const dcn::Status s = dcn::validate(r, &p);
  // DCN_FUZZ_VERBOSE=1: say what the validator made of each input (to check the seed corpus).
  static const bool verbose = std::getenv("DCN_FUZZ_VERBOSE") != nullptr;
  if (verbose) std::fprintf(stderr, "raw request: %s\n", s.ok() ? "valid" : s.message().c_str());
  if (!s.ok()) {
    if (s.message().empty() || s.kind() == dcn::ErrorKind::kNone) fail("a rejection without a message");
    return;
  }
  // What validate() promises: positive sizes below the element limit, consistent with the output shape.
  if (p.out_height < 1 || p.out_width < 1 || p.output_elements != elements(p.output_shape()) ||
      p.input_elements != elements(r.input_shape) || p.offset_elements != elements(r.offset_shape) ||
      p.in_channels % p.groups != 0 || p.out_channels % p.groups != 0 || p.in_channels % p.offset_groups != 0) {
    fail("validate() accepted inconsistent sizes");
  }
  // The workspace estimate must not refuse small work on small tensors. The tensors themselves may be large even
  // when the work is nil (no output channels, for instance): such a call is rightly refused, so only a call whose
  // tensors take under 1 GiB counts here.
  uint64_t tensor_bytes = 0;
  for (const dcn::TensorSize& t : dcn::forward_tensors(p)) tensor_bytes += 4 * static_cast<uint64_t>(elements(t.shape));
  if (p.forward_flops() < 1e3 && tensor_bytes < (uint64_t{1} << 30) &&
      !dcn::check_forward_memory(p, 2, uint64_t{1} << 32).ok()) {
    fail("a call with tiny work on small tensors does not fit in 4 GiB: its workspace is overcounted");
  }
  if (!small_enough(p)) return;
  const int threads = 1 + in.byte() % 4;
  ConvRequest with_grad = r;
  with_grad.grad_output_shape = p.output_shape();
  if (!dcn::validate(with_grad, &p).ok()) fail("the output shape is not a valid grad_output shape");
  run_raw(p, in, threads, fallback);
}

// ---------------------------------------------------------------- derived mode: valid calls vs the reference

// One call in torchvision's NCHW layout (the reference's), and how to run it.
struct DerivedCall {
  ConvRequest request;  // torchvision, NCHW
  std::vector<float> input, weight, offset, mask, bias, grad_output;
  Convention convention;
  DataFormat format;
  int threads;
  bool modulated;  // MindSpore: false runs DCNv1 (the mask block is ignored)
};

DerivedCall read_derived_call(ByteReader& in, uint32_t* fallback) {
  DerivedCall c;
  const uint8_t flags = in.byte();
  c.convention = flags & 1 ? Convention::kMindSpore : Convention::kTorchvision;
  c.format = flags & 2 ? DataFormat::kNHWC : DataFormat::kNCHW;
  const bool mask = flags & 4, bias = flags & 8;
  c.threads = 1 + ((flags >> 4) & 3);
  const int64_t groups = 1 + in.byte() % 3, offset_groups = 1 + in.byte() % 3;
  const int64_t channels = groups * offset_groups * (1 + in.byte() % 3);
  const int64_t out_channels = groups * (1 + in.byte() % 3);
  const int64_t kh = 1 + in.byte() % 4, kw = 1 + in.byte() % 4;
  const int64_t sh = 1 + in.byte() % 3, sw = 1 + in.byte() % 3, dh = 1 + in.byte() % 3, dw = 1 + in.byte() % 3;
  const int64_t pt = in.byte() % 3, pb = in.byte() % 3, pl = in.byte() % 3, pr = in.byte() % 3;
  const int64_t batch = 1 + in.byte() % 2;
  const int64_t height = std::max<int64_t>(1 + in.byte() % 9, dh * (kh - 1) + 1 - pt - pb);
  const int64_t width = std::max<int64_t>(1 + in.byte() % 9, dw * (kw - 1) + 1 - pl - pr);
  const int64_t ho = (height + pt + pb - (dh * (kh - 1) + 1)) / sh + 1;
  const int64_t wo = (width + pl + pr - (dw * (kw - 1) + 1)) / sw + 1;
  const int64_t taps = kh * kw;
  ConvRequest& r = c.request;
  r.input_shape = {batch, channels, height, width};
  r.weight_shape = {out_channels, channels / groups, kh, kw};
  r.offset_shape = {batch, 2 * offset_groups * taps, ho, wo};
  r.has_mask = mask;
  if (mask) r.mask_shape = {batch, offset_groups * taps, ho, wo};
  r.has_bias = bias;
  if (bias) r.bias_shape = {out_channels};
  r.stride = {sh, sw};
  r.padding = {pt, pb, pl, pr};
  r.dilation = {dh, dw};
  c.modulated = mask;
  // Values: offsets first (the interesting part), then the rest; NaN allowed everywhere except the
  // grad_output, infinities and huge values in offsets only (so float and double sums stay comparable).
  c.offset = read_floats(in, elements(r.offset_shape), ValueKind::kOffset, height, width, fallback);
  if (mask) c.mask = read_floats(in, elements(r.mask_shape), ValueKind::kWithNaN, 1, 1, fallback);
  c.input = read_floats(in, elements(r.input_shape), ValueKind::kWithNaN, 1, 1, fallback);
  c.weight = read_floats(in, elements(r.weight_shape), ValueKind::kWithNaN, 1, 1, fallback);
  if (bias) c.bias = read_floats(in, out_channels, ValueKind::kWithNaN, 1, 1, fallback);
  c.grad_output = read_floats(in, batch * out_channels * ho * wo, ValueKind::kFinite, 1, 1, fallback);
  return c;
}

// (N, C, H, W) -> (N, H, W, C), and back.
std::vector<float> nchw_to_nhwc(const std::vector<float>& x, const std::vector<int64_t>& s) {
  const int64_t N = s[0], C = s[1], P = s[2] * s[3];
  std::vector<float> y(x.size());
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t q = 0; q < P; ++q) y[static_cast<size_t>((n * P + q) * C + c)] = x[static_cast<size_t>((n * C + c) * P + q)];
  return y;
}
std::vector<float> nhwc_to_nchw(const std::vector<float>& y, const std::vector<int64_t>& s) {
  const int64_t N = s[0], C = s[1], P = s[2] * s[3];
  std::vector<float> x(y.size());
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t q = 0; q < P; ++q) x[static_cast<size_t>((n * C + c) * P + q)] = y[static_cast<size_t>((n * P + q) * C + c)];
  return x;
}

// The call in its chosen convention and data format: the request and the offset/mask/input data to pass.
struct VariantCall {
  ConvRequest request;
  std::vector<float> input, offset, mask;
};

VariantCall to_variant(const DerivedCall& c, const ConvParams& tv) {
  VariantCall v{c.request, c.input, c.offset, c.mask};
  ConvRequest& r = v.request;
  std::vector<int64_t> offset_nchw = r.offset_shape;
  if (c.convention == Convention::kMindSpore) {
    const int64_t block = tv.offset_groups * tv.taps(), pixels = tv.out_pixels();
    std::vector<float> ms(static_cast<size_t>(tv.batch * 3 * block * pixels));
    for (int64_t n = 0; n < tv.batch; ++n)
      for (int64_t k = 0; k < block; ++k)
        for (int64_t q = 0; q < pixels; ++q) {
          auto at = [&](int64_t b) { return static_cast<size_t>(((n * 3 + b) * block + k) * pixels + q); };
          ms[at(0)] = c.offset[static_cast<size_t>((n * block + k) * 2 * pixels + pixels + q)];  // dx
          ms[at(1)] = c.offset[static_cast<size_t>((n * block + k) * 2 * pixels + q)];           // dy
          // With modulated=false the mask block must be ignored: fill it with NaN to prove it.
          ms[at(2)] = c.mask.empty() ? std::numeric_limits<float>::quiet_NaN()
                                     : c.mask[static_cast<size_t>((n * block + k) * pixels + q)];
        }
    v.offset = ms;
    v.mask.clear();
    r.convention = Convention::kMindSpore;
    offset_nchw = {tv.batch, 3 * block, tv.out_height, tv.out_width};
    r.offset_shape = offset_nchw;
    r.has_mask = false;
    r.mask_shape.clear();
    r.stride = {1, 1, tv.stride_h, tv.stride_w};
    r.dilation = {1, 1, tv.dilation_h, tv.dilation_w};
    r.kernel_size = {tv.kernel_h, tv.kernel_w};
    r.groups = tv.groups;
    r.offset_groups = tv.offset_groups;
    r.modulated = c.modulated;
  }
  if (c.format == DataFormat::kNHWC) {
    auto nhwc = [](const std::vector<int64_t>& s) { return std::vector<int64_t>{s[0], s[2], s[3], s[1]}; };
    r.data_format = DataFormat::kNHWC;
    v.input = nchw_to_nhwc(v.input, r.input_shape);
    v.offset = nchw_to_nhwc(v.offset, offset_nchw);
    r.input_shape = nhwc(r.input_shape);
    r.offset_shape = nhwc(offset_nchw);
    if (r.has_mask) {
      v.mask = nchw_to_nhwc(v.mask, r.mask_shape);
      r.mask_shape = nhwc(r.mask_shape);
    }
  }
  return v;
}

std::vector<float> absolute(const std::vector<float>& v) {
  std::vector<float> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = std::fabs(v[i]);
  return out;
}

bool all_finite(const std::vector<float>& v) {
  for (float x : v) {
    if (!std::isfinite(x)) return false;
  }
  return true;
}

void fuzz_derived(ByteReader& in, uint32_t* fallback) {
  const DerivedCall c = read_derived_call(in, fallback);
  ConvParams tv;
  if (!dcn::validate(c.request, &tv).ok()) fail("a derived call is invalid");
  const VariantCall v = to_variant(c, tv);
  ConvParams p;
  if (!dcn::validate(v.request, &p).ok()) fail("a derived call is invalid in its variant");
  if (!dcn::check_forward_memory(p, c.threads, uint64_t{1} << 32).ok()) fail("a small call does not fit in 4 GiB");

  std::vector<float> output(static_cast<size_t>(p.output_elements));
  dcn::ForwardTensors t{v.input.data(), c.weight.data(), v.offset.data(), v.request.has_mask ? v.mask.data() : nullptr,
                        c.request.has_bias ? c.bias.data() : nullptr, output.data()};
  if (!dcn::deform_conv2d_forward(p, t, pool_of(c.threads)).ok()) fail("forward failed");
  if (c.format == DataFormat::kNHWC) output = nhwc_to_nchw(output, tv.output_shape());

  // The reference sees the mask only when the call uses one.
  const std::vector<float> no_mask;
  const std::vector<float>& mask = c.modulated ? c.mask : no_mask;
  const std::vector<double> want = dcn::testing::reference_forward(tv, c.input, c.weight, c.offset, mask, c.bias, true);
  const std::vector<double> scale = dcn::testing::reference_forward(
      tv, absolute(c.input), absolute(c.weight), c.offset, absolute(mask), absolute(c.bias), true);
  for (size_t i = 0; i < want.size(); ++i) {
    const double ours = output[i], ref = want[i];
    if (std::isnan(ours) != std::isnan(ref)) {
      std::fprintf(stderr, "element %zu: ours %g, reference %g\n", i, ours, ref);
      fail("NaN where the reference has none, or a number where it has NaN");
    }
    if (!std::isnan(ref) && !(std::fabs(ours - ref) <= 1e-4 * (1.0 + scale[i]))) {
      std::fprintf(stderr, "element %zu: ours %.9g, reference %.9g, scale %g\n", i, ours, ref, scale[i]);
      fail("forward differs from the reference");
    }
  }

  // Backward: memory safety, and finite gradients when every value is finite (infinite or huge offsets
  // only move a sample outside).
  ConvRequest with_grad = v.request;
  with_grad.grad_output_shape = p.output_shape();
  if (!dcn::validate(with_grad, &p).ok()) fail("grad_output shape rejected");
  std::vector<float> grad_output = c.grad_output;
  if (c.format == DataFormat::kNHWC) grad_output = nchw_to_nhwc(grad_output, tv.output_shape());
  std::vector<float> grad_input(v.input.size()), grad_weight(c.weight.size()), grad_offset(v.offset.size()),
      grad_mask(v.mask.size()), grad_bias(c.bias.size());
  dcn::BackwardTensors b;
  b.grad_output = grad_output.data();
  b.input = t.input;
  b.weight = t.weight;
  b.offset = t.offset;
  b.mask = t.mask;
  b.bias = t.bias;
  b.grad_input = grad_input.data();
  b.grad_offset = grad_offset.data();
  b.grad_mask = v.request.has_mask ? grad_mask.data() : nullptr;
  b.grad_weight = grad_weight.data();
  b.grad_bias = c.request.has_bias ? grad_bias.data() : nullptr;
  if (!dcn::deform_conv2d_backward(p, b, pool_of(c.threads)).ok()) fail("backward failed");
  bool finite_data = all_finite(c.input) && all_finite(c.weight) && all_finite(mask) && all_finite(c.bias);
  for (float o : c.offset) finite_data = finite_data && !std::isnan(o);
  // (A MindSpore call without modulation carries a NaN mask block, which must be ignored.)
  if (finite_data && !(all_finite(grad_input) && all_finite(grad_weight) && all_finite(grad_bias) &&
                       all_finite(grad_mask) && all_finite(grad_offset))) {
    fail("a non-finite gradient from finite data");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteReader in(data, size);
  uint32_t fallback = 2166136261u;
  for (size_t i = 0; i < size; ++i) fallback = (fallback ^ data[i]) * 16777619u;
  const uint8_t mode = in.byte();
  if (mode % 2 == 0) {
    fuzz_derived(in, &fallback);
  } else {
    fuzz_raw(in, &fallback);
  }
  return 0;
}

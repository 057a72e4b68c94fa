// Every case of tests/golden through the native forward pass: both conventions, both data formats,
// one and several threads, at the project's forward tolerance 2e-5 * (1 + |ref|).
#include <gtest/gtest.h>

#include "deformconv.h"
#include "golden_case.h"
#include "test_util.h"

namespace dcn::testing {
namespace {

constexpr double kForwardTolerance = 2e-5;

struct Variant {
  Convention convention;
  DataFormat format;
  int threads;
};

std::vector<float> run_forward(const GoldenCase& c, const Variant& v) {
  ConvRequest r = v.convention == Convention::kMindSpore ? c.mindspore_request() : c.torchvision_request();
  r.data_format = v.format;
  const bool nhwc = v.format == DataFormat::kNHWC;
  std::vector<float> input = c.input, offset = v.convention == Convention::kMindSpore ? c.offsets_mindspore : c.offset,
                     mask = v.convention == Convention::kMindSpore ? std::vector<float>() : c.mask;
  if (nhwc) {
    input = to_nhwc(input, r.input_shape);
    offset = to_nhwc(offset, r.offset_shape);
    if (r.has_mask) mask = to_nhwc(mask, r.mask_shape);
    r.input_shape = nhwc_shape(r.input_shape);
    r.offset_shape = nhwc_shape(r.offset_shape);
    if (r.has_mask) r.mask_shape = nhwc_shape(r.mask_shape);
  }
  ConvParams p;
  Status s = validate(r, &p);
  EXPECT_TRUE(s.ok()) << s.message();
  std::vector<float> output(static_cast<size_t>(p.output_elements), -12345.0f);
  ThreadPool pool(v.threads);
  ForwardTensors t{input.data(), c.weight.data(), offset.data(), r.has_mask ? mask.data() : nullptr,
                   r.has_bias ? c.bias.data() : nullptr, output.data()};
  s = deform_conv2d_forward(p, t, pool);
  EXPECT_TRUE(s.ok()) << s.message();
  if (nhwc) {
    const std::vector<int64_t> out_nchw = c.shape("output");
    output = to_nchw(output, out_nchw);
  }
  return output;
}

class ForwardGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(ForwardGolden, AllConventionsFormatsAndThreadCounts) {
  const GoldenCase c = load_golden(GetParam());
  for (Variant v : {Variant{Convention::kTorchvision, DataFormat::kNCHW, 1},
                    Variant{Convention::kTorchvision, DataFormat::kNCHW, 3},
                    Variant{Convention::kMindSpore, DataFormat::kNCHW, 2},
                    Variant{Convention::kTorchvision, DataFormat::kNHWC, 2},
                    Variant{Convention::kMindSpore, DataFormat::kNHWC, 1}}) {
    SCOPED_TRACE(::testing::Message() << c.name << (v.convention == Convention::kMindSpore ? " mindspore" : " torchvision")
                                      << (v.format == DataFormat::kNHWC ? " NHWC" : " NCHW") << " threads " << v.threads);
    EXPECT_TRUE(all_close(run_forward(c, v), c.output, kForwardTolerance));
  }
}

std::string case_name(const ::testing::TestParamInfo<std::string>& info) {
  return std::filesystem::path(info.param).stem().string();
}

INSTANTIATE_TEST_SUITE_P(Golden, ForwardGolden, ::testing::ValuesIn(golden_files()), case_name);

TEST(ForwardGoldenSeed, PrintsTheDocumentedValues) {
  const GoldenCase c = load_golden(std::string(DCN_GOLDEN_DIR) + "/seed_example.json");
  const std::vector<float> out = run_forward(c, {Convention::kMindSpore, DataFormat::kNCHW, 1});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_NEAR(out[0], -0.0022044, 5e-8);
  EXPECT_EQ(out[1], 0.0f);
}

}  // namespace
}  // namespace dcn::testing

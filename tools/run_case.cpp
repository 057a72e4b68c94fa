// dcn_run_case [--backward] [--mindspore] [--nhwc] [--threads N] CASE.json...
// Runs cases in the format of tests/golden (params, shapes, input, weight, offset, mask, bias in
// torchvision's layout, offsets_mindspore, grad_output) through the native core and prints one JSON line per
// case: {"case": path, "output": [...], "shape": [...]}, with --backward also the gradients "grad_input",
// "grad_offset", "grad_mask" (torchvision with a mask, else null), "grad_weight", "grad_bias" (null without a
// bias); or {"case": path, "error": "...", "kind": "..."} for a rejected call.
//   --mindspore  the call in MindSpore's convention: offsets_mindspore, explicit kernel size, groups and
//                offset groups, four-entry strides and dilations; grad_offset in its [dx | dy | mask] blocks.
//   --nhwc       input, offsets, mask and grad_output copied channels-last and the call made with NHWC; the
//                results are printed in that layout too, as the call returns them.
//   --threads N  threads of the pool (default 1). The original form, dcn_run_case CASE.json THREADS, also works.
// Used by the JS tests to check the native build against the WebAssembly builds (tests/js/properties) and
// against torchvision (tests/js/torchvision-differential).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "deformconv.h"
#include "golden_case.h"

namespace {

struct Options {
  bool backward = false;
  bool mindspore = false;
  bool nhwc = false;
  int threads = 1;
};

// (N, C, H, W) -> (N, H, W, C): data and shape.
void to_nhwc(std::vector<float>* data, std::vector<int64_t>* shape) {
  const int64_t N = (*shape)[0], C = (*shape)[1], P = (*shape)[2] * (*shape)[3];
  std::vector<float> out(data->size());
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t p = 0; p < P; ++p) out[(n * P + p) * C + c] = (*data)[(n * C + c) * P + p];
  *data = std::move(out);
  *shape = {(*shape)[0], (*shape)[2], (*shape)[3], (*shape)[1]};
}

nlohmann::json run(const std::string& path, const Options& o) {
  const dcn::testing::GoldenCase c = dcn::testing::read_case(path);
  dcn::ConvRequest r = o.mindspore ? c.mindspore_request() : c.torchvision_request();
  std::vector<float> input = c.input, weight = c.weight, bias = c.bias;
  std::vector<float> offset = o.mindspore ? c.offsets_mindspore : c.offset;
  std::vector<float> mask = r.has_mask ? c.mask : std::vector<float>();
  // The backward pass only: grad_output and its shape (the output's).
  std::vector<float> grad_output = o.backward ? c.floats("grad_output") : std::vector<float>();
  std::vector<int64_t> grad_output_shape = o.backward ? c.shape("output") : std::vector<int64_t>();

  if (o.nhwc) {
    r.data_format = dcn::DataFormat::kNHWC;
    to_nhwc(&input, &r.input_shape);
    to_nhwc(&offset, &r.offset_shape);
    if (r.has_mask) to_nhwc(&mask, &r.mask_shape);
    if (o.backward) to_nhwc(&grad_output, &grad_output_shape);
  }
  if (o.backward) r.grad_output_shape = grad_output_shape;

  nlohmann::json result;
  result["case"] = path;
  dcn::ConvParams p;
  dcn::Status s = dcn::validate(r, &p);
  dcn::ThreadPool pool(o.threads);
  std::vector<float> output;
  if (s.ok()) {
    output.resize(static_cast<size_t>(p.output_elements));
    s = dcn::deform_conv2d_forward(p, {input.data(), weight.data(), offset.data(), r.has_mask ? mask.data() : nullptr,
                                       r.has_bias ? bias.data() : nullptr, output.data()},
                                   pool);
  }
  std::vector<float> grad_input(input.size()), grad_offset(offset.size()), grad_mask(mask.size()),
      grad_weight(weight.size()), grad_bias(bias.size());
  if (s.ok() && o.backward) {
    dcn::BackwardTensors t;
    t.grad_output = grad_output.data();
    t.input = input.data();
    t.weight = weight.data();
    t.offset = offset.data();
    t.mask = r.has_mask ? mask.data() : nullptr;
    t.bias = r.has_bias ? bias.data() : nullptr;
    t.grad_input = grad_input.data();
    t.grad_offset = grad_offset.data();
    t.grad_mask = r.has_mask ? grad_mask.data() : nullptr;
    t.grad_weight = grad_weight.data();
    t.grad_bias = r.has_bias ? grad_bias.data() : nullptr;
    s = dcn::deform_conv2d_backward(p, t, pool);
  }
  if (!s.ok()) {
    result["error"] = s.message();
    result["kind"] = s.kind_name();
    return result;
  }
  result["output"] = output;
  result["shape"] = p.output_shape();
  if (o.backward) {
    const auto or_null = [](const std::vector<float>& v, bool present) {
      return present ? nlohmann::json(v) : nlohmann::json(nullptr);
    };
    result["grad_input"] = grad_input;
    result["grad_offset"] = grad_offset;
    result["grad_mask"] = or_null(grad_mask, r.has_mask);
    result["grad_weight"] = grad_weight;
    result["grad_bias"] = or_null(grad_bias, r.has_bias);
  }
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  std::vector<std::string> cases;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--backward") {
      o.backward = true;
    } else if (a == "--mindspore") {
      o.mindspore = true;
    } else if (a == "--nhwc") {
      o.nhwc = true;
    } else if (a == "--threads" && i + 1 < argc) {
      o.threads = std::atoi(argv[++i]);
    } else if (i == argc - 1 && cases.size() == 1 && std::strspn(argv[i], "0123456789") == a.size()) {
      o.threads = std::atoi(argv[i]);  // the original form: CASE.json THREADS
    } else if (a.rfind("--", 0) == 0) {
      std::fprintf(stderr, "dcn_run_case: unknown option %s\n", argv[i]);
      return 2;
    } else {
      cases.push_back(a);
    }
  }
  if (cases.empty() || o.threads < 1) {
    std::fprintf(stderr, "usage: dcn_run_case [--backward] [--mindspore] [--nhwc] [--threads N] CASE.json...\n");
    return 2;
  }
  for (const std::string& path : cases) std::cout << run(path, o).dump() << "\n";
  return 0;
}

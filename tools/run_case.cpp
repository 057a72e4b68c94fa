// dcn_run_case CASE.json [THREADS]: runs one case (the golden format of ../shared/golden: params, shapes,
// input, weight, offset, mask, bias in torchvision's layout) through the native forward pass and prints
// {"output": [...], "shape": [...]} on stdout, or {"error": "...", "kind": "..."} for a rejected call.
// Used by the JS tests to check that the native and WebAssembly builds agree.
#include <cstdio>
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "deformconv.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: dcn_run_case CASE.json [THREADS]\n");
    return 2;
  }
  std::ifstream in(argv[1]);
  const nlohmann::json c = nlohmann::json::parse(in);
  const int threads = argc > 2 ? std::atoi(argv[2]) : 1;
  const auto& prm = c["params"];
  auto floats = [&](const char* key) {
    return c.contains(key) && !c[key].is_null() ? c[key].get<std::vector<float>>() : std::vector<float>();
  };
  dcn::ConvRequest r;
  r.input_shape = c["shapes"]["input"].get<std::vector<int64_t>>();
  r.weight_shape = c["shapes"]["weight"].get<std::vector<int64_t>>();
  r.offset_shape = c["shapes"]["offset"].get<std::vector<int64_t>>();
  r.has_mask = prm["has_mask"].get<bool>();
  if (r.has_mask) r.mask_shape = c["shapes"]["mask"].get<std::vector<int64_t>>();
  r.has_bias = prm["has_bias"].get<bool>();
  if (r.has_bias) r.bias_shape = c["shapes"]["bias"].get<std::vector<int64_t>>();
  r.stride = prm["stride"].get<std::vector<int64_t>>();
  r.padding = prm["padding"].get<std::vector<int64_t>>();
  r.dilation = prm["dilation"].get<std::vector<int64_t>>();
  dcn::ConvParams p;
  dcn::Status s = dcn::validate(r, &p);
  const std::vector<float> input = floats("input"), weight = floats("weight"), offset = floats("offset"),
                           mask = floats("mask"), bias = floats("bias");
  std::vector<float> output;
  if (s.ok()) {
    output.resize(static_cast<size_t>(p.output_elements));
    dcn::ThreadPool pool(threads);
    s = dcn::deform_conv2d_forward(
        p, {input.data(), weight.data(), offset.data(), r.has_mask ? mask.data() : nullptr,
            r.has_bias ? bias.data() : nullptr, output.data()},
        pool);
  }
  nlohmann::json result;
  if (s.ok()) {
    result["output"] = output;
    result["shape"] = p.output_shape();
  } else {
    result["error"] = s.message();
    result["kind"] = s.kind_name();
  }
  std::cout << result.dump() << "\n";
  return 0;
}

// Loads one case of tests/golden (format in its README) into float vectors and a ConvRequest. Also read by
// tools/run_case.cpp, which runs files of the same format that carry no name or expected output.
#pragma once

#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "conv_params.h"

namespace dcn::testing {

struct GoldenCase {
  std::string name;
  nlohmann::json json;
  std::vector<float> input, weight, bias, offset, mask, offsets_mindspore;
  std::vector<double> output;
  std::vector<int64_t> shape(const char* key) const { return json["shapes"][key].get<std::vector<int64_t>>(); }
  bool has(const char* key) const { return json.contains(key) && !json[key].is_null(); }
  std::vector<double> doubles(const char* key) const { return json[key].get<std::vector<double>>(); }
  // A tensor's values; empty when the file has none (an absent mask or bias).
  std::vector<float> floats(const char* key) const {
    return has(key) ? json[key].get<std::vector<float>>() : std::vector<float>();
  }

  // The call in torchvision's convention (NCHW).
  ConvRequest torchvision_request() const {
    const auto& prm = json["params"];
    ConvRequest r;
    r.input_shape = shape("input");
    r.weight_shape = shape("weight");
    r.offset_shape = shape("offset");
    r.has_mask = prm["has_mask"].get<bool>();
    if (r.has_mask) r.mask_shape = shape("mask");
    r.has_bias = prm["has_bias"].get<bool>();
    if (r.has_bias) r.bias_shape = shape("bias");
    r.stride = prm["stride"].get<std::vector<int64_t>>();
    r.padding = prm["padding"].get<std::vector<int64_t>>();
    r.dilation = prm["dilation"].get<std::vector<int64_t>>();
    return r;
  }
  // The same call in MindSpore's convention (NCHW).
  ConvRequest mindspore_request() const {
    const auto& prm = json["params"];
    ConvRequest r = torchvision_request();
    r.convention = Convention::kMindSpore;
    r.offset_shape = shape("offsets_mindspore");
    r.has_mask = false;
    r.mask_shape.clear();
    const auto stride = prm["stride"].get<std::vector<int64_t>>();
    const auto dilation = prm["dilation"].get<std::vector<int64_t>>();
    r.stride = {1, 1, stride[0], stride[1]};
    r.dilation = {1, 1, dilation[0], dilation[1]};
    r.kernel_size = prm["kernel_size"].get<std::vector<int64_t>>();
    r.groups = prm["groups"].get<int64_t>();
    r.offset_groups = prm["offset_groups"].get<int64_t>();
    r.modulated = prm["has_mask"].get<bool>();
    return r;
  }
};

// A case file's parameters, shapes and inputs, without its name or expected output.
inline GoldenCase read_case(const std::string& path) {
  GoldenCase c;
  std::ifstream in(path);
  c.json = nlohmann::json::parse(in);
  c.input = c.floats("input");
  c.weight = c.floats("weight");
  c.bias = c.floats("bias");
  c.offset = c.floats("offset");
  c.mask = c.floats("mask");
  c.offsets_mindspore = c.floats("offsets_mindspore");
  return c;
}

// A reference case: its inputs, and its name and expected output, which it must have.
inline GoldenCase load_golden(const std::string& path) {
  GoldenCase c = read_case(path);
  c.name = c.json["name"].get<std::string>();
  c.output = c.doubles("output");
  return c;
}

}  // namespace dcn::testing

// dcn_bench_native DIR THREADS... : the native half of `npm run bench` (bench/native.mjs runs it).
// DIR holds layer.json (the shape: N, C, H, W, Cout, k, stride, pad, dilation, groups, offsetGroups) and the
// float32 tensors input.f32, weight.f32, offset.f32, mask.f32, bias.f32 (NCHW, torchvision / ONNX layout),
// written by the JS side. Runs the forward pass once per thread count and writes output_T.f32 (so the JS side
// can check it against onnxruntime-node), then times it: two warm-up calls, then calls until at least
// DCN_BENCH_SECONDS (default 1) have passed and at least 5 were made. Prints one JSON object:
//   {"simd": "...", "runs": [{"threads": T, "median_ms": ..., "min_ms": ..., "count": ...}, ...]}
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "deformconv.h"

namespace {

std::vector<float> read_floats(const std::string& path, size_t count) {
  std::vector<float> v(count);
  std::ifstream in(path, std::ios::binary);
  in.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(count * sizeof(float)));
  if (!in || in.gcount() != static_cast<std::streamsize>(count * sizeof(float))) {
    std::fprintf(stderr, "dcn_bench_native: %s does not hold %zu floats\n", path.c_str(), count);
    std::exit(2);
  }
  return v;
}

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: dcn_bench_native DIR THREADS...\n");
    return 2;
  }
  const std::string dir = argv[1];
  std::ifstream spec_file(dir + "/layer.json");
  const nlohmann::json s = nlohmann::json::parse(spec_file);
  const int64_t N = s["N"], C = s["C"], H = s["H"], W = s["W"], Cout = s["Cout"], k = s["k"];
  const int64_t stride = s["stride"], pad = s["pad"], dilation = s["dilation"], groups = s["groups"];
  const int64_t G = s["offsetGroups"];
  const int64_t span = dilation * (k - 1) + 1;
  const int64_t Ho = (H + 2 * pad - span) / stride + 1, Wo = (W + 2 * pad - span) / stride + 1;

  dcn::ConvRequest r;
  r.input_shape = {N, C, H, W};
  r.weight_shape = {Cout, C / groups, k, k};
  r.offset_shape = {N, 2 * G * k * k, Ho, Wo};
  r.has_mask = true;
  r.mask_shape = {N, G * k * k, Ho, Wo};
  r.has_bias = true;
  r.bias_shape = {Cout};
  r.stride = {stride, stride};
  r.padding = {pad, pad};
  r.dilation = {dilation, dilation};
  dcn::ConvParams p;
  dcn::Status status = dcn::validate(r, &p);
  if (!status.ok()) {
    std::fprintf(stderr, "dcn_bench_native: %s\n", status.message().c_str());
    return 2;
  }
  const std::vector<float> input = read_floats(dir + "/input.f32", static_cast<size_t>(p.input_elements));
  const std::vector<float> weight = read_floats(dir + "/weight.f32", static_cast<size_t>(p.weight_elements));
  const std::vector<float> offset = read_floats(dir + "/offset.f32", static_cast<size_t>(p.offset_elements));
  const std::vector<float> mask = read_floats(dir + "/mask.f32", static_cast<size_t>(p.mask_elements));
  const std::vector<float> bias = read_floats(dir + "/bias.f32", static_cast<size_t>(Cout));
  std::vector<float> output(static_cast<size_t>(p.output_elements));
  const dcn::ForwardTensors tensors{input.data(), weight.data(), offset.data(), mask.data(), bias.data(), output.data()};

  const char* seconds_env = std::getenv("DCN_BENCH_SECONDS");
  const double budget_ms = 1000.0 * (seconds_env ? std::atof(seconds_env) : 1.0);
  nlohmann::json result;
  result["simd"] = dcn::simd_name();
  result["runs"] = nlohmann::json::array();
  for (int i = 2; i < argc; ++i) {
    const int threads = std::atoi(argv[i]);
    dcn::ThreadPool pool(threads);
    auto run = [&] {
      status = dcn::deform_conv2d_forward(p, tensors, pool);
      if (!status.ok()) {
        std::fprintf(stderr, "dcn_bench_native: %s\n", status.message().c_str());
        std::exit(1);
      }
    };
    run();
    std::ofstream out(dir + "/output_" + std::to_string(threads) + ".f32", std::ios::binary);
    out.write(reinterpret_cast<const char*>(output.data()), static_cast<std::streamsize>(output.size() * sizeof(float)));
    run();
    std::vector<double> times;
    const auto start = std::chrono::steady_clock::now();
    while (times.size() < 5 || (ms_since(start) < budget_ms && times.size() < 200)) {
      const auto t0 = std::chrono::steady_clock::now();
      run();
      times.push_back(ms_since(t0));
    }
    std::sort(times.begin(), times.end());
    result["runs"].push_back({{"threads", threads},
                              {"median_ms", times[times.size() / 2]},
                              {"min_ms", times.front()},
                              {"count", times.size()}});
  }
  std::cout << result.dump() << std::endl;
  return 0;
}

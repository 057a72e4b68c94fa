// dcn_time_backward [N C H W C_OUT K] [REPEATS] [GROUPS]: times the native forward and backward passes on one
// layer (torchvision convention, NCHW, stride 1, padding K/2, mask and bias, random offsets in [-2, 2]) with 1
// and 2 threads and prints the best time of each (the two run alternately) and the backward/forward ratio.
// Default: 1 64 64 64 64 3, 10 repeats, 1 weight group (GROUPS = C = C_OUT is a depthwise layer).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "deformconv.h"

namespace {

std::vector<float> random_vector(std::mt19937& rng, size_t n, float lo, float hi) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

double elapsed_ms(const std::chrono::steady_clock::time_point& start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

// Best times of two calls, run alternately so that a busy machine slows both alike.
template <typename F, typename B>
void best_ms(int repeats, F forward, B backward, double* forward_ms, double* backward_ms) {
  forward();  // warm-up: first touch of the buffers, thread start
  backward();
  *forward_ms = *backward_ms = 1e30;
  for (int i = 0; i < repeats; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    forward();
    *forward_ms = std::min(*forward_ms, elapsed_ms(t0));
    t0 = std::chrono::steady_clock::now();
    backward();
    *backward_ms = std::min(*backward_ms, elapsed_ms(t0));
  }
}

}  // namespace

int main(int argc, char** argv) {
  int64_t dims[6] = {1, 64, 64, 64, 64, 3};
  for (int i = 0; i < 6 && i + 1 < argc; ++i) dims[i] = std::atoll(argv[i + 1]);
  const int repeats = argc > 7 ? std::atoi(argv[7]) : 10;
  const int64_t groups = std::max<int64_t>(1, argc > 8 ? std::atoll(argv[8]) : 1);
  const int64_t N = dims[0], C = dims[1], H = dims[2], W = dims[3], Cout = dims[4], K = dims[5];
  dcn::ConvRequest r;
  r.input_shape = {N, C, H, W};
  r.weight_shape = {Cout, groups > 0 ? C / groups : C, K, K};
  r.offset_shape = {N, 2 * K * K, H, W};
  r.has_mask = true;
  r.mask_shape = {N, K * K, H, W};
  r.has_bias = true;
  r.bias_shape = {Cout};
  r.padding = {K / 2, K / 2};
  r.grad_output_shape = {N, Cout, H, W};
  dcn::ConvParams p;
  const dcn::Status s = dcn::validate(r, &p);
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.message().c_str());
    return 1;
  }
  std::mt19937 rng(1);
  const auto input = random_vector(rng, p.input_elements, -1, 1), weight = random_vector(rng, p.weight_elements, -1, 1),
             offset = random_vector(rng, p.offset_elements, -2, 2), mask = random_vector(rng, p.mask_elements, 0, 1),
             bias = random_vector(rng, Cout, -1, 1), grad_output = random_vector(rng, p.output_elements, -1, 1);
  std::vector<float> output(p.output_elements), grad_input(p.input_elements), grad_weight(p.weight_elements),
      grad_offset(p.offset_elements), grad_mask(p.mask_elements), grad_bias(Cout);
  std::printf("layer N=%lld C_in=%lld H=%lld W=%lld C_out=%lld %lldx%lld pad %lld groups %lld, mask+bias, SIMD %s\n",
              static_cast<long long>(N), static_cast<long long>(C), static_cast<long long>(H),
              static_cast<long long>(W), static_cast<long long>(Cout), static_cast<long long>(K),
              static_cast<long long>(K), static_cast<long long>(K / 2), static_cast<long long>(groups),
              dcn::simd_name());
  for (int threads : {1, 2}) {
    dcn::ThreadPool pool(threads);
    double fwd, bwd;
    best_ms(
        repeats,
        [&] {
          dcn::deform_conv2d_forward(
              p, {input.data(), weight.data(), offset.data(), mask.data(), bias.data(), output.data()}, pool);
        },
        [&] {
          dcn::deform_conv2d_backward(p,
                                      {grad_output.data(), input.data(), weight.data(), offset.data(), mask.data(),
                                       bias.data(), grad_input.data(), grad_offset.data(), grad_mask.data(),
                                       grad_weight.data(), grad_bias.data()},
                                      pool);
        },
        &fwd, &bwd);
    std::printf("threads %d: forward %.2f ms (%.1f GFLOP/s), backward %.2f ms, backward/forward %.2f, "
                "workspace forward %.1f MiB, backward %.1f MiB\n",
                threads, fwd, p.forward_flops() / fwd * 1e-6, bwd, bwd / fwd,
                dcn::forward_workspace_bytes(p, threads) / 1048576.0, dcn::backward_workspace_bytes(p, threads) / 1048576.0);
  }
  return 0;
}

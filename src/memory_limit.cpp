#include "memory_limit.h"

#include <sstream>

#include "deform_conv_backward.h"
#include "deform_conv_forward.h"

namespace dcn {
namespace {

// Shape of an activation tensor (N, channels, h, w) in the call's data format.
std::vector<int64_t> activation_shape(const ConvParams& p, int64_t channels, int64_t h, int64_t w) {
  if (p.data_format == DataFormat::kNHWC) return {p.batch, h, w, channels};
  return {p.batch, channels, h, w};
}

int64_t elements_of(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;  // validated: below 2^31
  return n;
}

std::string gib(uint64_t bytes) {
  std::ostringstream out;
  out.precision(3);
  out << static_cast<double>(bytes) / (1024.0 * 1024.0 * 1024.0) << " GiB";
  return out.str();
}

}  // namespace

std::vector<TensorSize> forward_tensors(const ConvParams& p) {
  const ArgNames& names = arg_names(p.convention);
  std::vector<TensorSize> tensors = {
      {names.input, activation_shape(p, p.in_channels, p.in_height, p.in_width)},
      {names.weight, {p.out_channels, p.in_channels_per_group(), p.kernel_h, p.kernel_w}},
      {names.offset, activation_shape(p, p.offset_channels(), p.out_height, p.out_width)},
      {"the output", p.output_shape()},
  };
  if (p.convention == Convention::kTorchvision && p.use_mask) {
    tensors.push_back({names.mask, activation_shape(p, p.offset_groups * p.taps(), p.out_height, p.out_width)});
  }
  if (p.has_bias) tensors.push_back({names.bias, {p.out_channels}});
  return tensors;
}

Status check_memory_limit(const std::vector<TensorSize>& tensors, int64_t workspace_bytes, uint64_t limit_bytes) {
  uint64_t tensor_bytes = 0, largest_bytes = 0;
  const TensorSize* largest = nullptr;
  for (const TensorSize& t : tensors) {
    if (t.shape.empty()) continue;
    const uint64_t bytes = 4 * static_cast<uint64_t>(elements_of(t.shape));
    tensor_bytes += bytes;  // at most a few tensors of 2^33 bytes: no overflow
    if (!largest || bytes > largest_bytes) {
      largest = &t;
      largest_bytes = bytes;
    }
  }
  const bool uncountable = workspace_bytes < 0;
  const uint64_t total = tensor_bytes + (uncountable ? 0 : static_cast<uint64_t>(workspace_bytes));
  if (!uncountable && total <= limit_bytes) return Status::Ok();
  std::ostringstream m;
  if (largest) m << largest->name << " of shape " << shape_string(largest->shape) << " takes " << largest_bytes << " bytes; ";
  m << "the call needs ";
  if (uncountable) {
    m << "more workspace than can be counted";
  } else {
    m << total << " bytes (" << gib(total) << ": " << tensor_bytes << " for its tensors and results, "
      << workspace_bytes << " of workspace)";
  }
  m << ", more than the " << limit_bytes << " bytes (" << gib(limit_bytes) << ") this build can address";
  if (limit_bytes == (uint64_t{1} << 32)) m << " (WebAssembly memory is at most 4 GiB)";
  return Status::RangeError(m.str());
}

Status check_forward_memory(const ConvParams& p, int threads, uint64_t limit_bytes, bool input_channels_last) {
  return check_memory_limit(forward_tensors(p), forward_workspace_bytes(p, threads, input_channels_last), limit_bytes);
}

Status check_backward_memory(const ConvParams& p, int threads, uint64_t limit_bytes) {
  std::vector<TensorSize> tensors;
  for (const TensorSize& t : forward_tensors(p)) {
    if (t.name == "the output") {
      tensors.push_back({"gradOutput", t.shape});
    } else {
      tensors.push_back(t);
      tensors.push_back({"the gradient of " + t.name, t.shape});
    }
  }
  return check_memory_limit(tensors, backward_workspace_bytes(p, threads), limit_bytes);
}

}  // namespace dcn

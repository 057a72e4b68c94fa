#include "empty_output.h"

#include <algorithm>
#include <cstdint>
#include <string>

namespace dcn {

Status zero_gradients(const ConvParams& p, const BackwardTensors& x) {
  const bool torch_mask = p.use_mask && p.convention == Convention::kTorchvision;
  struct Gradient {
    float* data;
    int64_t elements;
    const char* name;
  };
  const Gradient gradients[] = {
      {x.grad_input, p.input_elements, "the input gradient"},
      {x.grad_offset, p.offset_elements, "the offset gradient"},
      {x.grad_mask, torch_mask ? p.mask_elements : 0, "the mask gradient"},
      {x.grad_weight, p.weight_elements, "the weight gradient"},
      {x.grad_bias, p.has_bias ? p.bias_elements : 0, "the bias gradient"},
  };
  for (const Gradient& g : gradients) {
    if (g.elements > 0 && !g.data) return Status::TypeError(std::string("backward: ") + g.name + " must be given");
  }
  for (const Gradient& g : gradients) {
    if (g.elements > 0) std::fill_n(g.data, g.elements, 0.0f);
  }
  return Status::Ok();
}

}  // namespace dcn

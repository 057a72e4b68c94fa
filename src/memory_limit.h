// How much memory one call needs in all, and the check that rejects a call this build cannot hold, before
// anything is allocated. WebAssembly (wasm32) addresses at most 4 GiB, and a call's tensors, its results
// and its workspace must all fit in that one heap at once; a shape whose tensors each pass the element
// limit (checked_math.h) can still need more than that. Natively the limit is the address space, which no
// shape that passes validate() reaches.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "conv_params.h"
#include "status.h"

namespace dcn {

// Bytes this build can address: 2^32 on wasm32, effectively unlimited on 64-bit hosts.
constexpr uint64_t kAddressSpaceBytes = sizeof(void*) == 4 ? (uint64_t{1} << 32) : UINT64_MAX;

// One float32 tensor of a call, for the memory total and the message.
struct TensorSize {
  std::string name;              // as the caller calls it ("input", "x", "the output", ...)
  std::vector<int64_t> shape;    // empty: the tensor is absent
};

// RangeError when the tensors (4 bytes per element) plus workspace_bytes exceed limit_bytes, saying how
// many bytes the call needs and naming its largest tensor; workspace_bytes < 0 means "too large to count".
// The shapes must have passed validate(), so every element count is below 2^31.
Status check_memory_limit(const std::vector<TensorSize>& tensors, int64_t workspace_bytes,
                          uint64_t limit_bytes = kAddressSpaceBytes);

// The tensors of a validated forward call, in the caller's names: input, weight, offset, mask (torchvision
// with a mask), bias (when given) and the output.
std::vector<TensorSize> forward_tensors(const ConvParams& params);

// RangeError when a forward call's tensors, output and workspace together exceed limit_bytes (by default
// what this build can address: 4 GiB in WebAssembly), saying how much memory was needed. The WebAssembly
// binding runs it before it copies any tensor into the module's memory, with input_channels_last (its input
// arrives channels-last, so the forward pass makes no NHWC copy of it; see deform_conv_forward.h).
Status check_forward_memory(const ConvParams& params, int threads, uint64_t limit_bytes = kAddressSpaceBytes,
                            bool input_channels_last = false);

// The same for a backward call: grad_output, the inputs, one gradient per input, and the backward
// pass's workspace.
Status check_backward_memory(const ConvParams& params, int threads, uint64_t limit_bytes = kAddressSpaceBytes);

}  // namespace dcn

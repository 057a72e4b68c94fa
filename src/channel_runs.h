// Channel runs: the input channels cut into pieces that the gather and scatter kernels take whole. A run
// shares one offset group (one sample per tap and pixel) and, for the GEMM columns, one weight group (one
// block of columns). The lists are written into memory the pass allocated with a check (buffer.h), never
// into a std::vector: in WebAssembly a failed operator new aborts the module. Each writer, given a null
// pointer, only counts, so a pass can size its buffer first.
#pragma once

#include <algorithm>
#include <cstdint>

#include "conv_params.h"

namespace dcn {

struct ChannelRun {
  int64_t offset_group;
  int64_t weight_group;
  int64_t first_channel;  // input channel c
  int64_t channels;
};

// The channels cut where either the offset group or the weight group changes, in channel order (so the runs
// of one offset group are consecutive): the backward pass's columns and scatter. Returns the count.
inline int64_t write_channel_runs(const ConvParams& p, ChannelRun* out) {
  const int64_t per_offset_group = p.channels_per_offset_group(), per_weight_group = p.in_channels_per_group();
  int64_t count = 0;
  int64_t c = 0;
  while (c < p.in_channels) {
    const int64_t g = c / per_offset_group, gw = c / per_weight_group;
    const int64_t end = std::min((g + 1) * per_offset_group, (gw + 1) * per_weight_group);
    if (out) out[count] = {g, gw, c, end - c};
    ++count;
    c = end;
  }
  return count;
}

// The channels cut at offset groups only (weight_group -1): the forward's depthwise kernel, whose weights are
// per channel anyway (write_channel_runs would cut a depthwise layer at every channel). Returns the count.
inline int64_t write_offset_group_runs(const ConvParams& p, ChannelRun* out) {
  const int64_t per_offset_group = p.channels_per_offset_group();
  if (out) {
    for (int64_t g = 0; g < p.offset_groups; ++g) out[g] = {g, -1, g * per_offset_group, per_offset_group};
  }
  return p.offset_groups;
}

}  // namespace dcn

// Channel runs: the input channels cut where either the offset group or the weight group changes. A run
// shares one offset group (one sample per tap and pixel) and one weight group (one block of GEMM columns),
// so the gather and scatter kernels work run by run. Shared by the forward and backward passes.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "conv_params.h"

namespace dcn {

struct ChannelRun {
  int64_t offset_group;
  int64_t weight_group;
  int64_t first_channel;  // input channel c
  int64_t channels;
};

// Writes the runs in channel order to out (when out is not null) and returns how many there are. It does
// not allocate, so the forward pass can keep the runs in memory it allocated with a check (buffer.h).
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

// The runs in channel order (so the runs of one offset group are consecutive).
inline std::vector<ChannelRun> channel_runs(const ConvParams& p) {
  std::vector<ChannelRun> runs(static_cast<size_t>(write_channel_runs(p, nullptr)));
  write_channel_runs(p, runs.data());
  return runs;
}

}  // namespace dcn
